"""Small factories for commerce tests."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from guanxi.commerce.choices import Channel, OrderStatus, ReturnStatus
from guanxi.commerce.models import Category, Order, OrderLine, Product, Return
from guanxi.commerce.services import refresh_order_figures

_numbers = itertools.count(1000)


def make_category(name="Tea"):
    return Category.objects.get_or_create(name=name)[0]


def make_product(sku=None, name="Oolong tea 250 g", category=None, price="88.00", currency="CNY"):
    return Product.objects.create(sku=sku or f"SKU-{next(_numbers)}", name=name, category=category,
                                  price=Decimal(price) if price is not None else None, currency=currency)


def make_order(customer, external_id=None, *, total="100.00", ordered_at=None, days_ago=None, status=OrderStatus.PAID,
               channel=Channel.WEB, source="shop", currency="CNY", products=(), refresh=True):
    """An order with one line per product (or one anonymous line); refreshes the customer's figures."""
    if ordered_at is None:
        ordered_at = timezone.now() - timedelta(days=days_ago or 0)
    order = Order.objects.create(customer=customer, external_id=external_id or f"SO-{next(_numbers)}", source=source,
                                 ordered_at=ordered_at, currency=currency, total=Decimal(total), status=status,
                                 channel=channel)
    for number, product in enumerate(products or [None], start=1):
        OrderLine.objects.create(order=order, line_no=number, product=product, sku=product.sku if product else "GIFT",
                                 product_name=product.name if product else "Gift card", quantity=1,
                                 unit_price=Decimal(total) / max(1, len(products)))
    if refresh:
        refresh_order_figures([customer.pk])
        customer.refresh_from_db()
    return order


def make_return(order, external_id=None, amount="50.00", reason="Too small", status=ReturnStatus.REFUNDED):
    return Return.objects.create(order=order, external_id=external_id or f"RT-{next(_numbers)}", source=order.source,
                                 amount=Decimal(amount), currency=order.currency, returned_at=timezone.now(),
                                 reason=reason, status=status, order_line=order.lines.first())
