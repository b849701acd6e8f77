"""Find who a flow's trigger enrols now, and enrol them set-based.

Event triggers read their source past the flow's cursor (`Flow.cursor`: the last
id seen per source, or the time read up to for abandonment), so each event is
looked at once; activation moves the cursors to "now" so history does not enrol.
Date triggers (birthday, occasion, holiday, replenishment) look at today's date
in the shop's zone once a day per flow (cursor "day"); their occurrence names
the date, so running them again the same day adds nobody.

Every candidate is (customer id, occurrence, context). The re-entry rule is
applied with one query per chunk, then `bulk_create(ignore_conflicts=True)`: the
unique (flow, customer, occurrence) constraint is what makes "once" a fact.
"""

import datetime as dt

from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from guanxi.campaigns.choices import EnrolmentStatus, ReEntry, Trigger
from guanxi.campaigns.flows.definition import Plan
from guanxi.campaigns.models import Enrolment, Flow, PriceChange
from guanxi.commerce.choices import EventType, OrderStatus
from guanxi.commerce.models import Event, Order
from guanxi.customers.models import Customer
from guanxi.insights.models import CustomerScore
from guanxi.segments.choices import Change
from guanxi.segments.models import SegmentChange

CHUNK = 1000
CART = (EventType.ADD_TO_CART, EventType.CHECKOUT_STARTED)
# How far back before an abandoned event the cart/browse context collects products.
CONTEXT_WINDOW = dt.timedelta(days=1)


def enrol(flow, now=None) -> int:
    """Enrol the customers the flow's trigger found since last time; returns how many."""
    now = now or timezone.now()
    return FINDERS[flow.trigger](flow, now)


# --- admitting candidates -------------------------------------------------

def admit(flow, candidates, now) -> int:
    """Enrol the candidates the re-entry rule lets in; returns how many rows were added."""
    allowed = _allowed(flow, candidates, now)
    if not allowed:
        return 0
    first = Plan.of(flow.steps).first or ""
    rows = [Enrolment(flow=flow, customer_id=customer, occurrence=occurrence[:80], context=context, step=first,
                      next_run_at=now, entered_at=now) for customer, occurrence, context in allowed]
    existing = Enrolment.objects.filter(flow=flow, customer_id__in={r.customer_id for r in rows},
                                        occurrence__in={r.occurrence for r in rows})
    before = existing.count()
    Enrolment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
    return existing.count() - before


def _allowed(flow, candidates, now):
    if flow.re_entry == ReEntry.ALWAYS or not candidates:
        return candidates
    customers = {c[0] for c in candidates}
    existing = Enrolment.objects.filter(flow=flow, customer_id__in=customers)
    if flow.re_entry == ReEntry.AFTER_EXIT:
        recent = Q(status=EnrolmentStatus.ACTIVE)
        if flow.re_entry_days:
            recent |= Q(finished_at__gt=now - dt.timedelta(days=flow.re_entry_days))
        existing = existing.filter(recent)
    blocked = set(existing.values_list("customer_id", flat=True))
    allowed = []
    for candidate in candidates:
        # One enrolment per customer per chunk too: the second would be blocked next time anyway.
        if candidate[0] not in blocked:
            blocked.add(candidate[0])
            allowed.append(candidate)
    return allowed


def _save_cursor(flow, **values):
    flow.cursor = {**(flow.cursor or {}), **values}
    Flow.objects.filter(pk=flow.pk).update(cursor=flow.cursor)


# --- cursors at activation -----------------------------------------------

def starting_cursor(flow, now) -> dict:
    """Cursors that make the flow start from now: existing orders, events... never enrol."""
    def top(queryset):
        return queryset.aggregate(top=Max("id"))["top"] or 0

    cursor = {}
    if flow.trigger == Trigger.ORDER_PLACED:
        cursor["order"] = top(Order.objects)
    elif flow.trigger == Trigger.CUSTOMER_CREATED:
        cursor["customer"] = top(Customer.objects)
    elif flow.trigger == Trigger.PRICE_DROP:
        cursor["price_change"] = top(PriceChange.objects)
    elif flow.trigger in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT):
        cursor["segment_change"] = top(SegmentChange.objects)
    elif flow.trigger in ABANDONMENT:
        source, _, default_idle = ABANDONMENT[flow.trigger]
        cursor[source] = (now - _idle(flow, default_idle)).isoformat()
    return cursor


# --- event triggers: by id cursor ----------------------------------------

def _by_cursor(flow, now, source, queryset, to_candidates):
    if source not in (flow.cursor or {}):
        # Active without activate() (e.g. set in the admin): start from now rather than enrol history.
        _save_cursor(flow, **{source: queryset.aggregate(top=Max("id"))["top"] or 0})
        return 0
    added, last = 0, flow.cursor[source]
    while rows := list(queryset.filter(id__gt=last).order_by("id")[:CHUNK]):
        added += admit(flow, to_candidates(rows), now)
        last = rows[-1]["id"]
        _save_cursor(flow, **{source: last})
    return added


def _orders(flow, now):
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED).values("id", "customer_id")
    return _by_cursor(flow, now, "order", orders,
                      lambda rows: [(r["customer_id"], f"order:{r['id']}", {"order": r["id"]}) for r in rows])


def _customers(flow, now):
    return _by_cursor(flow, now, "customer", Customer.objects.values("id"),
                      lambda rows: [(r["id"], f"customer:{r['id']}", {}) for r in rows])


def _segment_changes(flow, now):
    change = Change.ENTERED if flow.trigger == Trigger.SEGMENT_ENTERED else Change.LEFT
    segment = (flow.trigger_config or {}).get("segment")
    changes = SegmentChange.objects.filter(segment_id=segment, change=change).values("id", "customer_id")
    return _by_cursor(flow, now, "segment_change", changes,
                      lambda rows: [(r["customer_id"], f"segment:{r['id']}", {"segment": segment}) for r in rows])


def _price_drops(flow, now):
    days = dt.timedelta(days=(flow.trigger_config or {}).get("days", 30))
    drops = PriceChange.objects.filter(new_price__lt=F("old_price")).values(
        "id", "product_id", "product__sku", "old_price", "new_price", "at")

    def candidates(rows):
        found = []
        for row in rows:
            context = {"price_change": row["id"], "product": row["product_id"], "sku": row["product__sku"],
                       "old_price": str(row["old_price"]), "new_price": str(row["new_price"])}
            interested = (Event.objects.filter(product_id=row["product_id"], event_type__in=(EventType.VIEW, *CART),
                                               occurred_at__gte=row["at"] - days, occurred_at__lte=row["at"])
                          .values_list("customer_id", flat=True).distinct())
            found += [(customer, f"price:{row['id']}", context) for customer in interested]
        return found

    return _by_cursor(flow, now, "price_change", drops, candidates)


# --- abandonment: by time cursor -----------------------------------------

def _idle(flow, default):
    return dt.timedelta(hours=(flow.trigger_config or {}).get("idle_hours", default))


def _abandoned(flow, now):
    """The latest cart (or view) event per customer, idle for `idle_hours`, with nothing after it."""
    source, (kinds, stoppers), default_idle = ABANDONMENT[flow.trigger]
    if source not in (flow.cursor or {}):
        _save_cursor(flow, **starting_cursor(flow, now))
        return 0
    since, until = dt.datetime.fromisoformat(flow.cursor[source]), now - _idle(flow, default_idle)
    if until <= since:
        return 0
    later = Q(occurred_at__gt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    events = (Event.objects.filter(event_type__in=kinds, occurred_at__gt=since, occurred_at__lte=until)
              .exclude(Exists(Event.objects.filter(later, customer=OuterRef("customer"), event_type__in=kinds + stoppers)))
              .exclude(Exists(Order.objects.filter(customer=OuterRef("customer"), ordered_at__gte=OuterRef("occurred_at"))
                              .exclude(status=OrderStatus.CANCELLED)))
              .order_by("id").values("id", "customer_id", "occurred_at"))
    added, prefix = 0, "cart" if flow.trigger == Trigger.CART_ABANDONED else "browse"
    rows = list(events)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        products = _products_before(chunk, kinds)
        added += admit(flow, [(r["customer_id"], f"{prefix}:{r['id']}", {"event": r["id"], **products[r["id"]]})
                              for r in chunk], now)
    _save_cursor(flow, **{source: until.isoformat()})
    return added


def _products_before(events, kinds):
    """{event id: {"products": [ids], "skus": [...]}}: what the customer carted/viewed in the day before it."""
    by_customer = {e["customer_id"]: e for e in events}
    earliest = min(e["occurred_at"] for e in events) - CONTEXT_WINDOW
    found = {e["id"]: {"products": [], "skus": []} for e in events}
    rows = (Event.objects.filter(customer_id__in=by_customer, event_type__in=kinds, occurred_at__gte=earliest)
            .order_by("occurred_at", "id").values_list("customer_id", "occurred_at", "product_id", "sku"))
    for customer, at, product, sku in rows:
        event = by_customer[customer]
        bucket = found[event["id"]]
        if event["occurred_at"] - CONTEXT_WINDOW <= at <= event["occurred_at"]:
            if product and product not in bucket["products"]:
                bucket["products"].append(product)
            if sku and sku not in bucket["skus"]:
                bucket["skus"].append(sku)
    return found


# --- date triggers: once a day -------------------------------------------

def _daily(finder):
    """Run `finder(flow, day)` at most once per shop day; it returns a queryset of
    (customer id, occurrence, context) candidates or None."""
    def run(flow, now):
        today = timezone.localdate(now)
        if (flow.cursor or {}).get("day") == today.isoformat():
            return 0
        config = flow.trigger_config or {}
        day = today + dt.timedelta(days=config.get("days_before", DAYS_BEFORE.get(flow.trigger, 0)))
        added = 0
        for chunk in _chunks(finder(flow, config, day)):
            added += admit(flow, chunk, now)
        _save_cursor(flow, day=today.isoformat())
        return added
    return run


def _chunks(candidates):
    chunk = []
    for candidate in candidates:
        chunk.append(candidate)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _birthdays(flow, config, day):
    born = Q(birthday__month=day.month, birthday__day=day.day)
    if day.month == 2 and day.day == 28 and not _leap(day.year):
        born |= Q(birthday__month=2, birthday__day=29)  # 29 February birthdays are greeted on the 28th
    ids = Customer.objects.filter(born).order_by("id").values_list("id", flat=True)
    return ((customer, f"birthday:{day.year}", {}) for customer in ids.iterator(chunk_size=CHUNK))


def _leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _occasions(flow, config, day):
    scores = CustomerScore.objects.filter(next_occasion_on=day)
    if config.get("occasion"):
        scores = scores.filter(next_occasion=config["occasion"])
    rows = scores.order_by("customer_id").values_list("customer_id", "next_occasion")
    return ((customer, f"occasion:{name}:{day.isoformat()}", {"occasion": name, "occasion_on": day.isoformat()})
            for customer, name in rows.iterator(chunk_size=CHUNK))


def _holidays(flow, config, day):
    date = (config.get("dates") or {}).get(str(day.year), config.get("date", ""))
    if f"{day:%m-%d}" != date:
        return ()
    customers = Customer.objects.all()
    if config.get("countries"):
        customers = customers.filter(country__in=[c.upper() for c in config["countries"]])
    if config.get("exclude_countries"):  # "everyone else", e.g. Christmas outside the Spring Festival countries
        customers = customers.exclude(country__in=[c.upper() for c in config["exclude_countries"]])
    ids = customers.order_by("id").values_list("id", flat=True)
    return ((customer, f"holiday:{date}:{day.year}", {"holiday": date}) for customer in ids.iterator(chunk_size=CHUNK))


def _replenishments(flow, config, day):
    # The insights' replenishment date where it has one, else the expected next order.
    due = Q(replenish_on=day) | Q(replenish_on__isnull=True, next_order_on=day)
    ids = CustomerScore.objects.filter(due).order_by("customer_id").values_list("customer_id", flat=True)
    return ((customer, f"refill:{day.isoformat()}", {"due_on": day.isoformat()}) for customer in ids.iterator(chunk_size=CHUNK))


DAYS_BEFORE = {Trigger.OCCASION: 7, Trigger.REPLENISHMENT: 3}
# trigger: (cursor key, (event kinds, later kinds that stop it), default idle hours)
ABANDONMENT = {
    Trigger.CART_ABANDONED: ("cart_at", (CART, ()), 4),
    Trigger.BROWSE_ABANDONED: ("browse_at", ((EventType.VIEW,), CART), 2),
}
FINDERS = {
    Trigger.ORDER_PLACED: _orders, Trigger.CUSTOMER_CREATED: _customers, Trigger.PRICE_DROP: _price_drops,
    Trigger.SEGMENT_ENTERED: _segment_changes, Trigger.SEGMENT_LEFT: _segment_changes,
    Trigger.CART_ABANDONED: _abandoned, Trigger.BROWSE_ABANDONED: _abandoned,
    Trigger.BIRTHDAY: _daily(_birthdays), Trigger.OCCASION: _daily(_occasions),
    Trigger.HOLIDAY: _daily(_holidays), Trigger.REPLENISHMENT: _daily(_replenishments),
}
