"""Benchmark: one flow tick over N enrolments, most of them waiting.

    .venv/bin/python bench/flow_tick.py --enrolments 1000000
    .venv/bin/python bench/flow_tick.py --enrolments 200000 \\
        --database-url postgres://postgres@127.0.0.1:55432/guanxi_bench_flows

1. A fresh database (SQLite file in --data-dir, or the PostgreSQL URL, dropped and
   created) gets N customers and one ACTIVE flow "wait 1 day, send, wait 7 days"
   with N enrolments on its send step; --due-share of them are due now, the rest
   wait (bulk-created, not timed).
2. Baseline, in the same run: a naive per-enrolment loop (load the enrolment, its
   flow and template, get_or_create the message, create the step run, save the
   enrolment, one transaction each) over --sample due enrolments; and the naive
   way of finding due work (reading every active enrolment and checking its time).
3. `engine.tick()`: advances every other due enrolment (send + the next wait).
4. `engine.tick()` again a minute later: nothing is due.
Prints one JSON object (seconds, enrolments per second, and the baseline's rate
extrapolated to the same number of due enrolments).
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

from load_shop import recreate_postgres  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STEPS = [{"id": "s1", "kind": "wait", "days": 1}, {"id": "s2", "kind": "send", "template": None},
         {"id": "s3", "kind": "wait", "days": 7}]


def setup_environment(args):
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update({"GUANXI_DATA_DIR": str(data_dir), "GUANXI_SECRET_KEY": "bench-not-secret",
                       "DJANGO_SETTINGS_MODULE": "guanxi.settings"})
    if args.database_url:
        os.environ["GUANXI_DATABASE_URL"] = args.database_url
        recreate_postgres(args.database_url)
    else:
        os.environ.pop("GUANXI_DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"guanxi.sqlite3{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fast_insert(model, template, rows):
    """INSERT many rows of `model` with executemany: the `template` instance's values,
    overridden per row by `rows` ({field name: value}); bulk_create spends most of
    its time building model instances and was 80 s of the 200k setup."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    base = {f.name: f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    params = [[f.get_db_prep_save(row[f.name], connection) if f.name in row else base[f.name] for f in fields]
              for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def make_enrolments(n, due_share, now):
    from django.db import transaction

    from guanxi.campaigns.flows import engine
    from guanxi.campaigns.models import (
        Enrolment,
        Flow,
        MessageTemplate,
        TemplateContent,
    )
    from guanxi.customers.models import Customer

    template = MessageTemplate.objects.create(name="Reminder")
    TemplateContent.objects.create(template=template, language="en", subject="Hi {{ first_name }}", text="Hi")
    steps = [dict(s, template=template.pk) if s["kind"] == "send" else s for s in STEPS]
    flow = engine.activate(Flow.objects.create(name="Bench flow", trigger="customer_created", steps=steps,
                                               goal_order=False), now=now)
    due_every = max(1, round(1 / due_share)) if due_share else 0
    customer, enrolment = Customer(full_name=""), Enrolment(flow=flow, step="s2", path=["s1"], entered_at=now)
    with transaction.atomic():
        fast_insert(Customer, customer, ({"full_name": f"C{i}"} for i in range(n)))
        ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        fast_insert(Enrolment, enrolment, (
            {"customer": pk, "occurrence": f"customer:{pk}", "entered_at": now - dt.timedelta(days=1),
             "next_run_at": now - dt.timedelta(minutes=1) if due_every and i % due_every == 0
             else now + dt.timedelta(hours=1 + i % 24)} for i, pk in enumerate(ids)))
    # Activation moved the customer cursor before they existed: start it past them, as if they were enrolled by ticks.
    engine.activate(flow, now=now)
    return flow


def naive_advance(sample_ids, now):
    """The per-enrolment loop the engine replaces: a few queries and a transaction each."""
    from django.db import transaction

    from guanxi.campaigns.models import (
        Enrolment,
        Flow,
        Message,
        MessageTemplate,
        StepRun,
    )

    started = time.perf_counter()
    for pk in sample_ids:
        with transaction.atomic():
            enrolment = Enrolment.objects.get(pk=pk)
            flow = Flow.objects.get(pk=enrolment.flow_id)
            step = next(s for s in flow.steps if s["id"] == enrolment.step)
            template = MessageTemplate.objects.get(pk=step["template"])
            Message.objects.get_or_create(key=f"naive:{flow.pk}:e:{pk}:s:{step['id']}", defaults={
                "customer_id": enrolment.customer_id, "channel": template.channel, "purpose": template.purpose,
                "template": template, "flow": flow, "flow_step": step["id"], "not_before": now,
                "expires_at": now + dt.timedelta(hours=48)})
            StepRun.objects.create(enrolment=enrolment, step=step["id"], kind="send", outcome="done", at=now)
            StepRun.objects.create(enrolment=enrolment, step="s3", kind="wait", outcome="waiting", at=now)
            enrolment.step, enrolment.next_run_at = "", now + dt.timedelta(days=7)
            enrolment.path = [*enrolment.path, "s2", "s3"]
            enrolment.save()
    return time.perf_counter() - started


def naive_find_due(now):
    """Finding due work the naive way: read every active enrolment, check its time in Python."""
    from guanxi.campaigns.models import Enrolment

    started = time.perf_counter()
    due = [e.pk for e in Enrolment.objects.filter(status="active").only("pk", "next_run_at").iterator(chunk_size=5000)
           if e.next_run_at <= now]
    return time.perf_counter() - started, len(due)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.1, help="share of enrolments due at the measured tick")
    parser.add_argument("--sample", type=int, default=2000, help="due enrolments run by the naive baseline")
    parser.add_argument("--data-dir", default="/tmp/guanxi-bench-flows")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    setup_environment(args)
    from django.db import connection
    from django.utils import timezone

    from guanxi.campaigns.flows import engine
    from guanxi.campaigns.models import Enrolment, Message

    now = timezone.now()
    started = time.perf_counter()
    flow = make_enrolments(args.enrolments, args.due_share, now)
    setup_seconds = time.perf_counter() - started
    due_ids = list(Enrolment.objects.filter(flow=flow, next_run_at__lte=now).order_by("pk").values_list("pk", flat=True))
    sample = due_ids[:min(args.sample, len(due_ids) // 10)]  # the engine must still have most of them to do
    naive_seconds = naive_advance(sample, now)
    naive_scan_seconds, _found = naive_find_due(now)

    due_figures = engine.tick(now)
    idle_figures = engine.tick(now + dt.timedelta(minutes=1))
    advanced = due_figures["advanced"]
    naive_rate = len(sample) / naive_seconds if naive_seconds else 0
    print(json.dumps({
        "database": connection.vendor, "python": platform.python_version(), "enrolments": args.enrolments,
        "due": len(due_ids), "setup_seconds": round(setup_seconds, 1),
        "tick_due": {"seconds": due_figures["seconds"], "advanced": advanced, "messages": due_figures["messages"],
                     "enrolments_per_second": round(advanced / due_figures["seconds"]) if due_figures["seconds"] else None},
        "tick_nothing_due": {"seconds": idle_figures["seconds"], "advanced": idle_figures["advanced"]},
        "baseline_naive_loop": {"sample": len(sample), "seconds": round(naive_seconds, 3),
                                "enrolments_per_second": round(naive_rate),
                                "extrapolated_seconds_for_same_due": round(advanced / naive_rate, 1) if naive_rate else None},
        "baseline_naive_find_due_seconds": round(naive_scan_seconds, 3),
        "messages_total": Message.objects.count(),
    }, indent=2))


if __name__ == "__main__":
    main()
