"""Turn a run's stored report (plain JSON) into what the analysis page shows,
with translated labels."""

from django.utils.translation import gettext as _

from guanxi.analytics.schema import day_date
from guanxi.insights.charts import line_chart
from guanxi.insights.choices import (
    ChurnBand,
    Lifecycle,
    Model,
    RfmSegment,
    RiskRating,
    ValueTier,
)

PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "pareto_nbd": ("r", "alpha", "s", "beta"), "gamma_gamma": ("p", "q", "v")}
COHORT_PERIODS = 12
COHORTS_SHOWN = 24


def model_rows(report):
    rows = []
    for key, names in PARAMS.items():
        fit = report.get(key) or {}
        label = Model(key).label if key in Model.values else _("Gamma-Gamma (order value)")
        errors = fit.get("std_errors") or {}
        rows.append({
            "key": key, "label": label, "error": fit.get("error", ""), "message": fit.get("message", ""),
            "params": [(name, fit.get(name), errors.get(name)) for name in names],
            "log_likelihood": fit.get("log_likelihood"), "converged": fit.get("converged"),
            "customers": fit.get("n_customers"), "chosen": key == report.get("chosen_model"),
        })
    return rows


def _distribution(counts, choices):
    total = sum(counts.values()) or 1
    return [{"label": choice.label, "code": choice.value, "count": counts.get(choice.value, 0),
             "share": counts.get(choice.value, 0) / total} for choice in choices]


def backtest_section(backtest):
    if not backtest:
        return None
    cumulative = backtest.get("cumulative") or {}
    series = {_("Actual"): cumulative.get("actual", [])}
    for key, values in (cumulative.get("predicted") or {}).items():
        series[Model(key).label] = values
    holdout = backtest.get("holdout") or {}
    return {
        "calibration_end": day_date(backtest["calibration_end_day"]),
        "holdout_end": day_date(backtest["holdout_end_day"]),
        "customers": backtest.get("customers"),
        "actual": holdout.get("actual"),
        "predictions": [{"label": Model(key).label, "key": key, "predicted": value,
                         "errors": (backtest.get("errors") or {}).get(key, {})}
                        for key, value in (holdout.get("predicted") or {}).items()],
        "by_frequency": _by_frequency(backtest.get("by_frequency") or []),
        "chosen": Model(backtest["chosen"]).label if backtest.get("chosen") else None,
        "chart": line_chart(series, marker=_week_of(cumulative.get("day", []), backtest["calibration_end_day"])),
    }


def _week_of(week_ends, day):
    """Index of the week holding `day` (the calibration end marker)."""
    return next((i for i, end in enumerate(week_ends) if end >= day), None)


def _by_frequency(buckets):
    rows = []
    for values in buckets:
        predicted = values.get("predicted_mean") or {}
        rows.append({"bucket": values.get("frequency"), "customers": values.get("customers"),
                     "actual": values.get("actual_mean"),
                     "bgnbd": predicted.get("bgnbd"), "pareto_nbd": predicted.get("pareto_nbd")})
    return rows


def cohort_rows(cohorts):
    rows = []
    for entry in (cohorts or {}).get("cohorts", [])[-COHORTS_SHOWN:]:
        cells = [{"share": share, "alpha": round(0.1 + 0.9 * share, 2)}
                 for share in entry["retention"][1:COHORT_PERIODS + 1]]
        rows.append({"cohort": entry["cohort"], "customers": entry["customers"], "cells": cells})
    return rows


def sections(report):
    summary = report.get("summary") or {}
    return {
        "models": model_rows(report),
        "backtest": backtest_section(report.get("backtest")),
        "rfm": _distribution(summary.get("rfm_segments", {}), RfmSegment),
        "lifecycle": _distribution(summary.get("lifecycle", {}), Lifecycle),
        "churn": _distribution(summary.get("churn_bands", {}), ChurnBand),
        "tiers": _distribution(summary.get("value_tiers", {}), ValueTier),
        "ratings": _distribution(summary.get("risk_ratings", {}), RiskRating),
        "summary": summary,
        "cohorts": cohort_rows(report.get("cohorts")),
        "cohort_periods": range(1, COHORT_PERIODS + 1),
        "timings": report.get("timings") or {},
        "clv_settings": report.get("clv_settings") or {},
    }
