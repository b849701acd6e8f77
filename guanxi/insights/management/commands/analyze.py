"""`guanxi analyze`: score every customer (docs/analytics.md)."""

import argparse
import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from guanxi.insights import services
from guanxi.insights.choices import RfmSegment, TimeUnit
from guanxi.insights.exceptions import AnalysisError


def _iso_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": text}) from None


def _share(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(_("%(value)r is not a number between 0 and 1") % {"value": text})
    return value


class Command(BaseCommand):
    help = _("Compute RFM, lifecycle, CLV, churn risk, next order, cross-sell, occasions, key accounts "
             "and cohorts for every customer, and store them.")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=_iso_date, help=_("score as of this day, YYYY-MM-DD (default today)"))
        parser.add_argument("--calibration-end", type=_iso_date,
                            help=_("fit the models on orders up to this day and test them on the rest (backtest)"))
        parser.add_argument("--time-unit", choices=TimeUnit.values, default=TimeUnit.DAYS,
                            help=_("unit of time for the purchase models (default days)"))
        parser.add_argument("--horizon-days", type=int, help=_("CLV horizon in days (default 365)"))
        parser.add_argument("--discount-rate", type=_share, help=_("yearly discount rate for CLV (default 0.10)"))
        parser.add_argument("--margin", type=_share, help=_("gross margin for CLV, 0-1 (default 1: revenue)"))
        parser.add_argument("--json", action="store_true", help=_("print the fitted models and figures as JSON"))
        parser.add_argument("--no-progress", action="store_true", help=_("do not show a progress bar"))

    def handle(self, *args, **opts):
        try:
            options = services.analysis_options(
                as_of=opts["as_of"], calibration_end=opts["calibration_end"], time_unit=opts["time_unit"],
                horizon_days=opts["horizon_days"], discount_rate=opts["discount_rate"], margin=opts["margin"])
            quiet = opts["json"] or opts["no_progress"]
            with tqdm(total=None, desc=_("Analysing"), disable=quiet, unit=_(" steps")) as bar:
                run = services.run_analysis(options, progress=lambda step: (bar.set_postfix_str(step), bar.update()))
        except AnalysisError as error:
            raise CommandError(str(error)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(run.report, ensure_ascii=False))
            return
        self._summary(run)

    def _summary(self, run):
        report = run.report
        self.stdout.write(_("%(customers)d customers scored as of %(as_of)s in %(seconds).1f s.")
                          % {"customers": run.customers, "as_of": run.as_of, "seconds": run.seconds})
        chosen = report.get("chosen_model")
        if chosen:
            fit = report.get(chosen, {})
            self.stdout.write(_("Purchase model: %(model)s (chosen by the backtest), log-likelihood %(ll).1f")
                              % {"model": chosen, "ll": fit.get("log_likelihood", float("nan"))})
        segments = report.get("summary", {}).get("rfm_segments", {})
        for segment in RfmSegment:
            self.stdout.write(f"  {segment.label}: {segments.get(segment.value, 0)}")
