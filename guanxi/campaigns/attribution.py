"""Which orders did messages bring? Last touch within the attribution window.

An order is credited to a message when the customer opened or clicked one of
their sent messages at most `attribution_days` before ordering. With several
touches the last one before the order wins; a click beats an open at the same
moment. Cancelled orders are never credited. The touch is found by one
correlated subquery per batch of orders (no query per order), and
`AttributedOrder.order` is unique, so running again credits nothing twice.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from guanxi.campaigns.choices import EventKind
from guanxi.campaigns.models import AttributedOrder, MessageEvent
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order

BATCH = 2000
TOUCHES = (EventKind.OPENED, EventKind.CLICKED)


def attribute_orders(since=None, now=None) -> int:
    """Credit every not yet credited order placed from `since` (all time if None) up to
    `now` to its last touch; returns how many orders were credited."""
    now = now or timezone.now()
    window = dt.timedelta(days=settings.GUANXI_MESSAGING["attribution_days"])
    orders = (Order.objects.exclude(status=OrderStatus.CANCELLED)
              .filter(attribution__isnull=True, ordered_at__lte=now, customer__in=_touched_customers(since, now, window))
              .annotate(touch_id=Subquery(_last_touch(window).values("id")[:1]))
              .exclude(touch_id=None).order_by("id"))
    if since is not None:
        orders = orders.filter(ordered_at__gte=since)
    credited, last_id = 0, 0
    while True:
        # Keyset pages: each page is a fresh query, so the rows written below never
        # disturb a cursor still being read (SQLite would see them).
        page = list(orders.filter(id__gt=last_id).values_list("id", "touch_id")[:BATCH])
        if not page:
            return credited
        touches = MessageEvent.objects.in_bulk([touch_id for _order, touch_id in page])
        AttributedOrder.objects.bulk_create(
            [AttributedOrder(order_id=order_id, message_id=touches[touch_id].message_id, touch=touches[touch_id].kind)
             for order_id, touch_id in page], ignore_conflicts=True)  # a concurrent run may have credited some
        credited += len(page)
        last_id = page[-1][0]


def _touched_customers(since, now, window):
    """Customers with any touch that could credit an order in the period: narrows the orders
    scanned to the few customers who read messages."""
    events = MessageEvent.objects.filter(kind__in=TOUCHES, at__lte=now, message__sent_at__isnull=False)
    if since is not None:
        events = events.filter(at__gte=since - window)
    return events.values("message__customer_id")


def _last_touch(window):
    """The order's last open or click of the customer's sent messages within the window."""
    return (MessageEvent.objects
            .filter(kind__in=TOUCHES, message__customer=OuterRef("customer"), message__sent_at__isnull=False,
                    at__lte=OuterRef("ordered_at"), at__gte=OuterRef("ordered_at") - window)
            .order_by("-at", Case(When(kind=EventKind.CLICKED, then=Value(0)), default=Value(1),
                                  output_field=IntegerField()), "-id"))


def message_revenue(messages) -> dict:
    """{"orders": n, "revenue": Decimal} credited to a queryset of messages (order totals
    as recorded, so a shop selling in several currencies should filter by currency first)."""
    figures = AttributedOrder.objects.filter(message__in=messages).aggregate(orders=Count("id"),
                                                                               revenue=Sum("order__total"))
    return {"orders": figures["orders"], "revenue": figures["revenue"] or Decimal(0)}
