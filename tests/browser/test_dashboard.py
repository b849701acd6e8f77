"""A marketing user opens the dashboard after a real analysis of a generated
shop: every chart is drawn by the local plotly with data, the period selector
swaps the figures without a reload, and the page reads in Chinese too."""

from datetime import date

import pytest
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.insights import services
from guanxi.insights.tests.helpers import import_generated_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password"
CHARTS = ("revenue", "rfm", "clv", "lifecycle", "cohorts", "backtest")

# How many values a plotly graph div holds across its traces (x, y and z, heat-map rows included).
PLOTTED = """el => el.data.reduce((n, trace) => n + ['x', 'y', 'z'].reduce(
    (m, key) => m + (trace[key] || []).flat().filter(v => v !== null && v !== 0).length, 0), 0)"""


@pytest.fixture
def analysed(transactional_db, tmp_path):
    create_user("marketer", PASSWORD, Role.MARKETING)
    import_generated_shop(tmp_path, customers=1000)
    return services.run_analysis(services.analysis_options(as_of=date(2026, 11, 1)))


def test_the_dashboard_draws_every_chart_with_data(live_server, page, screenshot, analysed):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.locator("#period-range")).to_contain_text("Last 30 days: 2026-10-03 to 2026-11-01")

    for chart in CHARTS:
        graph = page.locator(f"#chart-{chart}")
        expect(graph.locator(".main-svg").first).to_be_visible()
        assert graph.evaluate(PLOTTED) > 0, chart
    expect(page.locator("#kpis .kpi")).to_have_count(10)
    assert page.locator("#top-products tbody tr").count() == 10
    assert page.locator("#top-pairs tbody tr").count() >= 1
    assert all(url.startswith(live_server.url) for url in requests), "everything is served locally"
    screenshot("20-dashboard-en")

    # The selector swaps the figures in place (htmx), the URL follows.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Period").select_option("7d")
    expect(page.locator("#period-range")).to_contain_text("Last 7 days: 2026-10-26 to 2026-11-01")
    assert page.evaluate("window.notReloaded") is True
    assert "period=7d" in page.url
    expect(page.locator("#chart-rfm .main-svg").first).to_be_visible()
    screenshot("21-dashboard-7-days")

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    for chart in CHARTS:
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
    screenshot("22-dashboard-zh")
