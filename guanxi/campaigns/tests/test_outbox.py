"""The outbox sends every message exactly once: a real SMTP server counts what
arrived. In-process: outcomes, retries with back-off, bounces, postponements.
Out of process: a sender killed with SIGKILL mid-batch and restarted, and two
senders side by side, never deliver a message twice and never skip one."""

import asyncio
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from guanxi.campaigns import outbox, services
from guanxi.campaigns.choices import Channel, EventKind, MessageStatus, Reason
from guanxi.campaigns.models import (
    Campaign,
    Message,
    MessageEvent,
    MessageTemplate,
    TemplateContent,
)
from guanxi.campaigns.tests.processes import child_database_url, wait_for
from guanxi.campaigns.tests.smtp_server import (  # noqa: F401
    CollectingHandler,
    SmtpServer,
    free_port,
    smtp_server,
)
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.tests.factories import add_contact, make_customer
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment, SegmentMembership


class SlowHandler(CollectingHandler):
    """The test server's handler, taking a moment per message so a sender can be killed mid-batch."""

    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def recipients(server):
    return [address for received in server.messages for address in received.rcpt_tos]


def start_smtp(delay):
    handler = SlowHandler(delay)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return SmtpServer(controller, handler)


def shop(n, consent=ConsentStatus.GRANTED):
    """n customers with e-mail consent in a list, a campaign on it, queued now."""
    template = MessageTemplate.objects.create(name="Spring sale", channel=Channel.EMAIL)
    TemplateContent.objects.create(template=template, language="en", subject="Spring is here, {{ first_name }}",
                                   html="<p>Hello {{ first_name }}</p>", text="Hello {{ first_name }}")
    segment = Segment.objects.create(name="Everyone", kind=SegmentKind.STATIC)
    for i in range(n):
        person = make_customer(f"Customer {i}", first_name=f"C{i}", time_zone="UTC")
        add_contact(person, ContactKind.EMAIL, f"c{i}@example.com", consent=consent)
        SegmentMembership.objects.create(segment=segment, customer=person, entered_at=timezone.now())
    campaign = Campaign.objects.create(name="Spring", segment=segment, template=template)
    services.queue_campaign(campaign, now=DAYTIME)
    return campaign


DAYTIME = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "budget_messages": 2, "budget_days": 7,
                                 "quiet_start": 21, "quiet_end": 9, "max_attempts": 3, "lease_seconds": 60}


@pytest.mark.django_db
def test_a_campaign_is_sent_once_to_each_consenting_customer(smtp_server):
    shop(3)
    counts = outbox.send_due(now=DAYTIME)
    assert (counts.sent, counts.handled) == (3, 3)
    assert sorted(recipients(smtp_server)) == ["c0@example.com", "c1@example.com", "c2@example.com"]
    assert smtp_server.messages[0].message["Subject"].startswith("Spring is here, C")
    assert set(Message.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 1)}
    assert MessageEvent.objects.filter(kind=EventKind.SENT).count() == 3
    assert outbox.send_due(now=DAYTIME).handled == 0  # nothing due any more
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db
def test_consent_withdrawn_after_queueing_stops_the_message(smtp_server):
    shop(2)
    Message.objects.get(customer__first_name="C1").customer.contact_points.update(consent=ConsentStatus.UNSUBSCRIBED)
    counts = outbox.send_due(now=DAYTIME)
    assert (counts.sent, counts.suppressed) == (1, 1)
    assert recipients(smtp_server) == ["c0@example.com"]
    stopped = Message.objects.get(customer__first_name="C1")
    assert (stopped.status, stopped.reason) == (MessageStatus.SUPPRESSED, Reason.UNSUBSCRIBED)
    assert stopped.events.get().reason == Reason.UNSUBSCRIBED


@pytest.mark.django_db
def test_a_refused_address_fails_and_is_marked_bounced(smtp_server):
    shop(2)
    smtp_server.refuse("c1@example.com")
    counts = outbox.send_due(now=DAYTIME)
    assert (counts.sent, counts.failed) == (1, 1)
    failed = Message.objects.get(customer__first_name="C1")
    assert failed.status == MessageStatus.FAILED and "550" in failed.last_error
    assert failed.customer.contact_points.get().bounced_at == DAYTIME
    assert failed.events.get().kind == EventKind.BOUNCED


@pytest.mark.django_db
def test_a_busy_server_is_retried_with_back_off_then_gives_up(smtp_server):
    shop(1)
    smtp_server.defer("c0@example.com")
    now = DAYTIME
    for attempt, wait in ((1, 2), (2, 4)):
        assert outbox.send_due(now=now).retried == 1
        message = Message.objects.get()
        assert (message.status, message.attempts) == (MessageStatus.PENDING, attempt)
        assert message.not_before == now + dt.timedelta(minutes=wait)
        assert outbox.send_due(now=now + dt.timedelta(minutes=wait - 1)).handled == 0  # not yet due
        now += dt.timedelta(minutes=wait)
    assert outbox.send_due(now=now).failed == 1
    assert Message.objects.get().status == MessageStatus.FAILED
    assert smtp_server.messages == []
    assert outbox.retry([Message.objects.get().pk], now=now) == 1  # the error queue's button
    smtp_server.handler.deferred.clear()
    assert outbox.send_due(now=now).sent == 1 and recipients(smtp_server) == ["c0@example.com"]


@pytest.mark.django_db
def test_quiet_hours_postpone_and_the_message_goes_in_the_morning(smtp_server):
    shop(1)
    night = dt.datetime(2026, 5, 4, 23, 0, tzinfo=dt.UTC)
    assert outbox.send_due(now=night).postponed == 1
    message = Message.objects.get()
    assert (message.status, message.reason, message.not_before) == (
        MessageStatus.PENDING, Reason.QUIET_HOURS, dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC))
    assert outbox.send_due(now=night + dt.timedelta(hours=1)).handled == 0
    assert outbox.send_due(now=message.not_before).sent == 1


@pytest.mark.django_db
def test_the_contact_budget_lets_the_most_important_message_through(smtp_server, settings):
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "budget_messages": 1}
    campaign = shop(1)
    Message.objects.update(expires_at=DAYTIME + dt.timedelta(days=30))  # still relevant when the budget frees
    person = Message.objects.get().customer
    urgent = Message.objects.create(key="flow:cart:c", customer=person, channel=Channel.EMAIL, template=campaign.template,
                                    priority=1, not_before=DAYTIME, expires_at=DAYTIME + dt.timedelta(hours=6))
    counts = outbox.send_due(now=DAYTIME)
    assert (counts.sent, counts.postponed) == (1, 1)
    urgent.refresh_from_db()
    assert urgent.status == MessageStatus.SENT
    waiting = Message.objects.get(campaign=campaign)
    assert (waiting.reason, waiting.not_before) == (Reason.CONTACT_BUDGET, urgent.sent_at + dt.timedelta(days=7))
    assert MessageEvent.objects.get(message=waiting).kind == EventKind.POSTPONED


@pytest.mark.django_db
def test_a_stuck_row_becomes_in_doubt_and_is_not_resent(smtp_server):
    shop(1)
    Message.objects.update(status=MessageStatus.SENDING, lease_until=DAYTIME - dt.timedelta(seconds=1))
    assert outbox.recover(now=DAYTIME) == 1
    assert Message.objects.get().status == MessageStatus.IN_DOUBT
    assert outbox.send_due(now=DAYTIME).handled == 0 and smtp_server.messages == []


# ------------------------------------------------------------------ real processes

def worker(server, *args, lease=1):
    """`guanxi send_messages` in its own process, on the test database, to this SMTP server."""
    env = {**os.environ, "GUANXI_DATABASE_URL": child_database_url(), "GUANXI_SMTP_HOST": "127.0.0.1",
           "GUANXI_SMTP_PORT": str(server.port), "GUANXI_SEND_LEASE_SECONDS": str(lease),
           "GUANXI_QUIET_HOURS_START": "0", "GUANXI_QUIET_HOURS_END": "0", "GUANXI_CONTACT_BUDGET_MESSAGES": "50"}
    return subprocess.Popen([sys.executable, "-m", "guanxi.cli", "send_messages", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_exactly_once(server, total):
    received = recipients(server)
    assert len(received) == len(set(received)), "a message was delivered twice"
    statuses = dict(Message.objects.values_list("customer__contact_points__value", "status"))
    assert len(statuses) == total
    sent = {address for address, status in statuses.items() if status == MessageStatus.SENT}
    in_doubt = {address for address, status in statuses.items() if status == MessageStatus.IN_DOUBT}
    assert sent | in_doubt == set(statuses), "a message was skipped"
    assert sent <= set(received)
    assert set(received) - sent <= in_doubt
    return sent, in_doubt


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_batch_and_restarted_sends_each_message_exactly_once():
    shop(60)
    Message.objects.update(not_before=timezone.now() - dt.timedelta(minutes=1), expires_at=None)
    server = start_smtp(delay=0.03)
    try:
        first = worker(server, "--batch", "10")
        wait_for(lambda: len(server.messages) >= 15)
        first.send_signal(signal.SIGKILL)
        first.wait()
        delivered_before_restart = len(server.messages)
        assert 15 <= delivered_before_restart < 60
        time.sleep(1.5)  # the dead sender's lease runs out
        second = worker(server, "--batch", "10")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        sent, in_doubt = assert_exactly_once(server, 60)
        assert len(in_doubt) <= 1  # at most the one message the sender was writing when killed
        assert len(sent) + len(in_doubt) == 60
    finally:
        server.controller.stop()


@pytest.mark.django_db(transaction=True)
def test_two_senders_side_by_side_share_the_work_without_sending_twice():
    shop(80)
    Message.objects.update(not_before=timezone.now() - dt.timedelta(minutes=1), expires_at=None)
    server = start_smtp(delay=0.01)
    try:
        senders = [worker(server, "--batch", "5", "--worker", name, lease=60) for name in ("left", "right")]
        results = [s.communicate(timeout=180) for s in senders]
        assert [s.returncode for s in senders] == [0, 0], results
        sent, in_doubt = assert_exactly_once(server, 80)
        assert (len(sent), len(in_doubt)) == (80, 0)
        # Each sender reports what it sent: together exactly the 80, none counted twice.
        assert sum(int(re.search(r"sent (\d+)", out).group(1)) for out, _err in results) == 80
        assert len(server.messages) == 80
    finally:
        server.controller.stop()
