"""A salesperson reads a key account's 360° page (header figures, next best
action), filters its timeline, then takes the account over on the key-accounts
page with the inline owner menu."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.analytics.schema import day_number
from guanxi.commerce.tests.factories import make_order, make_product
from guanxi.customers.choices import ConsentStatus, ContactKind, TimelineKind
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import (
    add_contact,
    make_customer,
    make_timeline_entry,
)
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import AnalysisRun, CustomerScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password"


@pytest.fixture
def shop(transactional_db):
    sales = create_user("sam", PASSWORD, Role.SALES)
    create_user("boss", PASSWORD, Role.ADMIN)
    today = timezone.localdate()
    AnalysisRun.objects.create(status=RunStatus.SUCCEEDED, as_of=today, customers=2)
    mei = make_customer("林美 Mei Lin")
    add_contact(mei, ContactKind.EMAIL, "mei@example.com", consent=ConsentStatus.GRANTED)
    add_contact(mei, ContactKind.PHONE, "+8613800138000", consent=ConsentStatus.GRANTED)
    make_order(mei, "SO-1", total="1200.00", days_ago=20)
    make_order(mei, "SO-2", total="300.00", days_ago=120)
    teas = [make_product(f"TEA-{i}", name) for i, name in enumerate(["Oolong tea", "Tea cup"])]
    mothers_day = today + timedelta(days=18)
    CustomerScore.objects.create(
        customer=mei, as_of=today, rfm_segment="champions", lifecycle="active", p_alive=0.823, churn_band="low",
        clv=4321.5, next_order_on=today + timedelta(days=12), revenue=1500.0, value_tier="key", value_score=0.99,
        risk_score=4.0, risk_rating="A", risk_reasons={"return_rate": 0.0, "refund_share": 0.0, "unpaid_share": 0.0,
                                                       "complaints": 0},
        occasions=[{"occasion": "mothers_day", "day": day_number(mothers_day), "years": [2024, 2025]}],
        recommended_products=[t.pk for t in teas])
    make_timeline_entry(mei, TimelineKind.VISIT, "Viewed Oolong tea")
    make_timeline_entry(mei, TimelineKind.NOTE, "Asked for a wholesale price list")
    other = make_customer("Bob Alison")
    CustomerScore.objects.create(customer=other, as_of=today, value_tier="key", value_score=0.9, clv=900.0,
                                 revenue=800.0, risk_rating="C", risk_score=30.0)
    return {"sales": sales, "mei": mei, "other": other, "mothers_day": mothers_day}


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sales_reads_the_360_page_filters_the_timeline_and_takes_over_an_account(live_server, page, screenshot, shop):
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/customers/{shop['mei'].pk}/")
    header = page.locator("#summary")
    expect(header.locator('[data-field="value_tier"]')).to_contain_text("Key account")
    expect(header.locator('[data-field="p_alive"] .value')).to_have_text("82%")
    expect(header.locator('[data-field="clv"] .value')).to_have_text("4,321.50")
    expect(header.locator('[data-field="risk_rating"]')).to_contain_text("A · low risk")
    expect(header.locator('[data-channel="email"]')).to_have_text("E-mail: Granted")
    action = page.locator("#next-best-action")
    # No owner yet: the key-account rule asks for one before a personal call.
    expect(action.locator(".nba-headline")).to_have_text("Assign an account owner for a personal call")
    day = shop["mothers_day"]
    expect(action).to_contain_text(f"Remind before Mother's Day on {day:%B} {day.day} by e-mail")
    expect(page.locator("#insights").get_by_role("link", name="Oolong tea")).to_be_visible()
    screenshot("20-customer-360-en")

    timeline = page.locator("#timeline")
    timeline.get_by_role("link", name="Note", exact=True).click()
    expect(timeline.get_by_text("Asked for a wholesale price list")).to_be_visible()
    expect(timeline.get_by_text("Viewed Oolong tea")).to_have_count(0)

    page.get_by_role("link", name="Key accounts").click()
    rows = page.locator("table.key-accounts tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Mei Lin")
    expect(rows.first.locator(".trend")).to_contain_text("+300%")
    page.get_by_label("Account owner of 林美 Mei Lin").select_option(label="sam")
    expect(rows.first.get_by_role("status")).to_have_text("Saved")
    assert Customer.objects.get(pk=shop["mei"].pk).account_owner == shop["sales"]
    screenshot("21-key-accounts-en")

    page.get_by_label("Owner", exact=True).select_option("me")
    expect(rows).to_have_count(1)
    page.goto(f"{live_server.url}/customers/{shop['mei'].pk}/")
    expect(page.locator("#next-best-action .nba-headline")).to_have_text("Personal call by sam")
    expect(page.locator('#summary [data-field="account_owner"]')).to_contain_text("sam")


def test_a_due_date_reads_in_chinese(live_server, page, shop):
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/customers/{shop['mei'].pk}/")
    page.get_by_role("button", name="简体中文").click()
    day = shop["mothers_day"]
    expect(page.locator("#next-best-action")).to_contain_text(f"{day.month}月{day.day}日")
    assert isinstance(day, date)
