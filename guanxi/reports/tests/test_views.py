"""The dashboard page: who may see it, exact figures and conversions, the
period and currency selectors, bad input, the empty states, both languages and
its query count."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.accounts.choices import Role
from guanxi.commerce.models import Product
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import AnalysisRun
from guanxi.reports.models import ExchangeRate
from guanxi.reports.tests.factories import finished_run, report

URL = reverse("reports:dashboard")


@pytest.fixture
def products(db):
    return (Product.objects.create(sku="TEA-1", name="Longjing tea"), Product.objects.create(sku="CUP-1", name="Tea cup"))


@pytest.fixture
def run(products):
    return finished_run(report(tuple(p.pk for p in products)))


@pytest.fixture
def usd_rate(db):
    return ExchangeRate.objects.create(currency="USD", rate=Decimal("7.2"))


def text(response) -> str:
    """The page as text: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def card(response, key) -> str:
    html = response.content.decode()
    start = html.index(">", html.index(f'id="kpi-{key}"')) + 1
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:html.index("</div>\n    </div>", start)])).strip()


@pytest.mark.parametrize("role, status", [(Role.ANALYST, 200), (Role.MARKETING, 200), (Role.SALES, 200),
                                          (Role.SERVICE, 403)])
def test_who_may_see_the_dashboard(client, make_user, run, role, status):
    client.force_login(make_user("u", role))
    assert client.get(URL).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_kpis_of_the_default_period_are_converted_exactly(admin_client, run, usd_rate):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert card(response, "customers") == "Customers 5 ▲ +25.0% vs previous period: 4"
    assert card(response, "active") == "Active customers 2 ▼ −50.0% vs previous period: 4"
    assert card(response, "new") == "New customers 1 ▼ −50.0% vs previous period: 2"
    assert card(response, "repeat_rate") == "Repeat-purchase rate 50.0% ▲ +25.0 pts vs previous period: 25.0%"
    assert card(response, "retention") == "Retention 25.0% ▶ — vs previous period: —"
    assert card(response, "churn") == "Churn 75.0% ▶ — vs previous period: —"
    # 300 CNY + 50 USD at 7.2 = 660 CNY, against 200 CNY
    assert card(response, "revenue") == "Revenue 660.00 CNY ▲ +230.0% vs previous period: 200.00"
    assert card(response, "orders") == "Orders 4 ▶ ±0.0% vs previous period: 4"
    assert card(response, "average_order") == "Average order value 165.00 CNY ▲ +230.0% vs previous period: 50.00"
    # (300 + 100 × 7.2) / 4 customers; no earlier run to compare with
    assert card(response, "average_clv") == "Average predicted CLV 255.00 CNY ▶ — vs the previous analysis: —"
    page = text(response)
    assert "Last 30 days: 2026-10-02 to 2026-10-31, compared with 2026-09-02 to 2026-10-01." in page
    assert "No exchange rate" not in page


def test_the_good_direction_is_green_and_churn_counts_down(admin_client, run, usd_rate):
    html = admin_client.get(URL).content.decode()
    assert re.search(r'id="kpi-revenue".*?class="change good"', html, re.DOTALL)
    assert re.search(r'id="kpi-active".*?class="change bad"', html, re.DOTALL)


def test_money_without_an_exchange_rate_is_shown_apart_and_left_out(admin_client, run):
    response = admin_client.get(URL)
    assert card(response, "revenue") == ("Revenue 300.00 CNY + USD 50.00 not converted ▲ +50.0% "
                                         "vs previous period: 200.00")
    assert card(response, "average_order").startswith("Average order value 100.00 CNY")  # 300 CNY / 3 CNY orders
    assert card(response, "average_clv").startswith("Average predicted CLV 100.00 CNY + USD 100.00 not converted")
    assert "No exchange rate from USD to CNY" in text(response)


def test_another_reporting_currency_converts_through_the_cross_rate(admin_client, run, usd_rate):
    response = admin_client.get(URL, {"currency": "USD", "period": "30d"})
    assert response.status_code == 200
    # 300 CNY / 7.2 = 41.67 USD, plus 50 USD
    assert card(response, "revenue") == "Revenue 91.67 USD ▲ +230.0% vs previous period: 27.78"
    assert card(response, "average_order").startswith("Average order value 22.92 USD")


def test_top_products_are_ranked_after_conversion(admin_client, run, usd_rate, products):
    response = admin_client.get(URL)
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td>\s*<td class=\"num\">([\d.,]+)",
                      response.content.decode())
    assert rows == [("Tea cup", "1", "144.00"), ("Longjing tea", "3", "90.00")]


def test_the_period_selector_shows_another_period(admin_client, run):
    response = admin_client.get(URL, {"period": "2026"})
    assert response.status_code == 200
    assert "2026 (to date): 2026-01-01 to 2026-10-31, compared with 2025-01-01 to 2025-10-31." in text(response)
    assert card(response, "active") == "Active customers 4 ▲ — vs previous period: 0"
    options = re.findall(r'<option value="([^"]+)"', response.content.decode())
    assert options == ["7d", "30d", "2026-10", "2026", "CNY"]


def test_htmx_gets_only_the_dashboard_body(admin_client, run):
    response = admin_client.get(URL, {"period": "7d"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="kpis"' in html
    assert "<html" not in html and "<form" not in html


@pytest.mark.parametrize("query, message", [
    ({"period": "1999"}, "Unknown period 1999: choose one from the list."),
    ({"currency": "XXX"}, "No exchange rate for XXX: choose a currency from the list, or add its rate in the admin."),
])
def test_bad_selections_are_refused_with_a_clear_message(admin_client, run, query, message):
    response = admin_client.get(URL, query)
    assert response.status_code == 400
    assert message in text(response)
    assert 'id="kpis"' not in response.content.decode()


def test_each_chart_is_drawn_with_local_plotly_and_converted_data(admin_client, run, usd_rate):
    html = admin_client.get(URL).content.decode()
    assert '<script src="/static/plotly/plotly.min.js"></script>' in html
    assert "cdn" not in html.lower()
    for chart in ("revenue", "rfm", "clv", "lifecycle", "cohorts", "backtest"):
        assert f'id="chart-{chart}"' in html, chart
    assert '"name":"USD","x":["2026-09","2026-10"],"y":[0.0,360.0]' in html  # 50 USD in CNY
    assert r'"x":["0\u2013720","720\u20131,440"]' in html  # USD CLV bands in CNY


def test_the_plotly_bundle_is_served_from_our_static_files(client, db):
    from django.contrib.staticfiles import finders

    assert finders.find("plotly/plotly.min.js")


def test_the_average_clv_is_compared_with_the_previous_analysis(admin_client, products, usd_rate):
    earlier = finished_run({"dashboard": {"clv": {"CNY": {"customers": 2, "total": 100.0, "edges": [], "counts": []}}}})
    run = finished_run(report(tuple(p.pk for p in products)))
    assert run.started_at >= earlier.started_at
    response = admin_client.get(URL)
    assert card(response, "average_clv") == ("Average predicted CLV 255.00 CNY ▲ +410.0% "
                                             "vs the previous analysis: 50.00")


def test_without_an_analysis_the_page_says_how_to_start_one(admin_client, db):
    response = admin_client.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "No analysis has finished yet" in page and "guanxi analyze" in page and "Analyse now" in page
    AnalysisRun.objects.create(status=RunStatus.FAILED, as_of="2026-10-31")
    assert "No analysis has finished yet" in text(admin_client.get(URL))


def test_an_analysis_from_before_the_dashboard_asks_for_a_new_run(admin_client, db):
    finished_run({"summary": {"customers": 3}})
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert "The latest analysis has no dashboard figures" in text(response)


def test_the_dashboard_speaks_chinese(admin_client, run, usd_rate):
    admin_client.cookies["django_language"] = "zh-hans"
    response = admin_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="zh-hans">' in html
    assert '<option value="2026-10">2026年10月</option>' in html  # month names in the reader's language
    assert "660.00 CNY" in card(response, "revenue")


def test_the_page_reads_few_rows_whatever_the_shop_size(admin_client, run, usd_rate, django_assert_num_queries):
    admin_client.get(URL)  # sessions and permissions warm up like any page
    # 9: the report, rates, session, user... and one for the active flows the alerts look at.
    with django_assert_num_queries(9):
        assert admin_client.get(URL, {"period": "30d"}).status_code == 200


def test_the_nav_links_to_the_dashboard(admin_client, run):
    assert f'href="{URL}" aria-current="page"' in admin_client.get(URL).content.decode()
