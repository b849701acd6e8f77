"""Read the shop out of the database into the engine's Arrow tables, once.

ADBC drivers stream query results straight into Arrow (no Python objects per
row); DuckDB's own SQLite/PostgreSQL scanners would download extensions at run
time, which an offline shop cannot. The database only filters and converts
(day numbers, money as floats); joins (a line's customer and day, an order's
refunds, a product's category) happen afterwards in DuckDB, which is much faster
at them than SQLite.

Day numbers are counted in the shop's time zone (settings.TIME_ZONE, at today's
UTC offset). On SQLite the reads run in two child processes side by side
(`guanxi.analytics.sqlite_child` says why a child process at all).
"""

import json
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection

from guanxi.analytics import schema, sqlite_child
from guanxi.analytics.engine import DuckDBEngine


def shop_utc_offset() -> int:
    """Seconds the shop's clock is ahead of UTC today (Asia/Shanghai: 28,800)."""
    return int(datetime.now(ZoneInfo(settings.TIME_ZONE)).utcoffset().total_seconds())


def _day(column: str, offset: int) -> str:
    """Whole days since 1970-01-01 in shop time (truncation floors: dates are after 1970)."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR((EXTRACT(EPOCH FROM {column}) + {offset}) / 86400) AS INTEGER)"
    # julianday parses SQLite's datetime text twice as fast as strftime('%s').
    return f"CAST(julianday({column}) - 2440587.5 + {offset / 86400!r} AS INTEGER)"


def _real(column: str) -> str:
    return f"CAST({column} AS {'DOUBLE PRECISION' if connection.vendor == 'postgresql' else 'REAL'})"


def queries(offset: int) -> dict:
    """Raw reads, in two groups of about equal weight (one child process each on SQLite)."""
    day, real = _day, _real
    orders_and_small = {
        "orders": f"SELECT id AS order_id, customer_id, {day('ordered_at', offset)} AS day, "
                  f"{real('total')} AS amount, status, currency FROM commerce_order",
        "refunds": f"SELECT order_id, SUM({real('amount')}) AS refunded FROM commerce_return "
                   "WHERE status = 'refunded' GROUP BY order_id",
        "returns": f"""SELECT r.order_id, l.product_id, {day('r.returned_at', offset)} AS day, {real('r.amount')} AS amount
                       FROM commerce_return r LEFT JOIN commerce_orderline l ON l.id = r.order_line_id
                       WHERE r.status <> 'rejected'""",
        # Text dates: a text column throughout ('' for none), whatever the first rows hold.
        # joined_at is the shop's own sign-up date; created_at when Guanxi first saw the customer.
        "customers": f"SELECT id AS customer_id, {day('COALESCE(joined_at, created_at)', offset)} AS created_day, "
                     "COALESCE(CAST(birthday AS TEXT), '') AS birthday, country FROM customers_customer",
        "products": "SELECT id AS product_id, category_id FROM commerce_product",
    }
    lines = {
        "lines": f"SELECT order_id, product_id, quantity, {real('COALESCE(unit_price, 0)')} * quantity AS amount "
                 "FROM commerce_orderline",
    }
    return {"orders": orders_and_small, "lines": lines}


def postgres_uri() -> str:
    """The URI of the database Django uses (its test database in tests), for ADBC."""
    from urllib.parse import quote

    config = connection.settings_dict
    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(config['NAME'], safe='')}"


def _read_postgres(groups: dict) -> dict:
    from adbc_driver_postgresql import dbapi

    tables = {}
    with dbapi.connect(postgres_uri()) as adbc, adbc.cursor() as cursor:
        for group in groups.values():
            for name, sql in group.items():
                cursor.execute(sql)
                tables[name] = cursor.fetch_arrow_table()
    return tables


def _read_sqlite(groups: dict) -> dict:
    database = str(connection.settings_dict["NAME"])
    with tempfile.TemporaryDirectory(prefix="guanxi-extract-") as out:
        children = [
            (subprocess.Popen(sqlite_child.command("read", database, out),
                              stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True), group)
            for group in groups.values()
        ]
        for child, group in children:
            _, errors = child.communicate(json.dumps(group))
            if child.returncode:
                raise RuntimeError(f"reading the SQLite database failed: {errors.strip()[-2000:]}")
        names = [name for group in groups.values() for name in group]
        return sqlite_child.load_files(Path(out), names)


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """Cast the driver's column types to the engine's.

    SQLite has no column types: the driver guesses from the first rows, so dates
    arrive as text ('' for none) and all-null columns as int64.
    """
    columns = []
    for field in target:
        column = table.column(field.name)
        if column.null_count == len(column):
            column = pa.nulls(len(column), field.type)
        elif pa.types.is_date(field.type) and not pa.types.is_date(column.type):
            text = pc.if_else(pc.equal(column, ""), None, column)
            column = pc.cast(pc.strptime(text, format="%Y-%m-%d", unit="s"), field.type)
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=target)


JOINS = {
    "orders": """SELECT o.order_id, o.customer_id, o.day, o.amount, COALESCE(r.refunded, 0.0) AS refunded, o.status,
                        o.currency
                 FROM orders o LEFT JOIN refunds r ON r.order_id = o.order_id""",
    "lines": """SELECT l.order_id, o.customer_id, o.day, l.product_id, p.category_id, l.quantity, l.amount
                FROM lines l JOIN orders o ON o.order_id = l.order_id
                LEFT JOIN products p ON p.product_id = l.product_id
                WHERE o.status <> 'cancelled'""",
    "returns": """SELECT r.order_id, o.customer_id, r.product_id, r.day, r.amount
                  FROM returns r JOIN orders o ON o.order_id = r.order_id""",
}
SCHEMAS = {"orders": schema.ORDERS, "lines": schema.LINES, "returns": schema.RETURNS,
           "customers": schema.CUSTOMERS, "products": schema.PRODUCTS}


def extract_shop() -> schema.Shop:
    """All five tables: raw reads from the database, joined in DuckDB."""
    groups = queries(shop_utc_offset())
    if connection.vendor == "postgresql":
        raw = _read_postgres(groups)
    elif connection.vendor == "sqlite":
        raw = _read_sqlite(groups)
    else:
        raise NotImplementedError(f"analytics extract: unsupported database {connection.vendor}")
    engine = DuckDBEngine()
    raw["products"] = _conform(raw["products"], schema.PRODUCTS)
    joined = {name: engine.query(sql, **raw) for name, sql in JOINS.items()}
    tables = {**joined, "customers": raw["customers"], "products": raw["products"]}
    return schema.Shop(**{name: _conform(table, SCHEMAS[name]) for name, table in tables.items()})
