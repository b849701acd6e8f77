"""Read the shop out of the database into the engine's Arrow tables, once.

ADBC drivers stream query results straight into Arrow (no Python objects per
row); DuckDB's own SQLite/PostgreSQL scanners would download extensions at run
time, which an offline shop cannot. Day numbers are computed in SQL with the same
integer formula on both databases: seconds since the epoch, shifted by the shop's
UTC offset (settings.TIME_ZONE, fixed at today's offset), divided by 86,400.

The ADBC connection is a second connection: it sees committed data only. On
SQLite it runs in a child process (`guanxi.analytics.sqlite_reader` says why).
"""

import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection

from guanxi.analytics import schema, sqlite_reader


def shop_utc_offset() -> int:
    """Seconds the shop's clock is ahead of UTC today (Asia/Shanghai: 28,800)."""
    return int(datetime.now(ZoneInfo(settings.TIME_ZONE)).utcoffset().total_seconds())


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def _day(column: str, offset: int) -> str:
    # Floor division: every date we meet is after 1970, so integer division floors.
    return f"(({_epoch(column)} + {offset}) / 86400)"


def _real(column: str) -> str:
    return f"CAST({column} AS {'DOUBLE PRECISION' if connection.vendor == 'postgresql' else 'REAL'})"


def queries(offset: int) -> dict:
    day, real = _day, _real
    return {
        "orders": f"""
            SELECT o.id AS order_id, o.customer_id, {day('o.ordered_at', offset)} AS day,
                   {real('o.total')} AS amount, COALESCE(r.refunded, 0.0) AS refunded, o.status
            FROM commerce_order o
            LEFT JOIN (SELECT order_id, SUM({real('amount')}) AS refunded FROM commerce_return
                       WHERE status = 'refunded' GROUP BY order_id) r ON r.order_id = o.id
            ORDER BY o.id""",
        "lines": f"""
            SELECT l.order_id, o.customer_id, {day('o.ordered_at', offset)} AS day, l.product_id,
                   p.category_id, l.quantity, {real('COALESCE(l.unit_price, 0)')} * l.quantity AS amount
            FROM commerce_orderline l JOIN commerce_order o ON o.id = l.order_id
            LEFT JOIN commerce_product p ON p.id = l.product_id
            WHERE o.status <> 'cancelled'
            ORDER BY l.order_id, l.line_no""",
        "returns": f"""
            SELECT r.order_id, o.customer_id, l.product_id, {day('r.returned_at', offset)} AS day,
                   {real('r.amount')} AS amount
            FROM commerce_return r JOIN commerce_order o ON o.id = r.order_id
            LEFT JOIN commerce_orderline l ON l.id = r.order_line_id
            WHERE r.status <> 'rejected'
            ORDER BY r.id""",
        "customers": f"""
            SELECT id AS customer_id, {day('created_at', offset)} AS created_day,
                   COALESCE(CAST(birthday AS TEXT), '') AS birthday, country
            FROM customers_customer ORDER BY id""",
        "products": "SELECT id AS product_id, category_id FROM commerce_product ORDER BY id",
    }


def _read_postgres(queries: dict) -> dict:
    from adbc_driver_postgresql import dbapi

    tables = {}
    with dbapi.connect(_postgres_uri(connection.settings_dict)) as adbc, adbc.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            tables[name] = cursor.fetch_arrow_table()
    return tables


def _read_sqlite(queries: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="guanxi-extract-") as out:
        done = subprocess.run(
            [sys.executable, "-m", "guanxi.analytics.sqlite_reader", str(connection.settings_dict["NAME"]), out],
            input=json.dumps(queries), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"reading the SQLite database failed: {done.stderr.strip()[-2000:]}")
        return sqlite_reader.load_files(Path(out), queries)


def _postgres_uri(config) -> str:
    from urllib.parse import quote

    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(config['NAME'], safe='')}"


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """Cast the driver's column types to the engine's.

    SQLite has no column types: the driver guesses from the first rows, so dates
    arrive as text ('' for none: a text column throughout) and all-null columns
    as int64.
    """
    columns = []
    for field in target:
        column = table.column(field.name)
        if column.null_count == len(column):
            column = pa.nulls(len(column), field.type)
        elif pa.types.is_date(field.type) and not pa.types.is_date(column.type):
            text = pc.if_else(pc.equal(column, ""), None, column)
            column = pc.cast(pc.strptime(text, format="%Y-%m-%d", unit="s"), field.type)
        elif field.type == pa.string() and column.null_count:
            column = pc.fill_null(column.cast(pa.string()), "")
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=target)


SCHEMAS = {"orders": schema.ORDERS, "lines": schema.LINES, "returns": schema.RETURNS,
           "customers": schema.CUSTOMERS, "products": schema.PRODUCTS}


def extract_shop() -> schema.Shop:
    """All five tables in one read-only pass over the database."""
    wanted = queries(shop_utc_offset())
    if connection.vendor == "postgresql":
        raw = _read_postgres(wanted)
    elif connection.vendor == "sqlite":
        raw = _read_sqlite(wanted)
    else:
        raise NotImplementedError(f"analytics extract: unsupported database {connection.vendor}")
    return schema.Shop(**{name: _conform(table, SCHEMAS[name]) for name, table in raw.items()})
