"""The messaging tick runs on a real huey worker, embedded (SQLite queue) and Redis-backed.

Each test starts `guanxi worker` in its own process on the test database, puts the
messaging tick on the queue from another process (as the scheduler does every
minute), and counts what the local SMTP server received: the welcome flow's message,
once. The Redis test starts Debian's redis-server on a free port of 127.0.0.1.
"""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from guanxi.campaigns.choices import MessageStatus
from guanxi.campaigns.flows import engine
from guanxi.campaigns.models import Flow, Message
from guanxi.campaigns.tests.factories import make_template
from guanxi.campaigns.tests.processes import child_database_url, wait_for
from guanxi.campaigns.tests.smtp_server import free_port, smtp_server  # noqa: F401
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.tests.factories import add_contact, make_customer

REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture
def redis_url():
    if not os.path.exists(REDIS_SERVER):
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen([REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _answers(port), seconds=20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(port):
    import redis

    try:
        return redis.Redis(host="127.0.0.1", port=port).ping()
    except redis.ConnectionError:
        return False


def guanxi_env(tmp_path, smtp, redis=""):
    return {**os.environ, "GUANXI_DATABASE_URL": child_database_url(), "GUANXI_DATA_DIR": str(tmp_path), "GUANXI_REDIS_URL": redis,
            "GUANXI_SMTP_HOST": "127.0.0.1", "GUANXI_SMTP_PORT": str(smtp.port), "GUANXI_TASKS_IMMEDIATE": "",
            "GUANXI_QUIET_HOURS_START": "0", "GUANXI_QUIET_HOURS_END": "0"}


def welcome_flow_with_a_new_customer():
    template = make_template("Welcome", contents={"en": ("Welcome, {{ first_name }}", "<p>Hi</p>", "Hi")})
    flow = Flow.objects.create(name="Welcome", trigger="customer_created",
                               steps=[{"id": "s1", "kind": "send", "template": template.pk}])
    engine.activate(flow, now=timezone.now() - dt.timedelta(hours=1))
    person = make_customer("Mei Lin", first_name="Mei", time_zone="UTC")
    add_contact(person, ContactKind.EMAIL, "mei@example.com", consent=ConsentStatus.GRANTED)


def run_tick_on_a_worker(env, smtp):
    worker = subprocess.Popen([sys.executable, "-m", "guanxi.cli", "worker", "--workers", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        enqueue = "from guanxi.campaigns.tasks import messaging_tick; messaging_tick()"
        subprocess.run([sys.executable, "-m", "guanxi.cli", "shell", "-c", enqueue], env=env, check=True, timeout=120)
        wait_for(lambda: Message.objects.filter(status=MessageStatus.SENT).exists(), seconds=90)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    return output


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_runs_the_tick_and_the_welcome_mail_goes_out_once(tmp_path, smtp_server):  # noqa: F811
    welcome_flow_with_a_new_customer()
    output = run_tick_on_a_worker(guanxi_env(tmp_path, smtp_server), smtp_server)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["mei@example.com"]], output
    assert (tmp_path / "huey.sqlite3").exists()  # the queue was the embedded SQLite one


@pytest.mark.django_db(transaction=True)
def test_a_redis_backed_worker_runs_the_tick_and_the_welcome_mail_goes_out_once(tmp_path, smtp_server, redis_url):  # noqa: F811
    welcome_flow_with_a_new_customer()
    output = run_tick_on_a_worker(guanxi_env(tmp_path, smtp_server, redis=redis_url), smtp_server)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["mei@example.com"]], output
    assert not (tmp_path / "huey.sqlite3").exists()  # the queue was Redis, not the SQLite file
    assert "messaging_tick" in output
