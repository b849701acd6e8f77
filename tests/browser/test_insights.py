"""An admin starts an analysis from the insights page, reads the report (models,
backtest chart, segments) and a customer's insights card, in English and Chinese."""

import pytest
from huey.contrib.djhuey import HUEY
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.insights.models import CustomerScore
from guanxi.insights.tests.helpers import import_generated_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password"


@pytest.fixture
def shop(transactional_db, tmp_path):
    create_user("merchant", PASSWORD, Role.ADMIN)
    import_generated_shop(tmp_path, customers=1000)
    HUEY.immediate = True  # the button's task runs in the live server's thread
    yield
    HUEY.immediate = False


def test_an_admin_runs_an_analysis_and_reads_the_report_and_a_customer_card(live_server, page, screenshot, shop):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("merchant")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_text("No analysis has finished yet.")).to_be_visible()

    # Immediate mode runs the whole analysis inside this request: allow it time.
    page.set_default_navigation_timeout(180_000)
    page.get_by_role("button", name="Analyse now").click(timeout=180_000)
    expect(page.get_by_text("The analysis has been queued")).to_be_visible()
    expect(page.get_by_text("1,000 customers scored as of")).to_be_visible()
    # The actual curve and at least the chosen model's prediction.
    expect(page.locator("#backtest svg polyline").first).to_be_visible()
    assert page.locator("#backtest svg polyline").count() >= 2
    expect(page.locator("#models tbody tr")).to_have_count(3)
    expect(page.locator("#rfm tbody tr")).to_have_count(11)
    screenshot("10-insights-en")

    score = CustomerScore.objects.exclude(next_order_on=None).order_by("-clv").first()
    page.goto(f"{live_server.url}/customers/{score.customer_id}/")
    card = page.locator("#insights")
    expect(card.get_by_text("Likely still active")).to_be_visible()
    expect(card.get_by_text("Expected to order again around")).to_be_visible()
    expect(card.get_by_text(score.get_rfm_segment_display())).to_be_visible()
    screenshot("11-customer-insights-en")

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("#insights").get_by_role("heading", name="洞察")).to_be_visible()
    screenshot("12-customer-insights-zh")
