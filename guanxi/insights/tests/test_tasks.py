"""The nightly analysis: scheduled at GUANXI_ANALYZE_AT_HOUR and run through huey."""

from datetime import datetime

import pytest

from guanxi.insights.models import AnalysisRun, CustomerScore
from guanxi.insights.tasks import nightly_analysis
from guanxi.insights.tests.helpers import import_generated_shop

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_nightly_analysis_is_due_at_two_in_the_morning_only():
    assert nightly_analysis.s().validate_datetime(datetime(2026, 11, 24, 2, 0))
    assert not nightly_analysis.s().validate_datetime(datetime(2026, 11, 24, 3, 0))
    assert not nightly_analysis.s().validate_datetime(datetime(2026, 11, 24, 2, 1))


def test_the_nightly_analysis_scores_the_shop_and_skips_while_another_runs(tmp_path):
    import_generated_shop(tmp_path, customers=100)
    nightly_analysis.call_local()
    run = AnalysisRun.objects.get()
    assert (run.status, run.trigger, run.customers) == ("succeeded", "schedule", 100)
    assert CustomerScore.objects.count() == 100
    AnalysisRun.objects.create(as_of=run.as_of)  # status running, just started
    nightly_analysis.call_local()  # skipped: no exception, no third run
    assert AnalysisRun.objects.count() == 2
