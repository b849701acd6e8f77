"""A marketer builds a segment with three conditions in the visual builder, watches
the live preview, saves it, and opens a member from the segment's page."""

import pytest
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.segments.models import Segment
from guanxi.segments.tests.factories import make_segment_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password"


@pytest.fixture
def shop(transactional_db):
    create_user("mei", PASSWORD, Role.MARKETING)
    return make_segment_shop()


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/login/", timeout=60_000)  # the first request loads the URL conf
    page.get_by_label("Username").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_marketer_builds_saves_and_opens_a_segment(live_server, page, screenshot, shop):
    sign_in(page, live_server)
    page.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    preview = page.locator("#preview")
    # No rules yet: everyone.
    expect(preview.locator('[data-figure="customers"]')).to_have_text("4")
    page.get_by_label("Name", exact=True).fill("Active China, e-mail")

    # 1. country is one of CN, TW (the first condition starts on "Country")
    page.locator('[data-add-rule="r"]').click()
    rule = page.locator('.rule[data-path="r.0"]')
    rule.get_by_label("Country").fill("CN, TW")
    expect(preview.locator('[data-figure="customers"]')).to_have_text("3")

    # 2. P(alive) > 0.6: choose the field, the builder redraws it with number operators
    page.locator('[data-add-rule="r"]').click()
    expect(page.locator('select[name="r.1.field"]')).to_be_visible()  # wait for the redraw
    page.locator('select[name="r.1.field"]').select_option("p_alive")
    page.locator('select[name="r.1.op"]').select_option("gt")  # waits for the redrawn operators
    expect(page.locator(".htmx-request")).to_have_count(0)  # the operator redraws the rule
    page.locator('input[name="r.1.value"]').fill("0.6")
    page.locator('input[name="r.1.value"]').press("Tab")
    expect(preview.locator('[data-figure="customers"]')).to_have_text("2")

    # 3. e-mail consent given (Chen's address bounced, so only Li stays)
    page.locator('[data-add-rule="r"]').click()
    expect(page.locator('select[name="r.2.field"]')).to_be_visible()  # wait for the redraw
    page.locator('select[name="r.2.field"]').select_option("consent")
    page.locator('select[name="r.2.value"]').select_option("email")
    expect(preview.locator('[data-figure="customers"]')).to_have_text("1")
    expect(preview.locator('[data-figure="clv"]')).to_have_text("500.00")
    screenshot("30-segment-builder")

    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", name="Active China, e-mail")).to_be_visible()
    expect(page.get_by_text("Segment saved: 1 member.")).to_be_visible()
    expect(page.locator("#size-chart circle")).to_have_count(1)
    segment = Segment.objects.get()
    assert segment.size == 1 and len(segment.definition["rules"]) == 3
    expect(page.locator("#segment-history")).to_contain_text("Li Na")
    screenshot("31-segment-page")

    page.locator("#segment-members").get_by_role("link", name="Li Na").click()
    expect(page.get_by_role("heading", name="Li Na")).to_be_visible()
    screenshot("32-segment-member")


def test_a_wrong_value_is_explained_in_the_preview(live_server, page, shop):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/segments/new/")
    page.locator('[data-add-rule="r"]').click()
    page.locator('select[name="r.0.field"]').select_option("p_alive")
    expect(page.locator(".htmx-request")).to_have_count(0)  # the field redraws the rule
    page.locator('input[name="r.0.value"]').fill("7")
    page.locator('input[name="r.0.value"]').press("Tab")
    expect(page.locator("#preview")).to_contain_text("must be between 0 and 1")
