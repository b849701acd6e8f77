"""Orders credited to messages: last open or click within the window, clicks
beat opens, cancelled orders and unsent messages never count, running twice
credits nothing twice."""

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.campaigns import tracking
from guanxi.campaigns.attribution import attribute_orders, message_revenue
from guanxi.campaigns.choices import EventKind, MessageStatus
from guanxi.campaigns.models import AttributedOrder, Message
from guanxi.campaigns.tests.factories import make_message, make_template
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=30)


@pytest.fixture(autouse=True)
def _window(settings):
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "attribution_days": 5}


@pytest.fixture
def mei():
    return make_customer("Mei Lin")


@pytest.fixture
def template():
    return make_template("Sale")


def order(customer, at, total="100.00", status=OrderStatus.PAID):
    return make_order(customer, ordered_at=at, total=total, status=status, refresh=False)


def credited():
    return sorted(AttributedOrder.objects.values_list("order__external_id", "message__key", "touch"))


def test_an_order_within_the_window_after_a_click_is_credited_to_that_message(mei, template):
    message = make_message(mei, template, key="m1", sent_at=T0)
    tracking.record_click(message, "https://shop.example.com/", T0 + dt.timedelta(hours=1))
    bought = order(mei, T0 + dt.timedelta(days=4))
    assert attribute_orders(now=NOW) == 1
    assert credited() == [(bought.external_id, "m1", EventKind.CLICKED)]


def test_an_order_after_the_window_is_not_credited(mei, template):
    message = make_message(mei, template, key="m1", sent_at=T0)
    tracking.record_open(message, T0)
    order(mei, T0 + dt.timedelta(days=5, seconds=1))
    assert attribute_orders(now=NOW) == 0 and credited() == []


def test_an_order_before_the_touch_is_not_credited(mei, template):
    order(mei, T0 - dt.timedelta(minutes=1))
    tracking.record_open(make_message(mei, template, sent_at=T0 - dt.timedelta(hours=1)), T0)
    assert attribute_orders(now=NOW) == 0


def test_with_two_messages_the_last_touch_wins(mei, template):
    first = make_message(mei, template, key="m1", sent_at=T0)
    second = make_message(mei, make_template("Follow-up"), key="m2", sent_at=T0 + dt.timedelta(days=1))
    tracking.record_click(first, "https://shop.example.com/", T0 + dt.timedelta(hours=2))
    tracking.record_open(second, T0 + dt.timedelta(days=1, hours=2))
    tracking.record_open(first, T0 + dt.timedelta(days=3))  # read again later: now the last touch
    early = order(mei, T0 + dt.timedelta(days=2))
    late = order(mei, T0 + dt.timedelta(days=4))
    assert attribute_orders(now=NOW) == 2
    assert credited() == sorted([(early.external_id, "m2", EventKind.OPENED), (late.external_id, "m1", EventKind.OPENED)])


def test_a_click_beats_an_open_at_the_same_moment(mei, template):
    opened = make_message(mei, template, key="m1", sent_at=T0)
    clicked = make_message(mei, make_template("Other"), key="m2", sent_at=T0)
    touch = T0 + dt.timedelta(hours=1)
    tracking.record_click(clicked, "https://shop.example.com/", touch)
    tracking.record_open(opened, touch)  # written later, same moment
    bought = order(mei, touch)
    attribute_orders(now=NOW)
    assert credited() == [(bought.external_id, "m2", EventKind.CLICKED)]


def test_running_twice_credits_nothing_twice(mei, template):
    tracking.record_open(make_message(mei, template, key="m1", sent_at=T0), T0)
    order(mei, T0 + dt.timedelta(days=1))
    order(mei, T0 + dt.timedelta(days=2))
    assert attribute_orders(now=NOW) == 2
    assert attribute_orders(now=NOW) == 0
    assert AttributedOrder.objects.count() == 2


def test_a_cancelled_order_is_not_credited(mei, template):
    tracking.record_open(make_message(mei, template, sent_at=T0), T0)
    order(mei, T0 + dt.timedelta(days=1), status=OrderStatus.CANCELLED)
    assert attribute_orders(now=NOW) == 0 and credited() == []


def test_another_customers_touch_does_not_count(mei, template):
    tracking.record_open(make_message(make_customer("Li Na"), template, sent_at=T0), T0)
    order(mei, T0 + dt.timedelta(days=1))
    assert attribute_orders(now=NOW) == 0


def test_a_touch_on_an_unsent_message_does_not_count(mei, template):
    tracking.record_open(make_message(mei, template, status=MessageStatus.PENDING), T0)
    order(mei, T0 + dt.timedelta(days=1))
    assert attribute_orders(now=NOW) == 0


def test_since_limits_the_orders_considered(mei, template):
    tracking.record_open(make_message(mei, template, sent_at=T0), T0)
    order(mei, T0 + dt.timedelta(days=1))
    later = order(mei, T0 + dt.timedelta(days=3))
    assert attribute_orders(since=T0 + dt.timedelta(days=2), now=NOW) == 1
    assert [external_id for external_id, _key, _touch in credited()] == [later.external_id]


def test_message_revenue_sums_the_credited_orders(mei, template):
    message = make_message(mei, template, sent_at=T0)
    tracking.record_click(message, "https://shop.example.com/", T0)
    order(mei, T0 + dt.timedelta(days=1), total="120.50")
    order(mei, T0 + dt.timedelta(days=2), total="80.00")
    attribute_orders(now=NOW)
    assert message_revenue(Message.objects.filter(pk=message.pk)) == {"orders": 2, "revenue": Decimal("200.50")}
    assert message_revenue(Message.objects.none()) == {"orders": 0, "revenue": Decimal(0)}


def test_many_orders_are_credited_in_a_fixed_number_of_queries(mei, template, django_assert_max_num_queries):
    tracking.record_open(make_message(mei, template, sent_at=T0), T0)
    for hour in range(30):
        order(mei, T0 + dt.timedelta(hours=hour + 1))
    with django_assert_max_num_queries(6):  # one page, its touches, one insert, the empty page
        assert attribute_orders(now=NOW) == 30
