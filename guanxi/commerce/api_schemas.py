"""What the API answers about products and orders. Money is a decimal string."""

from datetime import datetime
from decimal import Decimal

from ninja import Schema


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str | None
    price: Decimal | None
    currency: str
    source: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_category(obj):
        return obj.category.name if obj.category_id else None


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class OrderLineOut(Schema):
    line_no: int
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal | None
    amount: Decimal


class ReturnOut(Schema):
    return_id: str
    sku: str | None
    quantity: int
    amount: Decimal
    currency: str
    returned_at: datetime
    reason: str
    status: str

    @staticmethod
    def resolve_return_id(obj):
        return obj.external_id

    @staticmethod
    def resolve_sku(obj):
        return obj.order_line.sku if obj.order_line_id else None


class OrderSummaryOut(Schema):
    id: int
    source: str
    order_id: str
    customer: int
    ordered_at: datetime
    currency: str
    total: Decimal
    status: str
    channel: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_order_id(obj):
        return obj.external_id

    @staticmethod
    def resolve_customer(obj):
        return obj.customer_id


class OrderPage(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class OrderOut(OrderSummaryOut):
    customer_id: str | None
    customer_email: str
    lines: list[OrderLineOut]
    returns: list[ReturnOut]

    @staticmethod
    def resolve_customer_id(obj):
        # The shop's own id for the customer, in the order's source.
        ids = [e.external_id for e in obj.customer.external_ids.all() if e.source == obj.source]
        return ids[0] if ids else None

    @staticmethod
    def resolve_customer_email(obj):
        return obj.customer.primary_email

    @staticmethod
    def resolve_lines(obj):
        return obj.lines.all()

    @staticmethod
    def resolve_returns(obj):
        return obj.returns.all()
