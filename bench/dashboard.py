"""Benchmark: server time of the dashboard on a million customers, against
computing the same KPI cards live from the orders table.

    .venv/bin/python bench/dashboard.py --data-dir /tmp/guanxi-bench-segments/sqlite
    .venv/bin/python bench/dashboard.py --data-dir /tmp/guanxi-bench-segments/pg \\
        --database-url postgres://postgres@127.0.0.1:55432/guanxi_bench_segments

1. `guanxi migrate reports`, then `guanxi analyze --no-progress --as-of <last order day>`
   in a subprocess (skipped with --reuse-analysis when the latest run already
   holds dashboard figures): wall time, and the report's "dashboard" step;
2. in this process, Django's test client renders /reports/ for each period and
   reporting currency: `--requests` requests each after one warm-up, p50 and p95
   of the server time (the whole request: middleware, queries, plotly figures,
   template);
3. the baseline: the KPI cards of a period (current and previous window: known
   customers, active, new, repeat, retained, orders and revenue per currency)
   computed live with GROUP BY queries on commerce_order, `--baseline-repeats`
   times each (default once: minutes on SQLite): what every page view would cost
   without the pre-aggregation.

A USD exchange rate is added for the run (and removed afterwards) so conversion
is part of the measured work. Prints one JSON object.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERIODS = ["7d", "30d", "365d", "{month}", "{year}"]
CURRENCIES = ["CNY", "USD"]


def guanxi(env, *args) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "guanxi.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if done.returncode:
        sys.exit(f"guanxi {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, done.stdout


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
            "max_ms": round(ordered[-1], 1)}


def last_order_day(connection) -> date:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(ordered_at) FROM commerce_order")
        value = cursor.fetchone()[0]
    return (value if isinstance(value, datetime) else datetime.fromisoformat(str(value))).date()


PURCHASE = "status IN ('paid', 'fulfilled', 'refunded', 'partially_refunded')"
MONEY_SQL = (
    "SELECT o.currency, COUNT(*), SUM(o.total - COALESCE(r.refunded, 0)) FROM commerce_order o "
    "LEFT JOIN (SELECT order_id, SUM(amount) AS refunded FROM commerce_return WHERE status = 'refunded' "
    f"GROUP BY order_id) r ON r.order_id = o.id WHERE o.{PURCHASE} AND o.ordered_at >= %s AND o.ordered_at < %s "
    "GROUP BY o.currency"
)


def live_kpis(connection, start: date, end: date) -> dict:
    """One window's KPI figures straight from the orders table (days in UTC)."""
    days = (end - start).days + 1
    before = (start - timedelta(days=days), start - timedelta(days=1))
    bounds = lambda a, b: (datetime.combine(a, datetime.min.time()), datetime.combine(b + timedelta(days=1), datetime.min.time()))
    window, previous = bounds(start, end), bounds(*before)
    active = f"SELECT DISTINCT customer_id FROM commerce_order WHERE {PURCHASE} AND ordered_at >= %s AND ordered_at < %s"
    queries = {
        "customers": ("SELECT COUNT(*) FROM customers_customer WHERE COALESCE(joined_at, created_at) < %s",
                      [window[1]]),
        "active": (f"SELECT COUNT(*) FROM ({active}) a", list(window)),
        "new": ((f"SELECT COUNT(*) FROM (SELECT customer_id, MIN(ordered_at) AS first FROM commerce_order "
                 f"WHERE {PURCHASE} GROUP BY customer_id) f WHERE first >= %s AND first < %s"), list(window)),
        "repeat_buyers": ((f"SELECT COUNT(*) FROM (SELECT customer_id FROM commerce_order WHERE {PURCHASE} AND "
                           "ordered_at < %s GROUP BY customer_id HAVING COUNT(*) >= 2 AND MAX(ordered_at) >= %s) r"),
                          [window[1], window[0]]),
        # One scan over both windows: PostgreSQL plans a join of two DISTINCT subqueries as a
        # nested loop (minutes); SQLite's figure below was measured with that join form.
        "retained": ((f"SELECT COUNT(*) FROM (SELECT customer_id FROM commerce_order WHERE {PURCHASE} "
                      "AND ordered_at >= %s AND ordered_at < %s GROUP BY customer_id "
                      "HAVING MIN(ordered_at) < %s AND MAX(ordered_at) >= %s) r"),
                     [previous[0], window[1], window[0], window[0]]),
        "money": (MONEY_SQL, list(window)),
    }
    figures = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in queries.items():
            cursor.execute(sql, params)
            figures[name] = cursor.fetchall()
    return figures


def baseline(connection, start, end, repeats) -> dict:
    """Live KPI cards of the window and the one before it, `repeats` times."""
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        live_kpis(connection, start, end)
        previous_end = start - timedelta(days=1)
        live_kpis(connection, previous_end - (end - start), previous_end)
        samples.append((time.perf_counter() - began) * 1000)
    return percentiles(samples)


def analyse(env, as_of, reuse) -> dict:
    # Only this app's tables: other apps' migrations on the shared bench database are theirs to apply.
    guanxi(env, "migrate", "reports", "-v0")
    if reuse:
        return {"reused": True}
    seconds, _ = guanxi(env, "analyze", "--no-progress", "--as-of", as_of.isoformat())
    return {"wall_seconds": round(seconds, 1), "as_of": as_of.isoformat()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--requests", type=int, default=50)
    # One live computation takes minutes on SQLite at 10M orders.
    parser.add_argument("--baseline-repeats", type=int, default=1)
    parser.add_argument("--reuse-analysis", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, GUANXI_DATA_DIR=str(Path(args.data_dir).resolve()), DJANGO_SETTINGS_MODULE="guanxi.settings")
    env.pop("GUANXI_DATABASE_URL", None)
    if args.database_url:
        env["GUANXI_DATABASE_URL"] = args.database_url
    os.environ.update(env)
    if not args.database_url:
        os.environ.pop("GUANXI_DATABASE_URL", None)
    load_before = os.getloadavg()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from guanxi.accounts.choices import Role
    from guanxi.accounts.services import create_user
    from guanxi.insights.services import latest_run
    from guanxi.reports.models import ExchangeRate

    run = latest_run()
    reuse = args.reuse_analysis and run is not None and "dashboard" in run.report
    analysis = analyse(env, last_order_day(connection), reuse)
    run = latest_run()
    if run is None or "dashboard" not in run.report:
        sys.exit("the analysis left no dashboard figures")
    analysis.update(steps=run.report.get("timings", {}), report_kib=round(len(json.dumps(run.report)) / 1024, 1),
                    dashboard_kib=round(len(json.dumps(run.report["dashboard"])) / 1024, 1))

    as_of = run.as_of
    keys = [key.format(month=as_of.strftime("%Y-%m"), year=as_of.year) for key in PERIODS]
    user = create_user("bench-dashboard", "bench-dashboard-password", Role.MARKETING)
    added_rate = not ExchangeRate.objects.filter(currency="USD").exists()
    if added_rate:
        ExchangeRate.objects.create(currency="USD", rate="7.2")
    client = Client()
    client.force_login(user)
    pages = {}
    try:
        for key in keys:
            for currency in CURRENCIES:
                query = {"period": key, "currency": currency}
                response = client.get("/reports/", query)
                assert response.status_code == 200, (query, response.status_code)
                samples = []
                for _ in range(args.requests):
                    began = time.perf_counter()
                    client.get("/reports/", query)
                    samples.append((time.perf_counter() - began) * 1000)
                pages[f"{key} {currency}"] = {**percentiles(samples), "kib": round(len(response.content) / 1024, 1)}
                print(key, currency, pages[f"{key} {currency}"], file=sys.stderr, flush=True)
        live = {}
        for key, days in (("30d", 30), ("365d", 365)):
            live[key] = baseline(connection, as_of - timedelta(days=days - 1), as_of, args.baseline_repeats)
            print("live", key, live[key], file=sys.stderr, flush=True)
    finally:
        if added_rate:
            ExchangeRate.objects.filter(currency="USD").delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM customers_customer")
        customers = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM commerce_order")
        orders = cursor.fetchone()[0]
    print(json.dumps({
        "database": connection.vendor, "customers": customers, "orders": orders,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": [round(v, 2) for v in load_before],
                    "load_after": [round(v, 2) for v in os.getloadavg()]},
        "analysis": analysis, "requests_per_variant": args.requests, "dashboard": pages,
        "baseline_live_kpis": live,
    }, indent=2))


if __name__ == "__main__":
    main()
