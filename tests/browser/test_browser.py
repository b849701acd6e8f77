"""A merchant's first minutes in a real browser: sign in, find a customer, read
their page, switch the interface to Chinese and back."""

import re

import pytest
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-password"


@pytest.fixture
def shop(transactional_db):
    create_user("merchant", PASSWORD, Role.ADMIN)
    make_customer("Alice Chen", email="alice@example.com", tags=["VIP"])
    make_customer("Bob Alison", email="bob@example.com")
    wang = make_customer("王小明", email="xiaoming@example.cn", phone="+8613987654321")
    make_order(wang, "SO-8888", total="520.00")
    return wang


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("merchant")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()


def test_a_merchant_finds_a_customer_and_reads_their_page_in_both_languages(live_server, page, screenshot, shop):
    sign_in(page, live_server)
    rows = page.locator("#customer-results tbody tr")
    expect(rows).to_have_count(3)
    screenshot("01-customers")

    page.get_by_role("searchbox").press_sequentially("小明")
    expect(rows).to_have_count(1)  # htmx swapped the table in place
    expect(page).to_have_url(re.compile(r"/customers/\?.*q=%E5%B0%8F%E6%98%8E"))  # the search is in the address
    page.get_by_role("link", name="王小明").click()

    expect(page.get_by_role("heading", name="王小明", level=1)).to_be_visible()
    expect(page.get_by_text("xiaoming@example.cn")).to_be_visible()
    expect(page.get_by_role("link", name="SO-8888")).to_be_visible()
    screenshot("02-customer-en")

    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="最近订单")).to_be_visible()
    expect(page.get_by_role("heading", name="联系方式")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot("03-customer-zh")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Latest orders")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_adding_a_note_updates_the_page_without_reloading(live_server, page, screenshot, shop):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/customers/{shop.pk}/")
    page.get_by_label("Note").fill("Asked for a gift box")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("Asked for a gift box")
    expect(page.locator("#timeline")).to_contain_text("Asked for a gift box")  # refreshed by HX-Trigger
    screenshot("04-note-added")
