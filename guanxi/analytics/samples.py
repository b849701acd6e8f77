"""Load a generated shop (`guanxi generate` CSV or Parquet output) straight into
the engine's Arrow tables, without a database.

Used by the engine's own tests and by the benchmarks, where importing millions
of rows first would measure the importer instead of the analytics. Ids become
integers in file order (C0000001 -> 1, the n-th product in products.csv -> n).
"""

from pathlib import Path

import pyarrow.csv

from guanxi.analytics import schema
from guanxi.analytics.engine import DuckDBEngine

_DAY = "CAST(datediff('day', DATE '1970-01-01', CAST(CAST({col} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE)) AS INTEGER)"


def _reader(directory: Path, name: str) -> str:
    parquet = directory / f"{name}.parquet"
    if parquet.exists():
        return f"read_parquet('{parquet}')"
    return f"read_csv('{directory / f'{name}.csv'}', header=true, all_varchar=true)"


def _customer_number(col: str) -> str:
    return f"CAST(substr({col}, 2) AS BIGINT)"


def shop_from_generator(directory) -> schema.Shop:
    """Read customers, products, orders and returns of a generated shop."""
    directory = Path(directory)
    engine = DuckDBEngine()
    run = engine.connection.sql
    run(f"CREATE TABLE p AS SELECT row_number() OVER () AS product_id, sku, category FROM {_reader(directory, 'products')}")
    run("CREATE TABLE c AS SELECT row_number() OVER (ORDER BY category) AS category_id, category FROM (SELECT DISTINCT category FROM p)")
    run(
        f"CREATE TABLE l AS SELECT {_customer_number('o.order_id')} AS order_id, {_customer_number('o.customer_id')} AS customer_id, "
        f"{_DAY.format(col='o.ordered_at')} AS day, CAST(o.total AS DOUBLE) AS total, o.status, o.currency, o.sku, "
        f"CAST(o.quantity AS INTEGER) AS quantity, CAST(o.quantity AS INTEGER) * CAST(o.unit_price AS DOUBLE) AS amount "
        f"FROM {_reader(directory, 'orders')} o"
    )
    run(
        f"CREATE TABLE r AS SELECT {_customer_number('r.order_id')} AS order_id, r.sku, CAST(r.amount AS DOUBLE) AS amount, "
        f"{_DAY.format(col='r.returned_at')} AS day, r.status FROM {_reader(directory, 'returns')} r"
    )
    orders = run(
        "SELECT o.order_id, any_value(o.customer_id) AS customer_id, any_value(o.day) AS day, any_value(o.total) AS amount, "
        "COALESCE(any_value(rf.refunded), 0.0) AS refunded, any_value(o.status) AS status, "
        "any_value(o.currency) AS currency FROM l o "
        "LEFT JOIN (SELECT order_id, SUM(amount) AS refunded FROM r WHERE status = 'refunded' GROUP BY order_id) rf "
        "ON rf.order_id = o.order_id GROUP BY o.order_id ORDER BY o.order_id"
    ).to_arrow_table()
    lines = run(
        "SELECT l.order_id, l.customer_id, l.day, p.product_id, c.category_id, l.quantity, l.amount FROM l "
        "LEFT JOIN p ON p.sku = l.sku LEFT JOIN c ON c.category = p.category ORDER BY l.order_id"
    ).to_arrow_table()
    # Lines are unique per (order, sku): the generator merges repeated products.
    returns = run(
        "SELECT r.order_id, l.customer_id, p.product_id, r.day, r.amount FROM r "
        "JOIN l ON l.order_id = r.order_id AND l.sku = r.sku LEFT JOIN p ON p.sku = r.sku ORDER BY r.order_id"
    ).to_arrow_table()
    customers = run(
        f"SELECT {_customer_number('customer_id')} AS customer_id, {_DAY.format(col='created_at')} AS created_day, "
        f"CAST(NULLIF(birthday, '') AS DATE) AS birthday, country FROM {_reader(directory, 'customers')} ORDER BY 1"
    ).to_arrow_table()
    products = run("SELECT p.product_id, c.category_id FROM p JOIN c USING (category) ORDER BY 1").to_arrow_table()
    return schema.Shop(
        orders=orders.cast(schema.ORDERS),
        lines=lines.cast(schema.LINES),
        returns=returns.cast(schema.RETURNS),
        customers=customers.cast(schema.CUSTOMERS),
        products=products.cast(schema.PRODUCTS),
    )


def product_ids(directory) -> dict:
    """sku -> product_id as `shop_from_generator` numbers them."""
    skus = pyarrow.csv.read_csv(Path(directory) / "products.csv").column("sku").to_pylist()
    return {sku: number for number, sku in enumerate(skus, start=1)}
