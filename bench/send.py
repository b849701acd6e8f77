"""Benchmark: a campaign to N recipients through the outbox to a local SMTP server.

    .venv/bin/python bench/send.py --recipients 100000
    .venv/bin/python bench/send.py --recipients 100000 \\
        --database-url postgres://postgres@127.0.0.1:55432/guanxi_bench_send

1. A fresh database (SQLite file in --data-dir, or the PostgreSQL URL, dropped and
   created) gets N customers with consenting e-mail addresses in a static list, a
   two-language template, and a campaign queued on it (`queue_campaign`: timed).
2. An SMTP server (aiosmtpd) runs in its own process on 127.0.0.1 and only counts.
3. The outbox (`outbox.send_due`, the same code as `guanxi send_messages`) sends
   everything: messages/s end to end and the share of time spent claiming rows,
   rendering (policy checks included) and in SMTP.
4. The peer, in the same run, on the same server: Django's `send_mass_mail` of
   the same number of already-written messages over one connection: the ceiling
   of SMTP alone, without any of the outbox's bookkeeping.
Prints one JSON object.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from load_shop import recreate_postgres  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
print(Count.n, flush=True)
c.stop()
"""


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def setup_environment(args, port):
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update({"GUANXI_DATA_DIR": str(data_dir), "GUANXI_SMTP_HOST": "127.0.0.1", "GUANXI_SMTP_PORT": str(port),
                       "GUANXI_QUIET_HOURS_START": "0", "GUANXI_QUIET_HOURS_END": "0",
                       "GUANXI_SECRET_KEY": "bench-not-secret", "DJANGO_SETTINGS_MODULE": "guanxi.settings"})
    if args.database_url:
        os.environ["GUANXI_DATABASE_URL"] = args.database_url
        recreate_postgres(args.database_url)
    else:
        (data_dir / "guanxi.sqlite3").unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_audience(n):
    from django.utils import timezone

    from guanxi.campaigns.choices import Channel
    from guanxi.campaigns.models import Campaign, MessageTemplate, TemplateContent
    from guanxi.customers.choices import ConsentStatus, ContactKind
    from guanxi.customers.models import ContactPoint, Customer
    from guanxi.segments.choices import SegmentKind
    from guanxi.segments.models import Segment, SegmentMembership

    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(full_name=f"Customer {i}", first_name=f"C{i}", locale="zh-hans" if i % 3 else "en") for i in range(n)],
        batch_size=5000)
    ContactPoint.objects.bulk_create([ContactPoint(customer=c, kind=ContactKind.EMAIL, value=f"c{c.pk}@example.com",
                                                   consent=ConsentStatus.GRANTED) for c in customers], batch_size=5000)
    segment = Segment.objects.create(name="Everyone", kind=SegmentKind.STATIC, size=n)
    SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, customer=c, entered_at=now) for c in customers],
                                          batch_size=5000)
    template = MessageTemplate.objects.create(name="Spring sale", channel=Channel.EMAIL)
    TemplateContent.objects.create(template=template, language="en", subject="Spring is here, {{ first_name }}",
                                   html='<p>Hello {{ first_name }}, <a href="https://shop.example.com/spring">see the sale</a></p>',
                                   text="Hello {{ first_name }}, see the sale: https://shop.example.com/spring")
    TemplateContent.objects.create(template=template, language="zh-hans", subject="{{ first_name }}，春季特卖开始了",
                                   html='<p>{{ first_name }}，您好！<a href="https://shop.example.com/spring">查看特卖</a></p>',
                                   text="{{ first_name }}，您好！查看特卖：https://shop.example.com/spring")
    return Campaign.objects.create(name="Spring", segment=segment, template=template, relevant_for_hours=24 * 30)


def peer(n):
    """Django's send_mass_mail of n plain messages over one SMTP connection."""
    from django.core.mail import send_mass_mail

    started = time.perf_counter()
    send_mass_mail([(f"Spring is here, C{i}", f"Hello C{i}", "shop@example.com", [f"c{i}@example.com"]) for i in range(n)])
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--data-dir", default="/tmp/guanxi-bench-send")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    setup_environment(args, port)
    from guanxi.campaigns import outbox, services

    started = time.perf_counter()
    campaign = make_audience(args.recipients)
    setup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    queued = services.queue_campaign(campaign)
    queue_seconds = time.perf_counter() - started
    started = time.perf_counter()
    counts = outbox.send_due(batch=args.batch)
    send_seconds = time.perf_counter() - started
    peer_seconds = peer(args.recipients)
    received, _ = server.communicate("stop\n", timeout=60)
    shares = {part: round(100 * seconds / send_seconds, 1) for part, seconds in counts.seconds.items()}
    shares["bookkeeping"] = round(100 - sum(shares.values()), 1)
    print(json.dumps({
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": "postgresql" if args.database_url else "sqlite",
        "recipients": args.recipients, "audience_setup_s": round(setup_seconds, 1),
        "queue_s": round(queue_seconds, 2), "queued": queued,
        "outbox": {"sent": counts.sent, "seconds": round(send_seconds, 1),
                   "messages_per_s": round(counts.sent / send_seconds, 1), "share_of_time_pct": shares},
        "peer_send_mass_mail": {"seconds": round(peer_seconds, 1), "messages_per_s": round(args.recipients / peer_seconds, 1)},
        "smtp_server_received": int(received.strip().splitlines()[-1]),
    }, indent=2))


if __name__ == "__main__":
    main()
