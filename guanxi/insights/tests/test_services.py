"""An analysis end to end on an imported synthetic shop: every customer scored,
the run recorded with its report, a rerun replacing the scores, a second
concurrent run refused and a failure visible."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from guanxi.customers.models import Customer
from guanxi.insights import services
from guanxi.insights.choices import RunStatus, Trigger
from guanxi.insights.exceptions import AnalysisAlreadyRunning, BadAnalysisOptions
from guanxi.insights.models import AnalysisRun, CustomerScore, ProductAffinity
from guanxi.insights.tests.helpers import import_generated_shop

pytestmark = pytest.mark.django_db(transaction=True)
AS_OF = date(2026, 11, 1)


@pytest.fixture
def shop(tmp_path):
    return import_generated_shop(tmp_path)


def test_every_customer_with_an_order_gets_a_score_and_the_run_its_report(shop):
    run = services.run_analysis(services.analysis_options(as_of=AS_OF))
    assert run.status == RunStatus.SUCCEEDED and run.customers == 300
    assert CustomerScore.objects.count() == Customer.objects.filter(orders__isnull=False).distinct().count() == 300
    assert set(run.report) >= {"bgnbd", "pareto_nbd", "gamma_gamma", "backtest", "chosen_model", "summary", "cohorts"}
    assert sum(run.report["summary"]["rfm_segments"].values()) == 300
    assert sum(run.report["summary"]["lifecycle"].values()) == 300
    scored = CustomerScore.objects.exclude(p_alive=None)
    assert scored.count() == 300 and not scored.filter(p_alive__gt=1).exists() and not scored.filter(p_alive__lt=0).exists()
    assert CustomerScore.objects.filter(as_of=AS_OF, run=run).count() == 300
    assert ProductAffinity.objects.exists()


def test_a_rerun_replaces_the_scores_instead_of_adding_to_them(shop):
    first = services.run_analysis(services.analysis_options(as_of=AS_OF))
    later = services.run_analysis(services.analysis_options(as_of=AS_OF + timedelta(days=30)))
    assert CustomerScore.objects.count() == 300
    assert set(CustomerScore.objects.values_list("run", flat=True)) == {later.pk} != {first.pk}
    # A month more without orders can only lower everyone's chance of still being active.
    assert later.report["summary"]["mean_p_alive"] < first.report["summary"]["mean_p_alive"]


def test_a_second_analysis_is_refused_while_one_is_running(db):
    running = AnalysisRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING)
    with pytest.raises(AnalysisAlreadyRunning):
        services.run_analysis(services.analysis_options(as_of=AS_OF))
    # ... unless it is stale (crashed long ago): then a new run goes ahead.
    AnalysisRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=4))
    run = services.run_analysis(services.analysis_options(as_of=AS_OF), trigger=Trigger.SCHEDULE)
    assert run.status == RunStatus.SUCCEEDED and run.customers == 0


def test_bad_options_are_refused_before_anything_runs(db):
    with pytest.raises(BadAnalysisOptions, match="must be before"):
        services.analysis_options(as_of=AS_OF, calibration_end=AS_OF)
    with pytest.raises(BadAnalysisOptions, match="Unknown time unit"):
        services.analysis_options(as_of=AS_OF, time_unit="months")
    assert AnalysisRun.objects.count() == 0


def test_a_failing_analysis_is_recorded_with_its_reason(shop, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.pipeline, "analyze", broken)
    with pytest.raises(RuntimeError):
        services.run_analysis(services.analysis_options(as_of=AS_OF))
    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.FAILED and run.error == "RuntimeError: disk full" and run.finished_at
    assert CustomerScore.objects.count() == 0


def test_the_command_prints_a_summary_with_the_segment_names(shop):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("analyze", "--as-of", "2026-11-01", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "300 customers scored as of 2026-11-01" in text
    assert "  Champions: " in text and "  Can't lose them: " in text
