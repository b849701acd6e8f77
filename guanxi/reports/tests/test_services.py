"""The dashboard after a real analysis of an imported shop: the stored figures
agree with the orders table (on SQLite and PostgreSQL) and every chart is drawn."""

from datetime import date, timedelta

import pytest
from django.db.models import Count, F, Sum
from django.urls import reverse

from guanxi.analytics.schema import PURCHASE_STATUSES
from guanxi.commerce.models import Order, Return
from guanxi.insights import services as insights
from guanxi.insights.tests.helpers import import_generated_shop
from guanxi.reports import services
from guanxi.reports.money import Converter

pytestmark = pytest.mark.django_db(transaction=True)
AS_OF = date(2026, 11, 1)


@pytest.fixture
def analysed(tmp_path):
    import_generated_shop(tmp_path, customers=300)
    return insights.run_analysis(insights.analysis_options(as_of=AS_OF))


def test_the_stored_year_agrees_with_the_orders_table(analysed):
    year = services.find_period(analysed.report["dashboard"], "365d")["current"]
    start = AS_OF - timedelta(days=364)
    bought = Order.objects.filter(status__in=PURCHASE_STATUSES, ordered_at__date__range=(start, AS_OF))
    assert (year["start"], year["end"]) == (start.isoformat(), AS_OF.isoformat())
    assert year["active"] == bought.values("customer").distinct().count()
    assert year["orders"] == dict(bought.values_list("currency").annotate(n=Count("id")))
    refunds = Return.objects.filter(order__in=bought, status="refunded").aggregate(total=Sum("amount"))["total"] or 0
    total = bought.aggregate(total=Sum(F("total")))["total"] - refunds
    assert year["revenue"] == {"CNY": pytest.approx(float(total), abs=0.005)}


def test_every_chart_is_drawn_after_an_analysis(admin_client, analysed):
    html = admin_client.get(reverse("reports:dashboard")).content.decode()
    for chart in ("revenue", "rfm", "clv", "lifecycle", "cohorts", "backtest"):
        assert f'id="chart-{chart}"' in html, chart
    data = services.dashboard(analysed, "365d", Converter("CNY", {}))
    assert [card.key for card in data["cards"]][-1] == "average_clv" and data["cards"][-1].value > 0
    assert data["top_products"] and data["top_pairs"]
