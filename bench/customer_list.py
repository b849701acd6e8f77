"""Benchmark: server time of the customer list and customer page on a large archive.

    python3 -m uv run python bench/customer_list.py --customers 300000 [--data-dir DIR]

Generates a shop, imports its customers into a fresh SQLite database (or reuses
--data-dir if it already holds one), then renders each page variant through
Django's test client (median of 5, after one warm-up) and, as a baseline, runs
the plain SQL a page must at least run: one indexed page of 51 customers.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGES = ["/customers/", "/customers/?q=%E7%8E%8B", "/customers/?q=wang", "/customers/?q=%2B8613",
         "/customers/?q=li%40", "/customers/?sort=name", "/customers/?sort=spent", "/customers/?tag=vip",
         "/customers/?page=500", "/customers/{first}/"]


def prepare(data_dir, customers):
    env = dict(os.environ, GUANXI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="guanxi.settings")
    env.pop("GUANXI_DATABASE_URL", None)
    if (data_dir / "guanxi.sqlite3").exists():
        return
    run = lambda *args: subprocess.run([sys.executable, "-m", "guanxi.cli", *args], env=env, check=True, capture_output=True)
    run("generate", "--customers", str(customers), "--seed", "5", "--out", str(data_dir / "shop"), "--no-progress")
    run("migrate", "-v0")
    run("import_data", "customers", str(data_dir / "shop" / "customers.csv"), "--no-progress")


def timed(fn, repeat=5):
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp())
    prepare(data_dir, args.customers)
    os.environ.update(GUANXI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="guanxi.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from guanxi.accounts.services import create_user
    from guanxi.customers.models import Customer

    client = Client()
    client.force_login(create_user("bench", "bench-password-1"))
    first = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    count = Customer.objects.count()

    def raw_page():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM customers_customer ORDER BY id DESC LIMIT 51")
            cursor.fetchall()

    print(f"{count:,} customers, SQLite; baseline (one indexed page of 51 rows, raw SQL): {timed(raw_page):.1f} ms")
    for page in PAGES:
        url = page.format(first=first)
        status = client.get(url).status_code
        print(f"{url:28} {status}  {timed(lambda: client.get(url)):7.1f} ms")


if __name__ == "__main__":
    main()
