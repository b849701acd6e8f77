"""The key-accounts list: who sees it, what it shows (rating, trend, owner),
its filters, the inline owner assignment, and its fixed query count."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.accounts.choices import Role
from guanxi.commerce.choices import OrderStatus, ReturnStatus
from guanxi.commerce.tests.factories import make_order, make_return
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.tests.factories import make_customer
from guanxi.insights.choices import RunStatus
from guanxi.insights.key_accounts import Trend, revenue_trends
from guanxi.insights.models import AnalysisRun, CustomerScore

pytestmark = pytest.mark.django_db

PAGE = reverse("insights:key_accounts")


@pytest.fixture
def team(make_user):
    return {role: make_user(role.value, role) for role in Role}


def login(client, user):
    client.force_login(user)
    return client


def key_account(name, value_score, tier="key", rating="A", clv=1000.0, owner=None):
    customer = make_customer(name, account_owner=owner)
    CustomerScore.objects.create(customer=customer, as_of=date(2026, 11, 1), value_tier=tier, value_score=value_score,
                                 clv=clv, revenue=500.0, risk_rating=rating, risk_score=5.0, rfm_segment="champions",
                                 risk_reasons={"return_rate": 0.1, "refund_share": 0.0, "unpaid_share": 0.0, "complaints": 0})
    return customer


@pytest.fixture
def analysed(db):
    return AnalysisRun.objects.create(status=RunStatus.SUCCEEDED, as_of=date(2026, 11, 1))


@pytest.fixture
def accounts(analysed, team):
    return {
        "big": key_account("Big Buyer", 0.99, clv=9000.0, owner=team[Role.SALES]),
        "mid": key_account("Mid Buyer", 0.95, rating="C", clv=5000.0),
        "small": key_account("Small Buyer", 0.90, clv=3000.0, owner=team[Role.ADMIN]),
        "growth": key_account("Growth Only", 0.70, tier="growth"),
    }


def names(response):
    return [score.customer.display_name for score in response.context["page"]]


# ---------------------------------------------------------------- who sees it

@pytest.mark.parametrize("role, status", [(Role.SALES, 200), (Role.MARKETING, 200), (Role.ANALYST, 200),
                                          (Role.ADMIN, 200), (Role.SERVICE, 403)])
def test_who_may_see_the_key_accounts(client, team, analysed, role, status):
    assert login(client, team[role]).get(PAGE).status_code == status


def test_the_menu_links_to_the_key_accounts_for_those_who_may_see_them(client, team, analysed):
    assert 'href="/insights/key-accounts/"' in login(client, team[Role.SALES]).get(PAGE).content.decode()
    html = login(client, team[Role.SERVICE]).get(reverse("customers:list")).content.decode()
    assert 'href="/insights/key-accounts/"' not in html


# ---------------------------------------------------------------- what it shows

def test_key_accounts_are_listed_most_valuable_first_without_other_tiers(client, team, accounts):
    assert names(login(client, team[Role.SALES]).get(PAGE)) == ["Big Buyer", "Mid Buyer", "Small Buyer"]


def test_the_rating_has_its_reasons_in_a_tooltip_and_the_owner_is_shown(client, team, accounts):
    html = login(client, team[Role.ANALYST]).get(PAGE).content.decode()
    assert 'title="risk score 5/100 · returns per order 0.10 · refunded 0% · unpaid 0% · complaints 0">A · low risk' in html
    assert "C · elevated risk" in html
    # The analyst may not assign, so owners are names, not menus.
    assert 'aria-label="Account owner of' not in html
    assert ">sales<" in html.replace(" ", "").replace("\n", "")


def test_an_empty_shop_says_no_analysis_has_run(client, team):
    html = login(client, team[Role.SALES]).get(PAGE).content.decode()
    assert "No analysis has finished yet" in html


def test_filters_by_owner_and_rating(client, team, accounts):
    sales = login(client, team[Role.SALES])
    assert names(sales.get(PAGE, {"owner": "me"})) == ["Big Buyer"]
    assert names(sales.get(PAGE, {"owner": "none"})) == ["Mid Buyer"]
    assert names(sales.get(PAGE, {"rating": "C"})) == ["Mid Buyer"]
    assert names(sales.get(PAGE, {"owner": "bogus", "rating": "Z"})) == ["Big Buyer", "Mid Buyer", "Small Buyer"]
    assert "No key account matches these filters." in sales.get(PAGE, {"owner": "me", "rating": "C"}).content.decode()


# ---------------------------------------------------------------- trend

def test_the_trend_compares_net_revenue_of_the_last_90_days_with_the_90_before():
    up, down, new, none = (make_customer(n) for n in ("Up", "Down", "New", "None"))
    make_order(up, total="300.00", days_ago=10)
    make_order(up, total="100.00", days_ago=100)
    make_order(up, total="999.00", days_ago=200)  # too old
    make_order(up, total="999.00", days_ago=5, status=OrderStatus.CANCELLED)
    refunded = make_order(down, total="100.00", days_ago=30)
    make_return(refunded, amount="50.00")
    make_return(refunded, amount="30.00", status=ReturnStatus.REQUESTED)  # not refunded (yet)
    make_order(down, total="100.00", days_ago=120)
    make_order(new, total="80.00", days_ago=1)
    trends = revenue_trends([c.pk for c in (up, down, new, none)])
    assert trends == {up.pk: Trend(Decimal(300), Decimal(100)), down.pk: Trend(Decimal(50), Decimal(100)),
                      new.pk: Trend(Decimal(80), Decimal(0))}
    assert [(t.direction, t.percent) for t in trends.values()] == [("up", 200), ("down", -50), ("new", None)]
    assert Trend(Decimal(105), Decimal(100)).direction == "steady"


def test_the_page_shows_each_rows_trend(client, team, accounts):
    make_order(accounts["big"], total="300.00", days_ago=10)
    make_order(accounts["big"], total="100.00", days_ago=100)
    html = login(client, team[Role.SALES]).get(PAGE).content.decode()
    row = html[html.index(f'data-customer="{accounts["big"].pk}"'):]
    assert "▲ +200%" in row[:row.index("</tr>")]


# ---------------------------------------------------------------- owner assignment

def assign_url(customer):
    return reverse("insights:assign_owner", args=[customer.pk])


def test_sales_assigns_an_owner_inline_and_the_cell_comes_back(client, team, accounts):
    sales = login(client, team[Role.SALES])
    response = sales.post(assign_url(accounts["mid"]), {"owner": team[Role.SALES].pk}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "Saved" in html and "<tr" not in html
    assert f'<option value="{team[Role.SALES].pk}" selected>' in html
    assert Customer.objects.get(pk=accounts["mid"].pk).account_owner == team[Role.SALES]
    assert TimelineEntry.objects.get(customer=accounts["mid"]).data["by"] == "sales"


def test_a_plain_post_unassigns_and_redirects_back(client, team, accounts):
    response = login(client, team[Role.ADMIN]).post(assign_url(accounts["big"]), {"owner": ""})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert Customer.objects.get(pk=accounts["big"].pk).account_owner is None


def test_an_unsuitable_owner_is_refused_in_the_cell(client, team, accounts):
    response = login(client, team[Role.SALES]).post(assign_url(accounts["mid"]), {"owner": team[Role.SERVICE].pk},
                                                    headers={"HX-Request": "true"})
    assert "service cannot own accounts" in response.content.decode()
    assert Customer.objects.get(pk=accounts["mid"].pk).account_owner is None


@pytest.mark.parametrize("role", [Role.SERVICE, Role.MARKETING, Role.ANALYST])
def test_only_sales_and_admins_may_assign(client, team, accounts, role):
    response = login(client, team[role]).post(assign_url(accounts["mid"]), {"owner": team[Role.SALES].pk})
    assert response.status_code == 403
    assert Customer.objects.get(pk=accounts["mid"].pk).account_owner is None


def test_assigning_needs_a_post(client, team, accounts):
    assert login(client, team[Role.SALES]).get(assign_url(accounts["mid"])).status_code == 405


# ---------------------------------------------------------------- query count

@pytest.mark.parametrize("rows", [2, 12])
def test_the_page_costs_the_same_queries_for_any_number_of_rows(client, team, analysed, django_assert_num_queries, rows):
    for i in range(rows):
        customer = key_account(f"Buyer {i}", 1 - i / 100, owner=team[Role.SALES] if i % 2 else None)
        make_order(customer, total="10.00", days_ago=i * 10)
    sales = login(client, team[Role.SALES])
    # session, user, 2× permissions, scores with customers and owners, trend, account managers,
    # role in the menu
    with django_assert_num_queries(8):
        assert len(sales.get(PAGE).context["page"].object_list) == rows
