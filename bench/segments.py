"""Benchmark: segment previews and the customer page on a million customers.

    .venv/bin/python bench/segments.py [--sqlite-dir DIR] [--database-url URL --pg-dir DIR]
                                       [--only sqlite|postgresql] [--pages 200] [--runs 5] [--seed 11]
                                       [--explain] [--json]

Needs databases already loaded and analysed (bench/analyze.py's shop: 1,000,000
customers, 10M orders, scores stored). For each database, in a child process of
its own (settings are read when Django starts):
1. `guanxi migrate`, then add what the bulk loader leaves out, idempotently and
   set-based: one primary e-mail contact point per customer (consent granted
   for a deterministic ~60 %) and the tags VIP (~5 %) and gold (~10 %);
2. five representative segments (SEGMENTS below): `services.preview()` timed,
   one warm-up then --runs runs (best and median), with the count it finds;
   the peer in the same run is materialising the same definition -- the save's
   first refresh (every member inserted) and a second refresh with nothing to
   change, the nightly cost -- and the floor is the preview of the empty
   definition, every customer's figures in one pass;
3. the customer page through Django's test client as a logged-in admin:
   --pages random customers (seeded), one request each after a few warm-up
   pages; server time of the whole request (middleware, queries, template),
   no network; p50 / p95 / max, and queries per page on a second pass.

Windows are counted back from the stored analysis' day (its `as_of`, noon), not
from today, so a re-run next month finds the same customers.

The issue's aims: every preview under 1 s, the customer page's p95 under 150 ms.
Every figure is wall time on a shared machine: the load average is printed
before and after each database.
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from load_shop import guanxi_env  # bench/ is on sys.path when a bench script runs

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = Path("/tmp/guanxi-bench-segments")
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:55432/guanxi_bench_segments"
AIM_PREVIEW_SECONDS = 1.0
AIM_PAGE_P95_MS = 150
BENCH_PREFIX = "bench: "  # segments this script saves (and deletes again)

# Deterministic pseudo-random picks by customer id (multiplicative hashes,
# a different one each, so consent, VIP and gold are independent of each other).
CONSENT_GRANTED = "(c.id * 2654435761) %% 100 < 60"
TAGGED = {"VIP": "(c.id * 40503) %% 97 < 5", "gold": "(c.id * 69069) %% 89 < 9"}
CATEGORY = "skincare"  # the generator's categories are named by what they sell


def segments(category_id):
    """The five representative definitions, as the builder would send them."""
    return {
        "issue example": {"match": "all", "rules": [
            {"field": "tags", "op": "has_any", "value": ["VIP", "gold"]},
            {"field": "country", "op": "in", "value": ["CN", "TW"]},
            {"field": "p_alive", "op": "gt", "value": 0.6},
            {"field": "last_order", "op": "before_days", "value": 60},
            {"field": "bought_category", "op": "bought", "value": [category_id]},
            {"field": "consent", "op": "granted", "value": "email"}]},
        "champions or loyal": {"match": "all", "rules": [
            {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}]},
        "win-back": {"match": "all", "rules": [
            {"field": "churn_band", "op": "in", "value": ["high", "medium"]},
            {"field": "clv", "op": "gte", "value": 100},
            {"field": "consent", "op": "granted", "value": "email"}]},
        "recent big spenders": {"match": "all", "rules": [
            {"field": "orders_in_window", "op": "gte", "value": 2, "days": 90},
            {"field": "spent_in_window", "op": "gte", "value": 500, "days": 365}]},
        "occasion or refill, zh": {"match": "all", "rules": [
            {"match": "any", "rules": [
                {"field": "occasion", "op": "within_next_days", "value": [], "days": 30},
                {"field": "replenishment", "op": "within_next_days", "value": 14}]},
            {"field": "language", "op": "in", "value": ["zh"]}]},
    }


# --- the parent: one child per database, then the table -----------------------------------

def load_average():
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def run_database(name, env, args) -> dict:
    """Migrate, then measure in a child process; returns its figures (or {"error": ...})."""
    started = time.perf_counter()
    migrated = subprocess.run([sys.executable, "-m", "guanxi.cli", "migrate", "-v0"], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=False)
    if migrated.returncode:
        return {"error": "migrate failed: " + migrated.stderr.strip()[-2000:]}
    migrate_seconds = time.perf_counter() - started
    before = load_average()
    print(f"{name}: migrated in {migrate_seconds:.1f} s; load average before: {before} ...", file=sys.stderr, flush=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--pages", str(args.pages),
               "--runs", str(args.runs), "--seed", str(args.seed), "--limit", str(args.limit)] + (["--explain"] if args.explain else [])
    child = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    after = load_average()
    print(f"{name}: load average after: {after}", file=sys.stderr, flush=True)
    if child.returncode:
        return {"error": f"child exited with {child.returncode}", "load_before": before, "load_after": after}
    return {**json.loads(child.stdout.strip().splitlines()[-1]), "migrate_seconds": migrate_seconds,
            "load_before": before, "load_after": after}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite-dir", default=str(DATA / "sqlite"))
    parser.add_argument("--database-url", default=DEFAULT_PG_URL, help="PostgreSQL database, loaded and analysed")
    parser.add_argument("--pg-dir", default=str(DATA / "pg"), help="GUANXI_DATA_DIR to use with --database-url")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--pages", type=int, default=200, help="random customers whose page is timed")
    parser.add_argument("--runs", type=int, default=5, help="timed previews per segment, after one warm-up")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--limit", type=int, default=120, help="seconds a save or refresh may take (PostgreSQL)")
    parser.add_argument("--explain", action="store_true", help="print each preview's query plan (to stderr)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args)))
        return
    databases = {"sqlite": guanxi_env(args.sqlite_dir), "postgresql": guanxi_env(args.pg_dir, args.database_url)}
    results = {"machine": machine(), "pages": args.pages, "runs": args.runs, "seed": args.seed, "databases": {}}
    for name, env in databases.items():
        if args.only in (None, name):
            results["databases"][name] = run_database(name, env, args)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_results(results)


# --- the child: prepare, preview, materialise, pages ---------------------------------------

def measure(args) -> dict:
    import django

    django.setup()
    from django.db import connection

    prepared = add_contacts_and_tags()
    now = analysis_noon()
    category = category_id(CATEGORY)
    figures = {"vendor": connection.vendor, "version": database_version(), "prepared": prepared,
               "now": now.isoformat(), "category": {"id": category, "name": CATEGORY}, "segments": {}}
    for name, definition in [("all customers (floor)", {"match": "all", "rules": []}), *segments(category).items()]:
        log(f"  {name} ...")
        if args.explain:
            explain(definition, now)
        row = time_preview(definition, now, args.runs)
        if definition["rules"]:
            row |= time_materialise(name, definition, now, args.limit)
        figures["segments"][name] = row
    figures["page"] = time_customer_pages(args.pages, args.seed)
    return figures


def log(text):
    print(text, file=sys.stderr, flush=True)


def analysis_noon():
    """Noon of the stored analysis' day: the moment windows and upcoming dates count from."""
    from datetime import datetime
    from datetime import time as clock

    from django.utils import timezone

    from guanxi.insights.choices import RunStatus
    from guanxi.insights.models import AnalysisRun

    run = AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-pk").first()
    return timezone.make_aware(datetime.combine(run.as_of, clock(12)))


def category_id(name):
    from guanxi.commerce.models import Category

    return Category.objects.get(name=name).pk


def database_version():
    import sqlite3

    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return "PostgreSQL " + cursor.fetchone()[0]


def add_contacts_and_tags() -> dict:
    """One primary e-mail per customer and the VIP / gold tags, for those who lack them.

    INSERT ... SELECT over customers_customer: a re-run adds nothing. Django's
    defaults are not database defaults, so every NOT NULL column is filled here."""
    from django.db import connection, transaction
    from django.utils import timezone

    from guanxi.customers.models import Tag

    started, now, added = time.perf_counter(), timezone.now(), {}
    email = "'c' || c.id || '@example.com'" if connection.vendor == "sqlite" else "'c' || c.id::text || '@example.com'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_contactpoint (customer_id, kind, value, is_primary, consent, consent_updated_at, "
            f"bounced_at, created_at) SELECT c.id, 'email', {email}, %s, "
            f"CASE WHEN {CONSENT_GRANTED} THEN 'granted' ELSE 'unknown' END, NULL, NULL, %s FROM customers_customer c "
            "WHERE NOT EXISTS (SELECT 1 FROM customers_contactpoint p WHERE p.customer_id = c.id AND p.kind = 'email')",
            [True, now])
        added["contact_points"] = cursor.rowcount
        for name, picked in TAGGED.items():
            tag, _created = Tag.objects.get_or_create(name=name)
            cursor.execute(
                f"INSERT INTO customers_customer_tags (customer_id, tag_id) SELECT c.id, %s FROM customers_customer c "
                f"WHERE {picked} AND NOT EXISTS (SELECT 1 FROM customers_customer_tags t "
                "WHERE t.customer_id = c.id AND t.tag_id = %s)", [tag.pk, tag.pk])
            added[f"tag {name}"] = cursor.rowcount
    if connection.vendor == "postgresql" and any(added.values()):
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give them soon after
            cursor.execute("ANALYZE customers_contactpoint, customers_customer_tags, customers_tag")
    log(f"  prepared in {time.perf_counter() - started:.1f} s: {added}")
    return {"added": added, "seconds": time.perf_counter() - started}


def time_preview(definition, now, runs) -> dict:
    from guanxi.segments.services import preview

    figures = preview(definition, now)  # warm-up: the first run reads pages from disk
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        preview(definition, now)
        seconds.append(time.perf_counter() - started)
    return {"customers": figures.customers, "revenue": float(figures.revenue), "clv": figures.clv,
            "preview_best": min(seconds), "preview_median": statistics.median(seconds), "preview_all": seconds}


def time_materialise(name, definition, now, limit) -> dict:
    """Save as a segment (the first refresh inserts every member), refresh once more
    (nothing changes: the nightly cost), then delete it again. Each step gets
    `limit` seconds on PostgreSQL (statement_timeout): a step cancelled there is
    reported as such, not waited for."""
    from guanxi.segments.services import refresh_segment, save_segment

    delete_bench_segments()
    figures = {}
    segment = save_segment(name=BENCH_PREFIX + name, definition=definition, refresh=False)
    for step in ("save", "refresh"):
        started = time.perf_counter()
        try:
            with statement_limit(limit):
                refresh = refresh_segment(segment, now=now)
        except Exception as error:  # noqa: BLE001 -- a benchmark reports a failed step and goes on
            figures[f"{step}_seconds"], figures[f"{step}_error"] = None, f"{type(error).__name__}: {str(error).strip()[:200]}"
            break
        figures[f"{step}_seconds"] = time.perf_counter() - started
        if step == "save":
            figures["materialised"] = refresh.size
        elif refresh.entered or refresh.left:
            figures["refresh_error"] = f"changed on an unchanged shop: +{refresh.entered} -{refresh.left}"
    delete_bench_segments()
    return figures


@contextmanager
def statement_limit(seconds):
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{int(seconds)}s'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def delete_bench_segments():
    """Members and changes first, each in one DELETE (Segment.delete() would collect them in Python)."""
    from guanxi.segments.models import Segment, SegmentChange, SegmentMembership, SegmentRefresh

    mine = Segment.objects.filter(name__startswith=BENCH_PREFIX)
    for model in (SegmentChange, SegmentMembership, SegmentRefresh):
        model.objects.filter(segment__in=mine)._raw_delete(model.objects.db)
    mine.delete()


def explain(definition, now):
    """The preview's own query (captured as it runs) and its plan, to stderr."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guanxi.segments.services import preview

    with CaptureQueriesContext(connection) as captured:
        preview(definition, now)
    sql = captured.captured_queries[-1]["sql"]  # the aggregate; reference checks come first
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        plan = "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())
    log(f"    SQL: {sql}\n    plan:\n      " + plan.replace("\n", "\n      "))


def time_customer_pages(pages, seed) -> dict:
    """The customer page of `pages` random customers; each timed once (a cold-ish
    page, as a merchant clicking through a list gets), after a few warm-up pages."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from guanxi.accounts.services import create_user
    from guanxi.customers.models import Customer

    client = Client()
    client.force_login(create_user("bench-segments", "bench-password-1"))
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    picked = random.Random(seed).sample(ids, pages + 5)
    warm_up, picked = picked[:5], picked[5:]
    for pk in warm_up:
        assert client.get(reverse("customers:detail", args=[pk])).status_code == 200
    times, statuses = [], set()
    for pk in picked:
        url = reverse("customers:detail", args=[pk])
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    queries = []
    for pk in picked[:20]:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("customers:detail", args=[pk]))
        queries.append(len(captured))
    ordered = sorted(times)
    return {"pages": len(times), "statuses": sorted(statuses), "p50_ms": statistics.median(times),
            "p95_ms": ordered[max(0, round(0.95 * len(ordered)) - 1)], "max_ms": ordered[-1],
            "mean_ms": statistics.fmean(times), "queries_min": min(queries), "queries_max": max(queries)}


# --- printing -----------------------------------------------------------------------------

def machine() -> str:
    cpu = _first_line_with("/proc/cpuinfo", "model name").split(":", 1)[-1].strip() or platform.processor()
    ram = int(_first_line_with("/proc/meminfo", "MemTotal").split()[1])
    return f"{cpu}, {os.cpu_count()} cores, {ram / 1024 ** 2:.0f} GiB RAM, Python {platform.python_version()}"


def _first_line_with(path, prefix):
    with open(path, encoding="utf-8") as handle:
        return next((line for line in handle if line.startswith(prefix)), "")


def _seconds(row, step):
    if row.get(f"{step}_seconds") is not None:
        return f"{row[f'{step}_seconds']:.2f}"
    return "failed" if f"{step}_error" in row else "-"


def print_results(results):
    databases = {name: figures for name, figures in results["databases"].items()}
    print(f"machine: {results['machine']}")
    for name, figures in databases.items():
        if "error" in figures:
            print(f"{name}: FAILED: {figures['error']}")
            continue
        print(f"{name}: {figures['version']}; windows counted from {figures['now']}; category {figures['category']}; "
              f"prepared {figures['prepared']['added']} in {figures['prepared']['seconds']:.1f} s; "
              f"load average before {figures['load_before']}, after {figures['load_after']}")
    measured = {n: f for n, f in databases.items() if "error" not in f}
    if not measured:
        return
    print(f"\npreview: best / median of {results['runs']} after a warm-up, seconds; peer: save (first refresh "
          "inserts every member) / refresh again (no change)")
    header = f"{'segment':24}" + "".join(f"{'customers':>11}{name + ' preview':>24}{'save / refresh':>18}"
                                         for name in measured)
    print(header)
    names = list(next(iter(measured.values()))["segments"])
    for segment in names:
        line = f"{segment:24}"
        for figures in measured.values():
            row = figures["segments"][segment]
            peer = " / ".join(_seconds(row, step) for step in ("save", "refresh")) if "save_seconds" in row else ""
            line += f"{row['customers']:>11,}{row['preview_best']:>13.3f} / {row['preview_median']:.3f}{peer:>18}"
        print(line)
    for name, figures in measured.items():
        for segment, row in figures["segments"].items():
            for step in ("save", "refresh"):
                if f"{step}_error" in row:
                    print(f"  {name}, {segment}, {step}: {row[f'{step}_error']}")
    print(f"\ncustomer page, {results['pages']} random customers (seed {results['seed']}), server time in ms:")
    print(f"{'':24}" + "".join(f"{name:>18}" for name in measured))
    for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("max_ms", "max"), ("mean_ms", "mean")):
        print(f"{label:24}" + "".join(f"{f['page'][key]:>18.1f}" for f in measured.values()))
    print(f"{'queries per page':24}" + "".join(f"{f['page']['queries_min']:>14}-{f['page']['queries_max']:<3}"
                                                for f in measured.values()))
    print(f"{'HTTP statuses':24}" + "".join(f"{f['page']['statuses']!s:>18}" for f in measured.values()))
    for name, figures in measured.items():
        slowest = max(row["preview_best"] for row in figures["segments"].values())
        print(f"aims on {name}: every preview under {AIM_PREVIEW_SECONDS:g} s -> "
              f"{'met' if slowest < AIM_PREVIEW_SECONDS else 'NOT met'} (slowest best {slowest:.3f} s); "
              f"page p95 under {AIM_PAGE_P95_MS} ms -> "
              f"{'met' if figures['page']['p95_ms'] < AIM_PAGE_P95_MS else 'NOT met'} ({figures['page']['p95_ms']:.1f} ms)")


if __name__ == "__main__":
    main()
