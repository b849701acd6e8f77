import datetime as dt
import itertools
from decimal import Decimal

import pytest

from guanxi.campaigns.choices import EnrolmentStatus, ReEntry
from guanxi.campaigns.flows import engine
from guanxi.campaigns.models import Enrolment, Flow, PriceChange
from guanxi.commerce.choices import EventType, OrderStatus
from guanxi.commerce.models import Event
from guanxi.commerce.tests.factories import make_order, make_product
from guanxi.customers.tests.factories import make_customer
from guanxi.insights.models import CustomerScore
from guanxi.segments.models import Segment, SegmentChange, SegmentRefresh

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
LONG_WAIT = [{"id": "s1", "kind": "wait", "days": 30}]
_events = itertools.count(1)


_names = itertools.count(1)


def active_flow(trigger, config=None, re_entry=ReEntry.NEVER, re_entry_days=0, activated=NOW - dt.timedelta(days=2)):
    flow = Flow.objects.create(name=f"{trigger} flow {next(_names)}", trigger=trigger, trigger_config=config or {}, steps=LONG_WAIT,
                               re_entry=re_entry, re_entry_days=re_entry_days)
    return engine.activate(flow, now=activated)


def enrolled(flow):
    return sorted(Enrolment.objects.filter(flow=flow).values_list("customer__full_name", "occurrence"))


def tick_twice(now=NOW):
    engine.tick(now)
    engine.tick(now + dt.timedelta(minutes=1))


def event(customer, kind, hours_ago, product=None, now=NOW):
    return Event.objects.create(source="shop", external_id=f"ev-{next(_events)}", customer=customer, event_type=kind,
                                occurred_at=now - dt.timedelta(hours=hours_ago), product=product,
                                sku=product.sku if product else "")


def score(customer, **fields):
    return CustomerScore.objects.create(customer=customer, as_of=NOW.date(), **fields)


def test_orders_placed_after_activation_enrol_once_each_and_older_or_cancelled_ones_do_not():
    alice, bob, carol = make_customer("Alice"), make_customer("Bob"), make_customer("Carol")
    make_order(alice, ordered_at=NOW - dt.timedelta(days=5))
    flow = active_flow("order_placed", re_entry=ReEntry.ALWAYS)
    order = make_order(bob, ordered_at=NOW)
    make_order(carol, ordered_at=NOW, status=OrderStatus.CANCELLED)
    tick_twice()
    assert enrolled(flow) == [("Bob", f"order:{order.pk}")]
    assert Enrolment.objects.get(flow=flow).context == {"order": order.pk}


def test_new_customers_enrol_once():
    make_customer("Old")
    flow = active_flow("customer_created")
    new = make_customer("New")
    tick_twice()
    assert enrolled(flow) == [("New", f"customer:{new.pk}")]


def test_an_idle_cart_enrols_its_customer_once_with_the_products_and_a_cart_followed_by_an_order_does_not():
    product, other = make_product(sku="TEA-1"), make_product(sku="TEA-2")
    idle, bought, fresh = make_customer("Idle"), make_customer("Bought"), make_customer("Fresh")
    event(idle, EventType.ADD_TO_CART, 7, product)
    last = event(idle, EventType.CHECKOUT_STARTED, 6, other)
    event(bought, EventType.ADD_TO_CART, 6, product)
    make_order(bought, ordered_at=NOW - dt.timedelta(hours=5))
    event(fresh, EventType.ADD_TO_CART, 1, product)  # not idle for 4 hours yet
    flow = active_flow("cart_abandoned")
    tick_twice()
    assert enrolled(flow) == [("Idle", f"cart:{last.pk}")]
    context = Enrolment.objects.get(flow=flow).context
    assert (context["event"], context["products"], context["skus"]) == (last.pk, [product.pk, other.pk], ["TEA-1", "TEA-2"])
    engine.tick(NOW + dt.timedelta(hours=4))  # Fresh's cart is idle now
    assert [name for name, _ in enrolled(flow)] == ["Fresh", "Idle"]


def test_a_product_view_without_cart_or_order_enrols_in_browse_abandonment():
    product = make_product()
    looker, carter = make_customer("Looker"), make_customer("Carter")
    viewed = event(looker, EventType.VIEW, 3, product)
    event(carter, EventType.VIEW, 3, product)
    event(carter, EventType.ADD_TO_CART, 2.5, product)
    flow = active_flow("browse_abandoned")
    tick_twice()
    assert enrolled(flow) == [("Looker", f"browse:{viewed.pk}")]


def test_a_price_drop_enrols_who_viewed_or_carted_the_product_in_the_last_30_days():
    product, other = make_product(), make_product()
    viewer, carter, stale, elsewhere = (make_customer(n) for n in ("Viewer", "Carter", "Stale", "Elsewhere"))
    event(viewer, EventType.VIEW, 24, product)
    event(carter, EventType.ADD_TO_CART, 48, product)
    event(stale, EventType.VIEW, 24 * 40, product)
    event(elsewhere, EventType.VIEW, 24, other)
    flow = active_flow("price_drop")
    drop = PriceChange.objects.create(product=product, old_price=Decimal(100), new_price=Decimal(80), at=NOW)
    PriceChange.objects.create(product=product, old_price=Decimal(80), new_price=Decimal(90), at=NOW)  # a rise
    tick_twice()
    assert enrolled(flow) == [("Carter", f"price:{drop.pk}"), ("Viewer", f"price:{drop.pk}")]


@pytest.mark.parametrize(("trigger", "change"), [("segment_entered", "entered"), ("segment_left", "left")])
def test_segment_changes_of_the_chosen_segment_enrol(trigger, change):
    segment, other = Segment.objects.create(name="At risk"), Segment.objects.create(name="VIP")
    alice, bob, carol = make_customer("Alice"), make_customer("Bob"), make_customer("Carol")
    flow = active_flow(trigger, {"segment": segment.pk})
    refresh = SegmentRefresh.objects.create(segment=segment, trigger="manual", at=NOW, size=1)
    moved = SegmentChange.objects.create(refresh=refresh, segment=segment, customer=alice, change=change, at=NOW)
    opposite = "left" if change == "entered" else "entered"
    SegmentChange.objects.create(refresh=refresh, segment=segment, customer=bob, change=opposite, at=NOW)
    SegmentChange.objects.create(refresh=refresh, segment=other, customer=carol, change=change, at=NOW)
    tick_twice()
    assert enrolled(flow) == [("Alice", f"segment:{moved.pk}")]


def test_birthdays_enrol_days_before_in_the_shop_zone_once_a_year():
    make_customer("Today", birthday=dt.date(1990, 6, 15))
    make_customer("Tomorrow", birthday=dt.date(1985, 6, 16))
    make_customer("Unknown")
    flow = active_flow("birthday", {"days_before": 1})
    tick_twice()
    flow.cursor = {}  # even a second look the same day adds nobody
    flow.save()
    engine.tick(NOW + dt.timedelta(hours=1))
    assert enrolled(flow) == [("Tomorrow", "birthday:2026")]


def test_occasions_enrol_seven_days_before_filtered_by_occasion():
    mum, valentine, later = make_customer("Mum"), make_customer("Valentine"), make_customer("Later")
    score(mum, next_occasion="mothers_day", next_occasion_on=dt.date(2026, 6, 22))
    score(valentine, next_occasion="valentines_day", next_occasion_on=dt.date(2026, 6, 22))
    score(later, next_occasion="mothers_day", next_occasion_on=dt.date(2026, 6, 23))
    flow = active_flow("occasion", {"occasion": "mothers_day"})
    tick_twice()
    assert enrolled(flow) == [("Mum", "occasion:mothers_day:2026-06-22")]


def test_a_holiday_enrols_the_customers_of_its_countries_on_the_day():
    make_customer("Beijing", country="CN")
    make_customer("Taipei", country="TW")
    make_customer("Boston", country="US")
    flow = active_flow("holiday", {"date": "06-15", "countries": ["CN", "TW"]})
    everyone = active_flow("holiday", {"date": "06-16", "days_before": 1}, re_entry=ReEntry.ALWAYS)
    not_today = Flow.objects.create(name="Christmas", trigger="holiday", trigger_config={"date": "12-25"}, steps=LONG_WAIT)
    engine.activate(not_today, now=NOW)
    tick_twice()
    assert enrolled(flow) == [("Beijing", "holiday:06-15:2026"), ("Taipei", "holiday:06-15:2026")]
    assert len(enrolled(everyone)) == 3
    assert enrolled(not_today) == []


def test_a_holiday_can_greet_everyone_outside_some_countries():
    make_customer("Beijing", country="CN")
    make_customer("Boston", country="US")
    make_customer("Somewhere")
    flow = active_flow("holiday", {"date": "06-15", "exclude_countries": ["CN", "TW"]})
    tick_twice()
    assert [name for name, _ in enrolled(flow)] == ["Boston", "Somewhere"]


def test_a_holiday_on_a_moving_date_uses_that_years_date():
    make_customer("Beijing", country="CN")
    flow = active_flow("holiday", {"date": "02-17", "dates": {"2026": "06-15"}, "countries": ["CN"]})
    tick_twice()
    assert enrolled(flow) == [("Beijing", "holiday:06-15:2026")]


def test_replenishment_enrols_three_days_before_the_due_date():
    due, expected, other = make_customer("Due"), make_customer("Expected"), make_customer("Other")
    score(due, replenish_on=dt.date(2026, 6, 18), next_order_on=dt.date(2026, 7, 1))
    score(expected, next_order_on=dt.date(2026, 6, 18))
    score(other, replenish_on=dt.date(2026, 6, 20), next_order_on=dt.date(2026, 6, 18))
    flow = active_flow("replenishment")
    tick_twice()
    assert enrolled(flow) == [("Due", "refill:2026-06-18"), ("Expected", "refill:2026-06-18")]


def test_never_re_entry_enrols_a_customer_once_even_for_new_occurrences():
    alice = make_customer("Alice")
    flow = active_flow("order_placed")
    make_order(alice, ordered_at=NOW)
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    assert len(enrolled(flow)) == 1


def test_always_re_entry_enrols_every_occurrence():
    alice = make_customer("Alice")
    flow = active_flow("order_placed", re_entry=ReEntry.ALWAYS)
    for _ in range(3):
        make_order(alice, ordered_at=NOW)
    tick_twice()
    assert len(enrolled(flow)) == 3


def test_after_exit_re_entry_waits_for_the_active_enrolment_to_end():
    alice = make_customer("Alice")
    flow = active_flow("order_placed", re_entry=ReEntry.AFTER_EXIT)
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    assert len(enrolled(flow)) == 1
    Enrolment.objects.filter(flow=flow).update(status=EnrolmentStatus.COMPLETED, finished_at=NOW)
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    assert len(enrolled(flow)) == 2


def test_after_exit_re_entry_also_waits_the_re_entry_days():
    alice = make_customer("Alice")
    flow = active_flow("order_placed", re_entry=ReEntry.AFTER_EXIT, re_entry_days=30)
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    Enrolment.objects.filter(flow=flow).update(status=EnrolmentStatus.COMPLETED, finished_at=NOW - dt.timedelta(days=10))
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    assert len(enrolled(flow)) == 1
    Enrolment.objects.filter(flow=flow).update(finished_at=NOW - dt.timedelta(days=31))
    make_order(alice, ordered_at=NOW)
    engine.tick(NOW)
    assert len(enrolled(flow)) == 2


def test_draft_and_paused_flows_enrol_nobody():
    draft = Flow.objects.create(name="Draft", trigger="customer_created", steps=LONG_WAIT)
    paused = engine.pause(active_flow("customer_created"))
    make_customer("New")
    tick_twice()
    assert enrolled(draft) == enrolled(paused) == []
