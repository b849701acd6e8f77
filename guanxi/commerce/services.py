"""Commerce workflows that touch several models."""

from django.db.models import Count, Max, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order
from guanxi.customers.models import Customer


def refresh_order_figures(customer_ids):
    """Recompute order count, spend and first/last order stored on these customers.

    One UPDATE with correlated subqueries per chunk: the database does the
    arithmetic, so a batch of thousands of customers costs a few statements.
    Cancelled orders do not count. Spend adds order totals as recorded; mixing
    currencies is left to the reporting-currency work (see docs/architecture.md).
    """
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        orders = Order.objects.filter(customer=OuterRef("pk")).exclude(status=OrderStatus.CANCELLED)
        per_customer = orders.order_by().values("customer")
        Customer.objects.filter(pk__in=chunk).update(
            order_count=Coalesce(Subquery(per_customer.annotate(n=Count("pk")).values("n")), Value(0)),
            total_spent=Coalesce(Subquery(per_customer.annotate(s=Sum("total")).values("s")), Value(0)),
            first_order_at=Subquery(per_customer.annotate(m=Min("ordered_at")).values("m")),
            last_order_at=Subquery(per_customer.annotate(m=Max("ordered_at")).values("m")),
        )
