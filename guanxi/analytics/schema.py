"""The Arrow tables the engine reads, and the day numbers it counts in.

Dates are whole days since 1970-01-01 in the shop's time zone (`int32`), so the
feature SQL needs nothing but integer arithmetic and runs unchanged on DuckDB
and Spark. Money is `float64` as recorded: the models are statistical, cents do
not matter to them, and the stored scores round to cents. Orders carry their
currency, so the dashboard figures (`dashboard.py`) are kept per currency and
converted only when shown.
"""

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

EPOCH = date(1970, 1, 1)

# Order statuses that count as a purchase; "pending" is unpaid and "cancelled"
# never happened (commerce.choices.OrderStatus).
PURCHASE_STATUSES = ("paid", "fulfilled", "refunded", "partially_refunded")
UNPAID_STATUS = "pending"

ORDERS = pa.schema(
    [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("day", pa.int32()),
        ("amount", pa.float64()),  # order total
        ("refunded", pa.float64()),  # refunds booked against it (0 when none)
        ("status", pa.string()),
        ("currency", pa.string()),  # ISO 4217 code of `amount` and `refunded`
    ]
)
LINES = pa.schema(
    [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("day", pa.int32()),
        ("product_id", pa.int64()),  # null when the line names no known product
        ("category_id", pa.int64()),  # null when the product has no category
        ("quantity", pa.int32()),
        ("amount", pa.float64()),
    ]
)
RETURNS = pa.schema(
    [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("product_id", pa.int64()),
        ("day", pa.int32()),
        ("amount", pa.float64()),
    ]
)
CUSTOMERS = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("created_day", pa.int32()),
        ("birthday", pa.date32()),  # null when unknown
        ("country", pa.string()),  # ISO-2, "" when unknown
    ]
)
PRODUCTS = pa.schema([("product_id", pa.int64()), ("category_id", pa.int64())])


def day_number(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def day_date(number: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(number))


@dataclass
class Shop:
    """Everything the engine reads about one shop, as Arrow tables."""

    orders: pa.Table
    lines: pa.Table
    returns: pa.Table
    customers: pa.Table
    products: pa.Table

    def tables(self) -> dict:
        return {name: getattr(self, name) for name in ("orders", "lines", "returns", "customers", "products")}


def empty_shop() -> Shop:
    return Shop(*(schema.empty_table() for schema in (ORDERS, LINES, RETURNS, CUSTOMERS, PRODUCTS)))
