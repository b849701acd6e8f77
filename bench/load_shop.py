"""Load a generated shop straight into Guanxi's tables with bulk SQL.

    .venv/bin/python bench/load_shop.py SHOP_DIR --data-dir DIR [--database-url postgres://...] [--json]

`guanxi import` checks and matches every row (~5k rows/s): ten million orders
would take hours, so benchmarks of what comes after the import (the analysis)
load the generator's files (CSV or Parquet) directly. DuckDB reads them and
shapes the rows the importer would write -- same ids scheme, every NOT NULL
column filled (Django defaults are not database defaults), customer order
figures as `refresh_order_figures` computes them -- then SQLite gets them
through ADBC's bulk ingest and PostgreSQL through COPY.

Loaded: customers, categories, products, orders, order lines, returns. Left out,
because the analysis reads none of them: events, contact points, tags, external
ids and timeline entries. The target must be freshly migrated (this script runs
`guanxi migrate`) and its shop tables empty.

Ids: customer C0000042 gets id 42, order O000000042 id 42, the n-th product,
order line and return of the files id n; categories are numbered by name. Work
goes in batches of customers (`--batch`), so memory stays bounded at any size;
secondary indexes and (PostgreSQL) foreign keys are dropped during the load and
rebuilt at the end, which is far cheaper than maintaining them row by row.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "shop"  # settings.DEFAULT_SOURCE: what `guanxi import` stamps on rows
TABLES = ("customers_customer", "commerce_category", "commerce_product", "commerce_order",
          "commerce_orderline", "commerce_return")


# --- where the rows go --------------------------------------------------------------------

def guanxi_env(data_dir, database_url=None) -> dict:
    """The environment a `guanxi` command needs to use this database (and nothing in var/)."""
    env = dict(os.environ, GUANXI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="guanxi.settings")
    env.pop("GUANXI_DATABASE_URL", None)
    if database_url:
        env["GUANXI_DATABASE_URL"] = database_url
    return env


def recreate_postgres(url):
    """Drop and create the benchmark's PostgreSQL database (a fresh start each run)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def migrate(env):
    """Create the schema the way the application does, so the load fills real tables."""
    subprocess.run([sys.executable, "-m", "guanxi.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)


class SQLiteTarget:
    """Bulk writes into the embedded SQLite file.

    No journal and no fsync during the load (a crash means re-running it, the file
    is scratch until then); WAL, which the application expects, is restored at the end.
    """

    vendor = "sqlite"

    def __init__(self, path):
        # Only ADBC's SQLite touches the file in this process: two copies of the
        # library on one file break each other's locks (sqlite.org/howtocorrupt.html).
        from adbc_driver_sqlite import dbapi

        self.con = dbapi.connect(str(path), autocommit=True)  # no open transaction: pragmas may switch modes
        self.cur = self.con.cursor()
        # DELETE first (WAL would copy every new page into the -wal file), then no journal at all.
        for pragma in ("journal_mode=DELETE", "journal_mode=OFF", "synchronous=OFF", "cache_size=-262144",
                       "foreign_keys=OFF"):
            self._run(f"PRAGMA {pragma}")
        self.indexes = []

    def _run(self, sql):
        self.cur.execute(sql)
        return self.cur.fetchall() if self.cur.description else []

    def count(self, table):
        return self._run(f'SELECT COUNT(*) FROM "{table}"')[0][0]

    def drop_indexes(self):
        """Remember and drop the secondary indexes (UNIQUE ones belong to the tables and stay)."""
        names = ", ".join(f"'{t}'" for t in TABLES)
        self.indexes = self._run("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                 f"AND tbl_name IN ({names})")
        for name, _sql in self.indexes:
            self._run(f'DROP INDEX "{name}"')

    def begin(self):
        self._run("BEGIN")

    def write(self, table, rows: pa.Table):
        self.cur.adbc_ingest(table, rows, mode="append")

    def commit(self):
        self._run("COMMIT")

    def finish(self):
        for _name, sql in self.indexes:
            self._run(sql)
        self._run("PRAGMA journal_mode=WAL")  # what the application runs with
        self.cur.close()
        self.con.close()


class PostgresTarget:
    """COPY into PostgreSQL, with secondary indexes and foreign keys rebuilt afterwards
    (a deferred foreign key would queue one check per row until commit)."""

    vendor = "postgresql"

    def __init__(self, url):
        import psycopg

        self.con = psycopg.connect(url)
        self.saved = []

    def _run(self, sql, params=None):
        cur = self.con.execute(sql, params)
        return cur.fetchall() if cur.description else []

    def count(self, table):
        return self._run(f'SELECT COUNT(*) FROM "{table}"')[0][0]

    def drop_indexes(self):
        """Drop foreign keys, then non-unique indexes; keep their definitions to recreate."""
        tables = list(TABLES)
        keys = self._run("SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                         "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)", [tables])
        indexes = self._run("SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                            "WHERE t.relname = ANY(%s) AND NOT x.indisprimary AND NOT x.indisunique", [tables])
        for table, name, definition in keys:
            self._run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            self.saved.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in indexes:
            self._run(f'DROP INDEX "{name}"')
            self.saved.insert(0, definition)  # indexes first: they speed up the key checks
        self.con.commit()

    def begin(self):
        pass  # psycopg opens a transaction on the first statement

    def write(self, table, rows: pa.Table):
        buffer = io.BytesIO()
        # Every value quoted, NULL unquoted: PostgreSQL's CSV then tells '' from NULL.
        pa_csv.write_csv(rows, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="all_valid"))
        columns = ", ".join(f'"{c}"' for c in rows.column_names)
        with self.con.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)') as copy:
            copy.write(buffer.getbuffer())

    def commit(self):
        self.con.commit()

    def finish(self):
        for statement in self.saved:
            self._run(statement)
        for table in TABLES:  # ids were given explicitly: move the identity sequences past them
            self._run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(MAX(id), 1)) FROM \"{table}\"")
        self.con.commit()
        self.con.autocommit = True
        self._run("ANALYZE")  # what autovacuum would soon do on a live database
        self.con.close()


def open_target(data_dir, database_url):
    if database_url:
        return PostgresTarget(database_url)
    return SQLiteTarget(Path(data_dir) / "guanxi.sqlite3")


# --- what goes in -------------------------------------------------------------------------

def _dialect(vendor, loaded_at):
    """SQL snippets for DuckDB that give each value the form the target stores.

    Django on SQLite keeps datetimes as UTC text 'YYYY-MM-DD HH:MM:SS' and
    decimals as numbers; PostgreSQL gets exact decimals and timestamps with zone.
    """
    zone = "+00" if vendor == "postgresql" else ""

    def ts(column):
        return f"strftime(CAST({column} AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S{zone}')"

    def money(expression):
        return f"CAST({expression} AS {'DECIMAL(16,2)' if vendor == 'postgresql' else 'DOUBLE'})"

    now = f"'{loaded_at.strftime('%Y-%m-%d %H:%M:%S')}{zone}'"
    return ts, money, now


class Shop:
    """The generator's files seen through DuckDB, one batch of customers at a time."""

    def __init__(self, directory, vendor, memory_limit="2GB"):
        self.dir = Path(directory)
        self.db = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
        self.db.execute("SET TimeZone = 'UTC'")
        self.ts, self.money, self.now = _dialect(vendor, datetime.now(UTC))
        self.db.execute(f"CREATE TABLE products AS SELECT file_row_number + 1 AS id, * FROM {self._read('products')}")
        self.db.execute("CREATE TABLE categories AS SELECT row_number() OVER (ORDER BY category) AS id, category AS name "
                        "FROM (SELECT DISTINCT category FROM products WHERE category <> '')")

    def _read(self, name):
        parquet = self.dir / f"{name}.parquet"
        if parquet.exists():
            return f"read_parquet('{parquet}', file_row_number = true)"
        # CSV: number the rows in file order (one thread keeps that order).
        return (f"(SELECT row_number() OVER () - 1 AS file_row_number, * FROM "
                f"read_csv('{self.dir / f'{name}.csv'}', header = true, all_varchar = true, parallel = false))")

    def _arrow(self, sql, params=None):
        return self.db.sql(sql, params=params).to_arrow_table()

    def catalogue(self):
        categories = self._arrow("SELECT id, name FROM categories ORDER BY id")
        price = self.money("NULLIF(p.price, '')")
        products = self._arrow(
            f"SELECT p.id, p.sku, p.name, {price} AS price, p.currency, "
            f"'{SOURCE}' AS source, '' AS import_hash, {self.now} AS created_at, {self.now} AS updated_at, "
            "c.id AS category_id FROM products p LEFT JOIN categories c ON c.name = p.category ORDER BY p.id")
        return {"commerce_category": categories, "commerce_product": products}

    def batch_bounds(self, size):
        """Customer ids (text) that start each batch; ids are fixed-width, so text order is id order."""
        firsts = self.db.execute(f"SELECT customer_id FROM {self._read('customers')} "
                                 f"WHERE file_row_number % {int(size)} = 0 ORDER BY file_row_number").fetchall()
        bounds = [row[0] for row in firsts]
        return list(zip(bounds, bounds[1:] + [None]))

    def batch(self, first, stop):
        """Customers first <= id < stop (stop None: to the end), their orders, lines and returns."""
        self._stage_lines(*_id_range("customer_id", first, stop))
        return {"customers_customer": self._customers(*_id_range("c.customer_id", first, stop)), "commerce_order": self._orders(),
                "commerce_orderline": self._lines(), "commerce_return": self._returns()}

    def _stage_lines(self, where, params):
        """This batch's order-file rows, numbered within their order (the importer's line_no)."""
        self.db.execute(
            "CREATE OR REPLACE TEMP TABLE bl AS SELECT *, file_row_number + 1 AS line_id, "
            "CAST(substr(order_id, 2) AS BIGINT) AS order_pk, CAST(substr(customer_id, 2) AS BIGINT) AS customer_pk, "
            "row_number() OVER (PARTITION BY order_id ORDER BY file_row_number) AS line_no "
            f"FROM {self._read('orders')} WHERE {where}", params)

    def _customers(self, where, params):
        ts, money, now = self.ts, self.money, self.now
        return self._arrow(f"""
            WITH figures AS (
                SELECT customer_pk, COUNT(*) AS order_count, SUM(CAST(total AS DECIMAL(16,2))) AS total_spent,
                       MIN(CAST(ordered_at AS TIMESTAMPTZ)) AS first_at, MAX(CAST(ordered_at AS TIMESTAMPTZ)) AS last_at
                FROM bl WHERE line_no = 1 AND status <> 'cancelled' GROUP BY customer_pk)
            SELECT CAST(substr(c.customer_id, 2) AS BIGINT) AS id, c.first_name, c.last_name, c.full_name,
                   COALESCE(NULLIF(c.gender, ''), 'unknown') AS gender, NULLIF(c.birthday, '') AS birthday,
                   c.occupation,
                   CAST(to_json(list_filter(list_transform(regexp_split_to_array(c.interests, '[;,|]'), lambda x: trim(x)),
                                            lambda x: x <> '')) AS VARCHAR) AS interests,
                   c.locale, c.country, c.time_zone, c.currency, '{SOURCE}' AS source,
                   {ts("NULLIF(c.created_at, '')")} AS joined_at,
                   COALESCE(f.order_count, 0) AS order_count, {money('COALESCE(f.total_spent, 0)')} AS total_spent,
                   {ts('f.first_at')} AS first_order_at, {ts('f.last_at')} AS last_order_at,
                   '' AS import_hash, {now} AS created_at, {now} AS updated_at
            FROM {self._read('customers')} c LEFT JOIN figures f ON f.customer_pk = CAST(substr(c.customer_id, 2) AS BIGINT)
            WHERE {where} ORDER BY id""", params)

    def _orders(self):
        return self._arrow(f"""
            SELECT order_pk AS id, '{SOURCE}' AS source, order_id AS external_id, {self.ts('ordered_at')} AS ordered_at,
                   currency, {self.money('total')} AS total, COALESCE(NULLIF(status, ''), 'paid') AS status,
                   COALESCE(NULLIF(channel, ''), 'web') AS channel, '' AS import_hash,
                   {self.now} AS created_at, {self.now} AS updated_at, customer_pk AS customer_id
            FROM bl WHERE line_no = 1 ORDER BY id""")

    def _lines(self):
        return self._arrow(f"""
            SELECT l.line_id AS id, l.line_no, l.sku, l.product_name,
                   COALESCE(CAST(NULLIF(l.quantity, '') AS BIGINT), 1) AS quantity,
                   {self.money("NULLIF(l.unit_price, '')")} AS unit_price, l.order_pk AS order_id, p.id AS product_id
            FROM bl l LEFT JOIN products p ON p.sku = l.sku ORDER BY l.line_id""")

    def _returns(self):
        """Returns of this batch's orders, tied to the order's first line with the same SKU."""
        low, high = self.db.execute("SELECT MIN(order_id), MAX(order_id) FROM bl").fetchall()[0]
        return self._arrow(f"""
            SELECT r.file_row_number + 1 AS id, '{SOURCE}' AS source, r.return_id AS external_id,
                   COALESCE(CAST(NULLIF(r.quantity, '') AS BIGINT), 1) AS quantity, {self.money('r.amount')} AS amount,
                   r.currency, {self.ts('r.returned_at')} AS returned_at, r.reason,
                   COALESCE(NULLIF(r.status, ''), 'refunded') AS status, '' AS import_hash,
                   CAST(substr(r.order_id, 2) AS BIGINT) AS order_id,
                   (SELECT MIN(l.line_id) FROM bl l WHERE l.order_id = r.order_id AND l.sku = r.sku) AS order_line_id
            FROM {self._read('returns')} r WHERE r.order_id BETWEEN ? AND ? ORDER BY id""", [low, high])


def _id_range(column, first, stop):
    """(SQL condition, parameters) for first <= column < stop; stop None is open-ended."""
    if stop is None:
        return f"{column} >= ?", [first]
    return f"{column} >= ? AND {column} < ?", [first, stop]


# --- the load -----------------------------------------------------------------------------

def load(shop_dir, data_dir, database_url=None, batch=50_000, progress=True, migrated=False) -> dict:
    """Migrate (unless done already), then fill the shop tables; returns row counts and seconds per phase."""
    started = time.perf_counter()
    if not migrated:
        migrate(guanxi_env(data_dir, database_url))
    target = open_target(data_dir, database_url)
    busy = [t for t in TABLES if target.count(t)]
    if busy:
        raise SystemExit(f"load_shop: {', '.join(busy)} already hold rows; load into a fresh database")
    shop = Shop(shop_dir, target.vendor)
    timings = {"migrate": time.perf_counter() - started}
    target.drop_indexes()
    rows = {t: 0 for t in TABLES}
    clock = time.perf_counter()
    _write(target, shop.catalogue(), rows)
    bounds = shop.batch_bounds(batch)
    for number, (first, stop) in enumerate(bounds, start=1):
        _write(target, shop.batch(first, stop), rows)
        if progress:
            print(f"  batch {number}/{len(bounds)}: {rows['commerce_order']:,} orders so far "
                  f"({time.perf_counter() - clock:.0f} s)", file=sys.stderr, flush=True)
    timings["rows"] = time.perf_counter() - clock
    clock = time.perf_counter()
    target.finish()
    timings["indexes"] = time.perf_counter() - clock
    timings["total"] = time.perf_counter() - started
    return {"vendor": target.vendor, "rows": rows, "seconds": {k: round(v, 1) for k, v in timings.items()}}


def _write(target, tables, rows):
    """One transaction per batch: parents before children, as the foreign keys read."""
    target.begin()
    for table, data in tables.items():
        if data.num_rows:
            target.write(table, data)
        rows[table] += data.num_rows
    target.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shop_dir", help="a `guanxi generate` output directory (CSV or Parquet)")
    parser.add_argument("--data-dir", required=True, help="GUANXI_DATA_DIR: holds guanxi.sqlite3 (SQLite)")
    parser.add_argument("--database-url", help="PostgreSQL URL (GUANXI_DATABASE_URL); default the SQLite file")
    parser.add_argument("--batch", type=int, default=50_000, help="customers per batch (default 50,000)")
    parser.add_argument("--skip-migrate", action="store_true", help="the database is migrated already")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    summary = load(args.shop_dir, args.data_dir, args.database_url, args.batch, progress=not args.json,
                   migrated=args.skip_migrate)
    if args.json:
        print(json.dumps(summary))
        return
    rows = summary["rows"]
    total = sum(rows.values())
    print(f"{summary['vendor']}: {total:,} rows in {summary['seconds']['total']:.1f} s "
          f"({total / max(summary['seconds']['rows'], 1e-9):,.0f} rows/s while writing)")
    for table, count in rows.items():
        print(f"  {table:<20} {count:>12,}")
    print("  seconds:", summary["seconds"])


if __name__ == "__main__":
    main()
