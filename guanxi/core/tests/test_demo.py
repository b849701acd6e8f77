"""`guanxi demo --no-serve` sets up a whole shop: customers, scores and the ready-made flows."""

import io

import pytest
from django.core.management import call_command

from guanxi.campaigns.choices import FlowStatus
from guanxi.campaigns.models import Flow
from guanxi.customers.models import Customer
from guanxi.insights.models import CustomerScore


@pytest.mark.django_db(transaction=True)
def test_the_demo_imports_a_shop_scores_it_and_installs_the_flows_as_drafts(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", customers=60, seed=7, no_serve=True, stdout=out)
    customers = Customer.objects.count()
    assert customers == 60
    assert CustomerScore.objects.count() == customers
    flows = Flow.objects.count()
    assert flows >= 9 and set(Flow.objects.values_list("status", flat=True)) == {FlowStatus.DRAFT}
    assert f"{flows} ready-made flows installed as drafts" in out.getvalue()
    assert 'as user "demo"' in out.getvalue()
