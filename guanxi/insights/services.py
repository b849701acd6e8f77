"""Run an analysis end to end: extract, compute, store, report.

Steps of `run_analysis`:
1. validate the options and refuse a second concurrent run (named exceptions);
2. record an AnalysisRun (status running) so a failure is visible afterwards;
3. extract the shop into Arrow over ADBC (`extract.py`) and hand it to the
   model-free engine (`guanxi.analytics.pipeline.analyze`);
4. replace every customer's scores and the affinities in one transaction;
5. mark the run succeeded with its report, or failed with the reason.
"""

import logging
import time
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics import pipeline
from guanxi.analytics.schema import day_number
from guanxi.insights import storage
from guanxi.insights.choices import RunStatus, TimeUnit, Trigger
from guanxi.insights.exceptions import AnalysisAlreadyRunning, BadAnalysisOptions
from guanxi.insights.extract import extract_shop
from guanxi.insights.models import AnalysisRun
from guanxi.insights.signals import analysis_finished

log = logging.getLogger(__name__)

# A run older than this that never finished is taken as crashed, not running.
STALE_AFTER = timedelta(hours=3)


def shop_today() -> date:
    return timezone.localdate()


def analysis_options(*, as_of=None, calibration_end=None, time_unit=TimeUnit.DAYS, **settings_overrides):
    """The engine's options from the command line / button, checked."""
    as_of = as_of or shop_today()
    if time_unit not in TimeUnit.values:
        raise BadAnalysisOptions(_("Unknown time unit %(unit)s: use days or weeks.") % {"unit": time_unit})
    if calibration_end and calibration_end >= as_of:
        raise BadAnalysisOptions(_("The calibration end %(end)s must be before the analysis date %(as_of)s.")
                                 % {"end": calibration_end, "as_of": as_of})
    values = dict(settings.GUANXI_ANALYTICS)
    values.update({k: v for k, v in settings_overrides.items() if v is not None})
    return pipeline.Options(
        as_of_day=day_number(as_of),
        calibration_end_day=day_number(calibration_end) if calibration_end else None,
        time_unit=str(time_unit),
        **values,
    )


def _claim_run(options, trigger, user) -> AnalysisRun:
    with transaction.atomic():
        running = AnalysisRun.objects.select_for_update().filter(
            status=RunStatus.RUNNING, started_at__gt=timezone.now() - STALE_AFTER).first()
        if running:
            raise AnalysisAlreadyRunning(running)
        return AnalysisRun.objects.create(
            trigger=trigger, started_by=user, as_of=options.as_of, time_unit=options.time_unit,
            calibration_end=options.calibration_end)


def run_analysis(options=None, *, trigger=Trigger.COMMAND, user=None, progress=None) -> AnalysisRun:
    """Score every customer; returns the finished run (succeeded or failed)."""
    options = options or analysis_options()
    run = _claim_run(options, trigger, user)
    try:
        timings, began = {}, time.perf_counter()
        shop = extract_shop()
        timings["extract"] = round(time.perf_counter() - began, 3)
        result = pipeline.analyze(shop, options, progress=progress)
        began = time.perf_counter()
        storage.stage_scores(run, options.as_of, result.scores)
        with transaction.atomic():
            storage.swap_scores()
            storage.replace_affinities(result.product_rules, result.category_rules)
            timings.update(result.report.get("timings", {}), store=round(time.perf_counter() - began, 3))
            _finish(run, RunStatus.SUCCEEDED, report={**result.report, "timings": timings},
                    customers=result.scores.num_rows, chosen_model=result.report.get("chosen_model", ""))
    except Exception as exc:
        log.exception("analysis run %s failed", run.pk)
        _finish(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        storage.drop_staging()
    analysis_finished.send(sender=AnalysisRun, run=run)
    return run


def _finish(run, status, **fields):
    for name, value in fields.items():
        setattr(run, name, value)
    run.status = status
    run.finished_at = timezone.now()
    run.save()


def latest_run():
    return AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).first()
