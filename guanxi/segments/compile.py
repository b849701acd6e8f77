"""Turn a cleaned definition into one Django Q over customers, hence one SQL query.

Each rule becomes a condition on the customer row, on its score row (a join),
or `id IN (subquery)` over orders, order lines, tags or contact points. Counting
subqueries ("3 or more orders in the last 90 days") are written as
`id IN (... GROUP BY customer HAVING ...)`; when the condition also holds for
customers with no orders at all ("fewer than 2"), it is written the other way
round, "no customer in (... HAVING NOT ...)", so those customers are counted too.

Negations ("has none of", "did not buy", consent "not given") are NOT EXISTS
on PostgreSQL: it hashes a NOT IN list only while the list fits in work_mem
(4 MB by default, ~100k ids) and past that re-reads it for every customer,
which at a million customers does not finish; NOT EXISTS is an anti-join. On
SQLite they stay NOT IN: it builds the list once, where NOT EXISTS runs the
subquery per customer ("did not buy skincare" at 1M customers: 65 s against 27 s).

Windows are counted back from `now` (the moment of the preview or refresh);
upcoming dates forward from today in the shop's time zone.
"""

from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from guanxi.commerce.choices import OrderStatus
from guanxi.segments.fields import BY_NAME, Kind

# Orders that count as a purchase, as in the analytics (analytics.schema.PURCHASE_STATUSES,
# not imported: it would load pyarrow into every web process for four words).
PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED)

LOOKUPS = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def compile_definition(definition, now=None) -> Q:
    """The Q selecting the definition's customers (Customer.objects.filter(q))."""
    now = now or timezone.now()
    return _group(definition, now)


def _group(group, now) -> Q:
    parts = [(_group(item, now) if "rules" in item else compile_rule(item, now)) for item in group["rules"]]
    parts = [p for p in parts if p is not None]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if group["match"] == "all" else combined | part
    return combined


def compile_rule(rule, now) -> Q:
    spec = BY_NAME[rule["field"]]
    return COMPILERS[spec.kind](spec, rule, now)


def _compare(column, op, value) -> Q:
    if op == "between":
        return Q(**{f"{column}__gte": value[0], f"{column}__lte": value[1]})
    if op == "neq":
        return Q(**{f"{column}__isnull": False}) & ~Q(**{column: value})
    return Q(**{f"{column}__{LOOKUPS[op]}": value})


def _holds_for_zero(op, value) -> bool:
    """Whether a customer with no orders in the window (count 0, sum 0) matches."""
    if op == "between":
        return value[0] <= 0 <= value[1]
    return {"eq": 0 == value, "neq": 0 != value, "gt": 0 > value, "gte": 0 >= value,
            "lt": 0 < value, "lte": 0 <= value}[op]


def _number(spec, rule, now):
    return _compare(spec.column, rule["op"], rule["value"])


def _choice(spec, rule, now):
    if spec.name == "language":
        # "zh" matches "zh" and every "zh-..." locale.
        q = Q()
        for code in rule["value"]:
            q |= Q(locale__iexact=code) | Q(locale__istartswith=f"{code}-")
    else:
        q = Q(**{f"{spec.column}__in": rule["value"]})
    return ~q if rule["op"] == "not_in" else q


def _text(spec, rule, now):
    if rule["op"] == "equals":
        return Q(**{f"{spec.column}__iexact": rule["value"]})
    q = Q(**{f"{spec.column}__icontains": rule["value"]})
    return ~q if rule["op"] == "not_contains" else q


def _recency(spec, rule, now):
    op = rule["op"]
    if op in ("ever", "never"):
        return Q(**{f"{spec.column}__isnull": op == "never"})
    since = now - timedelta(days=rule["value"])
    return Q(**{f"{spec.column}__gte" if op == "within_days" else f"{spec.column}__lt": since})


def _upcoming(spec, rule, now):
    today = timezone.localdate(now)
    return Q(**{f"{spec.column}__gte": today, f"{spec.column}__lte": today + timedelta(days=rule["value"])})


def _occasion(spec, rule, now):
    today = timezone.localdate(now)
    q = Q(score__next_occasion_on__gte=today, score__next_occasion_on__lte=today + timedelta(days=rule["days"]))
    return q & Q(score__next_occasion__in=rule["value"]) if rule["value"] else q


def _tags(spec, rule, now):
    from guanxi.customers.models import Customer

    through = Customer.tags.through.objects
    if rule["op"] == "has_all":
        q = Q()
        for name in rule["value"]:
            q &= Q(pk__in=through.filter(tag__name=name).values("customer_id"))
        return q
    tagged = through.filter(tag__name__in=rule["value"])
    return _without(tagged, "customer_id") if rule["op"] == "has_none" else Q(pk__in=tagged.values("customer_id"))


def _consent(spec, rule, now):
    from guanxi.customers.choices import ConsentStatus
    from guanxi.customers.models import ContactPoint

    reachable = ContactPoint.objects.filter(kind=rule["value"], consent=ConsentStatus.GRANTED, bounced_at__isnull=True)
    return _without(reachable, "customer_id") if rule["op"] == "not_granted" else Q(pk__in=reachable.values("customer_id"))


def _window(aggregate):
    def compile_window(spec, rule, now):
        from guanxi.commerce.models import Order

        orders = Order.objects.filter(status__in=PURCHASE_STATUSES, ordered_at__gte=now - timedelta(days=rule["days"]))
        grouped = orders.values("customer_id").annotate(figure=aggregate)
        condition = _compare("figure", rule["op"], rule["value"])
        if _holds_for_zero(rule["op"], rule["value"]):
            return _without(grouped.filter(~condition), "customer_id")
        return Q(pk__in=grouped.filter(condition).values("customer_id"))

    return compile_window


def _bought(lines_filter):
    def compile_bought(spec, rule, now):
        from guanxi.commerce.models import OrderLine

        lines = OrderLine.objects.filter(order__status__in=PURCHASE_STATUSES, **lines_filter(rule["value"]))
        if rule.get("days"):
            lines = lines.filter(order__ordered_at__gte=now - timedelta(days=rule["days"]))
        if rule["op"] == "not_bought":
            return _without(lines, "order__customer_id")
        return Q(pk__in=lines.values("order__customer_id"))

    return compile_bought


def _without(queryset, customer_column) -> Q:
    """Customers with no row in `queryset`: NOT IN on SQLite, NOT EXISTS elsewhere (module docstring)."""
    if connection.vendor == "sqlite":
        return ~Q(pk__in=queryset.values(customer_column))
    return ~Q(Exists(queryset.filter(**{customer_column: OuterRef("pk")})))


def _products(skus):
    return {"product__sku__in": skus}


def _categories(ids):
    return {"product__category_id__in": with_subcategories(ids)}


def with_subcategories(ids) -> list:
    """The categories and every category below them (the tree is small: read it once)."""
    from guanxi.commerce.models import Category

    children = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, queue = set(ids), list(ids)
    while queue:
        for child in children.get(queue.pop(), []):
            if child not in found:
                found.add(child)
                queue.append(child)
    return sorted(found)


COMPILERS = {
    Kind.NUMBER: _number,
    Kind.CHOICE: _choice,
    Kind.TEXT: _text,
    Kind.RECENCY: _recency,
    Kind.UPCOMING: _upcoming,
    Kind.OCCASION: _occasion,
    Kind.TAG: _tags,
    Kind.CONSENT: _consent,
    Kind.WINDOW_COUNT: _window(Count("id")),
    Kind.WINDOW_AMOUNT: _window(Sum("total")),
    Kind.PRODUCT: _bought(_products),
    Kind.CATEGORY: _bought(_categories),
}
