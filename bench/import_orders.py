"""Benchmark: import order lines through Guanxi's importer vs a raw bulk load.

    python3 -m uv run python bench/import_orders.py --lines 1000000 [--pg postgres://postgres@127.0.0.1:55432/postgres]

Generates a synthetic shop with about --lines order lines, then for each
database: (a) `guanxi import products` + `guanxi import orders` in a fresh
database (a subprocess, so its peak memory is measured on its own), and
(b) the raw baseline: the same order-line rows loaded into one plain table with
sqlite3 `executemany` (SQLite) or `COPY` (PostgreSQL). Prints rows/s for both
and the ratio. Nothing is mocked; numbers go into docs/benchmarks.md.
"""

import argparse
import csv
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINES_PER_CUSTOMER = 5.8  # what the generator's default parameters give


def make_shop(lines, folder):
    """Generate in a child process: the bench process stays small, and the
    imports it starts do not inherit its peak memory (Linux keeps ru_maxrss
    across exec)."""
    customers = max(100, int(lines / LINES_PER_CUSTOMER))
    subprocess.run([sys.executable, "-m", "guanxi.cli", "generate", "--customers", str(customers), "--seed", "7",
                    "--out", str(folder), "--no-progress"], check=True, capture_output=True,
                   env=dict(os.environ, DJANGO_SETTINGS_MODULE="guanxi.settings", GUANXI_DATA_DIR=str(folder.parent / "gen")))
    return folder / "orders.csv"


def guanxi_import(orders_csv, env):
    """Migrate a fresh database and import products then orders; returns (seconds, rows, peak MiB, summary)."""
    run = lambda *args: subprocess.run([sys.executable, "-m", "guanxi.cli", *args], env=env, check=True, capture_output=True, text=True)
    run("migrate", "-v0")
    run("import_data", "products", str(orders_csv.parent / "products.csv"), "--json")
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "guanxi.cli", "import_data", "orders", str(orders_csv), "--json", "--no-progress"],
                             env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"import failed with status {status}")
    summary = json.loads(output.strip().splitlines()[-1])
    return seconds, summary["read"], usage.ru_maxrss / 1024, summary


def raw_sqlite(orders_csv, path):
    con = sqlite3.connect(path)
    with open(orders_csv, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        con.execute(f"CREATE TABLE lines ({', '.join(h + ' TEXT' for h in header)})")
        started = time.perf_counter()
        con.executemany(f"INSERT INTO lines VALUES ({', '.join('?' * len(header))})", reader)
        con.commit()
    return time.perf_counter() - started


def raw_postgres(orders_csv, url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        header = orders_csv.open(encoding="utf-8").readline().strip().split(",")
        con.execute("DROP TABLE IF EXISTS bench_lines")
        con.execute(f"CREATE TABLE bench_lines ({', '.join(h + ' text' for h in header)})")
        started = time.perf_counter()
        with con.cursor().copy("COPY bench_lines FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, open(orders_csv, "rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        con.execute("DROP TABLE bench_lines")
    return seconds


def fresh_pg_database(url, name):
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def report(label, ours, rows, raw, peak):
    ratio = (rows / ours) / (rows / raw)
    print(f"{label:<11} guanxi import: {rows:>9,} lines in {ours:7.1f} s = {rows / ours:>9,.0f} rows/s (peak {peak:,.0f} MiB) | "
          f"raw baseline: {raw:6.2f} s = {rows / raw:>10,.0f} rows/s | ratio {ratio:.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--pg", help="PostgreSQL URL of a maintenance database (e.g. .../postgres)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        orders_csv = make_shop(args.lines, tmp / "shop")
        env = dict(os.environ, GUANXI_DATA_DIR=str(tmp / "sqlite"), DJANGO_SETTINGS_MODULE="guanxi.settings")
        env.pop("GUANXI_DATABASE_URL", None)
        seconds, rows, peak, summary = guanxi_import(orders_csv, env)
        print("sqlite summary:", summary)
        report("SQLite", seconds, rows, raw_sqlite(orders_csv, tmp / "raw.sqlite3"), peak)
        if args.pg:
            env_pg = dict(env, GUANXI_DATA_DIR=str(tmp / "pg"), GUANXI_DATABASE_URL=fresh_pg_database(args.pg, "guanxi_bench"))
            seconds, rows, peak, summary = guanxi_import(orders_csv, env_pg)
            print("postgres summary:", summary)
            report("PostgreSQL", seconds, rows, raw_postgres(orders_csv, env_pg["GUANXI_DATABASE_URL"]), peak)


if __name__ == "__main__":
    main()
