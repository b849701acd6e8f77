"""The insights page, the run list, the admins' button and the customer page's
insights card."""

from datetime import date

import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from guanxi.accounts.choices import Role
from guanxi.customers.models import Customer
from guanxi.insights import services
from guanxi.insights.models import AnalysisRun, CustomerScore
from guanxi.insights.tests.helpers import import_generated_shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def analysed(tmp_path):
    import_generated_shop(tmp_path)
    return services.run_analysis(services.analysis_options(as_of=date(2026, 11, 1)))


@pytest.mark.parametrize("role, status", [(Role.ANALYST, 200), (Role.MARKETING, 200), (Role.SALES, 200), (Role.SERVICE, 403)])
def test_who_may_see_the_insights_page(client, make_user, role, status):
    client.force_login(make_user("u", role))
    assert client.get(reverse("insights:overview")).status_code == status
    assert client.get(reverse("insights:runs")).status_code == status


def test_the_insights_page_shows_the_models_backtest_segments_and_cohorts(admin_client, analysed):
    page = admin_client.get(reverse("insights:overview")).content.decode()
    for text in ("BG/NBD", "Pareto/NBD", "Backtest: predicted against actual repeat purchases", "RFM segments",
                 "Champions", "Lifecycle stages", "Monthly cohorts", "<polyline", "300 customers scored as of"):
        assert text in page, text


def test_only_admins_may_start_an_analysis(client, make_user):
    client.force_login(make_user("a", Role.ANALYST))
    assert client.post(reverse("insights:start")).status_code == 403
    assert AnalysisRun.objects.count() == 0


def test_the_button_queues_an_analysis_that_runs_through_the_task_backend(admin_client, admin_user, tmp_path):
    import_generated_shop(tmp_path, customers=100)
    HUEY.immediate = True
    try:
        response = admin_client.post(reverse("insights:start"))
    finally:
        HUEY.immediate = False
    assert response.status_code == 302
    run = AnalysisRun.objects.get()
    assert (run.status, run.trigger, run.started_by, run.customers) == ("succeeded", "button", admin_user, 100)


def test_the_customer_page_explains_the_scores_in_plain_words(admin_client, analysed):
    score = CustomerScore.objects.exclude(next_order_on=None).exclude(recommended_products=[]).first()
    page = admin_client.get(reverse("customers:detail", args=[score.customer_id])).content.decode()
    assert f"{round(score.p_alive * 100)}%" in page
    assert "Expected to order again around" in page and "Recommended products" in page
    assert score.get_rfm_segment_display() in page


def test_a_customer_without_scores_says_so(admin_client, db):
    customer = Customer.objects.create(first_name="Mei")
    page = admin_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Not scored yet" in page
