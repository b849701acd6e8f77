"""The customer page as a 360° view: the header figures, consent per channel,
the next best action, recommended products, occasions, and its query count."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.choices import Role
from guanxi.analytics.schema import day_number
from guanxi.commerce.tests.factories import make_category, make_order, make_product
from guanxi.customers.choices import (
    ChannelConsent,
    ConsentStatus,
    ContactKind,
    TimelineKind,
)
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import (
    add_contact,
    make_customer,
    make_timeline_entry,
)
from guanxi.insights.models import CustomerScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_user):
    return make_user("sam", Role.SALES)


@pytest.fixture
def sales_client(client, sales):
    client.force_login(sales)
    return client


def give_score(customer, products=(), **fields):
    today = timezone.localdate()
    values = {
        "as_of": today, "recency_days": 20, "frequency": 4, "monetary": 880.0, "r_score": 4, "f_score": 4, "m_score": 5,
        "rfm_segment": "loyal", "lifecycle": "active", "p_alive": 0.823, "churn_band": "low", "expected_orders": 2.4,
        "clv": 4321.5, "next_order_on": today + timedelta(days=12), "revenue": 2999.0, "value_tier": "key",
        "value_score": 0.97, "risk_score": 17.5, "risk_rating": "B",
        "risk_reasons": {"return_rate": 0.25, "refund_share": 0.1, "unpaid_share": 0, "complaints": 0},
        "occasions": [{"occasion": "mothers_day", "day": day_number(today + timedelta(days=18)), "years": [2025, 2026]},
                      {"occasion": "birthday", "day": day_number(today + timedelta(days=200)), "years": []}],
        "recommended_products": [p.pk for p in products],
    }
    return CustomerScore.objects.create(customer=customer, **{**values, **fields})


@pytest.fixture
def mei(sales):
    customer = make_customer("Mei Lin")
    add_contact(customer, ContactKind.EMAIL, "mei@example.com", consent=ConsentStatus.GRANTED)
    add_contact(customer, ContactKind.PHONE, "+8613800138000", consent=ConsentStatus.GRANTED)
    add_contact(customer, ContactKind.WECHAT, "mei_wx", consent=ConsentStatus.UNSUBSCRIBED)
    phone = customer.contact_points.get(kind=ContactKind.PHONE)
    phone.bounced_at = timezone.now()
    phone.save()
    make_order(customer, "SO-1", total="1200.00", days_ago=20)
    customer.account_owner = sales
    customer.save()
    teas = [make_product(f"TEA-{i}", name) for i, name in enumerate(["Oolong tea", "Tea cup", "Kettle"])]
    give_score(customer, products=teas)
    make_timeline_entry(customer, TimelineKind.VISIT, "Viewed Oolong tea")
    make_timeline_entry(customer, TimelineKind.NOTE, "Called about the invoice")
    return customer


def page(client, customer, **params):
    response = client.get(reverse("customers:detail", args=[customer.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def field(html, name):
    """The text of the header element marked data-field=name, tags stripped, spaces squeezed."""
    match = re.search(rf'data-field="{name}"[^>]*>(.*?)</(?:div></div|span)>', html, re.DOTALL)
    assert match, name
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_header_shows_value_rfm_alive_clv_churn_next_order_rating_and_owner(sales_client, mei):
    html = page(sales_client, mei)
    next_order = (timezone.localdate() + timedelta(days=12)).isoformat()
    assert field(html, "value_tier") == "Value tier Key account"
    assert field(html, "rfm_segment") == "RFM segment Loyal"
    assert field(html, "risk_rating") == "Credit rating B · moderate risk"
    assert field(html, "account_owner") == "Account owner sam"
    assert field(html, "orders") == "Orders 1"
    assert field(html, "total_spent") == "Total spent 1,200.00"
    assert field(html, "clv") == "Predicted CLV 4,321.50"
    assert field(html, "p_alive") == "P(alive) 82%"
    assert field(html, "churn_band") == "Churn risk Low"
    assert field(html, "next_order_on") == f"Expected next order {next_order}"
    assert 'title="risk score 18/100 · returns per order 0.25 · refunded 10% · unpaid 0% · complaints 0"' in html
    assert '<span class="badge key-account">Key account</span>' in html


def test_the_header_shows_consent_per_channel_with_bounced_and_withdrawn(sales_client, mei):
    html = page(sales_client, mei)
    consents = re.findall(r'data-channel="(\w+)">([^<]+)</span>', html)
    assert consents[:3] == [("email", "E-mail: Granted"), ("phone", "Phone: Bounced"), ("wechat", "WeChat: Withdrawn")]


def test_channel_consents_count_a_granted_point_that_has_not_bounced(mei):
    add_contact(mei, ContactKind.PHONE, "+8613900139000", consent=ConsentStatus.GRANTED, is_primary=False)
    assert dict(Customer.objects.get(pk=mei.pk).channel_consents()) == {
        "email": ChannelConsent.GRANTED, "phone": ChannelConsent.GRANTED, "wechat": ChannelConsent.WITHDRAWN}


def test_the_next_best_action_card_says_what_to_do_and_why(sales_client, mei):
    html = page(sales_client, mei)
    day = (timezone.localdate() + timedelta(days=18))
    card = html[html.index('id="next-best-action"'):html.index('id="insights"')]
    # A key account; the phone bounced, so the owner writes by e-mail.
    assert "Personal message from sam by e-mail" in card
    assert "Key account: predicted CLV 4,322, credit rating B · moderate risk." in card
    assert f"Remind before Mother&#x27;s Day on {day:%B} {day.day} by e-mail" in card


def test_recommended_products_are_linked_by_name_and_occasions_listed(sales_client, mei):
    html = page(sales_client, mei)
    card = html[html.index('id="insights"'):]
    names = re.findall(r'<a href="/products/\?q=TEA-\d">([^<]+)</a>', card)
    assert names == ["Oolong tea", "Tea cup", "Kettle"]
    assert "Mother&#x27;s Day" in card and "bought for it in 2025, 2026" in card and "Birthday" in card


def test_a_customer_without_a_score_or_consent_is_told_apart(sales_client):
    plain = make_customer("No Score", email="plain@example.com")
    make_order(plain)
    html = page(sales_client, plain)
    assert field(html, "value_tier") == "Value tier —"
    assert field(html, "p_alive") == "P(alive) —"
    assert "Run an analysis" in html and "Not scored yet" in html
    assert re.findall(r'data-channel="(\w+)">([^<]+)</span>', html) == [("email", "E-mail: Not asked")]


def test_the_timeline_still_filters_by_kind(sales_client, mei):
    response = sales_client.get(reverse("customers:timeline", args=[mei.pk]), {"kind": "note"})
    html = response.content.decode()
    assert "Called about the invoice" in html and "Viewed Oolong tea" not in html


def test_an_owner_change_reads_well_on_the_timeline(sales_client, mei, make_user):
    from guanxi.customers.services import assign_owner

    boss = make_user("boss", Role.ADMIN)
    assign_owner(mei, boss, by=boss)
    html = page(sales_client, mei)
    assert "Account owner: boss" in html and "was sam" in html and "by boss" in html


@pytest.mark.parametrize("extra", [0, 6])
def test_the_customer_page_costs_a_fixed_number_of_queries(sales_client, mei, django_assert_num_queries, extra):
    products = [make_product(f"MORE-{extra}-{i}") for i in range(extra)]
    for i in range(extra):
        add_contact(mei, ContactKind.EMAIL, f"mei{i}@example.com", consent=ConsentStatus.GRANTED, is_primary=False)
        make_timeline_entry(mei, TimelineKind.VISIT, f"Visit {i}")
        make_order(mei, total="10.00")
    CustomerScore.objects.filter(pk=mei.pk).update(
        recommended_products=list(mei.score.recommended_products) + [p.pk for p in products])
    # session, user, 2× permissions, customer with score and owner, contact points, consent events,
    # tags, addresses, orders, returns, notes, timeline, tag names, role in the menu, recommended products,
    # segment memberships
    with django_assert_num_queries(17):
        page(sales_client, mei)


def test_a_due_replenishment_adds_one_query_for_the_category_names(sales_client, mei, django_assert_num_queries):
    coffee = make_category("Coffee")
    due = day_number(timezone.localdate() + timedelta(days=3))
    CustomerScore.objects.filter(pk=mei.pk).update(
        replenishments=[{"category_id": coffee.pk, "due_day": due, "interval_days": 30.0}])
    with django_assert_num_queries(18):
        html = page(sales_client, mei)
    assert "Buys Coffee about every 30 days" in html
