"""Backtest of the purchase models: fit on a calibration period, predict a
holdout period, compare with what happened, and choose the better model.

As in Fader, Hardie & Lee (2005): the calibration summary (x, t_x, T) of every
customer whose first purchase falls before `calibration_end_day`; purchases are
counted per customer-day (features.purchase_days); every holdout purchase of a
calibration customer is a repeat purchase. Customers acquired during the
holdout are left out. The report is a JSON-ready dict (see run_backtest).
"""

import math

import numpy as np

from guanxi.analytics.bgnbd import fit_bgnbd
from guanxi.analytics.features import TIME_UNITS, customer_summary, purchase_days
from guanxi.analytics.fitting import NotEnoughData
from guanxi.analytics.paretonbd import fit_pareto_nbd

MODELS = {"bgnbd": fit_bgnbd, "pareto_nbd": fit_pareto_nbd}
FREQUENCY_BUCKETS = 7  # 0, 1, ..., 6 and "7+"


def run_backtest(engine, orders, calibration_end_day, holdout_end_day, time_unit="weeks") -> dict:
    """Fit BG/NBD and Pareto/NBD on purchases up to `calibration_end_day`, predict
    (calibration_end_day, holdout_end_day], and report:

    - time_unit, calibration_end_day, holdout_end_day, holdout_length (in time_unit),
      customers, calibration_repeat_purchases;
    - models: each model's fit.to_dict(), or {"model", "error"} if it could not be fitted;
    - holdout: {"actual": int, "predicted": {model: float}} repeat purchases in total;
    - by_frequency: per calibration-frequency bucket "0".."6", "7+": customers,
      actual_mean and predicted_mean {model: float} of holdout purchases per customer;
    - cumulative: the paper's tracking plot, week by week from the first
      purchase day: "day" (last day of each week), "actual" cumulative repeat
      purchases, "predicted" {model: [...]} = sum over customers of the model's
      unconditional E[X(t)] since their first purchase;
    - errors: {model: {"rmse", "mae", "total_abs_pct_error"}}: RMSE and mean
      absolute error of the per-customer holdout predictions, and |predicted -
      actual| / actual of the holdout total in percent;
    - chosen: the usable (fitted and converged) model with the lower RMSE, or
      None if neither is usable.
    """
    if holdout_end_day <= calibration_end_day:
        raise ValueError("the holdout must end after the calibration period")
    unit = TIME_UNITS[time_unit]
    calibration = _calibration(engine, orders, calibration_end_day, holdout_end_day, time_unit)
    horizon = (holdout_end_day - calibration_end_day) / unit
    fits, models = _fit_models(calibration)
    predicted = {name: fit.expected_purchases(horizon, calibration["x"], calibration["t_x"], calibration["T"])
                 for name, fit in fits.items()}
    actual = calibration["holdout"]
    errors = {name: _errors(prediction, actual) for name, prediction in predicted.items()}
    return {
        "time_unit": time_unit,
        "calibration_end_day": int(calibration_end_day),
        "holdout_end_day": int(holdout_end_day),
        "holdout_length": horizon,
        "customers": len(actual),
        "calibration_repeat_purchases": int(calibration["x"].sum()),
        "models": models,
        "holdout": {"actual": int(actual.sum()),
                    "predicted": {name: float(prediction.sum()) for name, prediction in predicted.items()}},
        "by_frequency": _by_frequency(calibration["x"], actual, predicted),
        "cumulative": _cumulative(calibration, fits, holdout_end_day, unit),
        "errors": errors,
        "chosen": _choose(fits, errors),
    }


def _calibration(engine, orders, calibration_end_day, holdout_end_day, time_unit):
    """The calibration summary as arrays, with each customer's first purchase day,
    holdout purchase count, and all repeat purchase days up to the holdout end."""
    summary = customer_summary(engine, orders, calibration_end_day, time_unit)
    ids = summary.column("customer_id").to_numpy()
    days = purchase_days(engine, orders, holdout_end_day)
    customer, day = days.column("customer_id").to_numpy(), days.column("day").to_numpy()
    position = np.searchsorted(ids, customer)  # both sorted by customer_id
    known = (position < len(ids)) & (ids[np.minimum(position, len(ids) - 1)] == customer) if len(ids) else customer < 0
    customer, day, position = customer[known], day[known], position[known]
    first = np.r_[True, customer[1:] != customer[:-1]][: len(customer)]  # rows sorted by customer, then day
    in_holdout = day > calibration_end_day
    return {
        "x": summary.column("frequency").to_numpy().astype(float),
        "t_x": summary.column("recency").to_numpy(),
        "T": summary.column("T").to_numpy(),
        "first_day": day[first],
        "holdout": np.bincount(position[in_holdout], minlength=len(ids)).astype(float),
        "repeat_days": np.sort(day[~first]),
    }


def _fit_models(calibration):
    """({name: usable fit}, {name: report}); a model that raises NotEnoughData or
    does not converge is reported and left out."""
    fits, reports = {}, {}
    for name, fitter in MODELS.items():
        try:
            fit = fitter(calibration["x"], calibration["t_x"], calibration["T"])
        except NotEnoughData as error:
            reports[name] = {"model": name, "error": str(error)}
            continue
        reports[name] = fit.to_dict()
        if fit.converged:
            fits[name] = fit
        else:
            reports[name]["error"] = f"did not converge: {fit.message}"
    return fits, reports


def _errors(prediction, actual):
    total = actual.sum()
    return {
        "rmse": float(np.sqrt(np.mean((prediction - actual) ** 2))) if len(actual) else None,
        "mae": float(np.mean(np.abs(prediction - actual))) if len(actual) else None,
        "total_abs_pct_error": float(abs(prediction.sum() - total) / total * 100) if total > 0 else None,
    }


def _choose(fits, errors):
    usable = [name for name in fits if errors[name]["rmse"] is not None]
    return min(usable, key=lambda name: errors[name]["rmse"]) if usable else None


def _by_frequency(x, actual, predicted):
    bucket = np.minimum(x, FREQUENCY_BUCKETS).astype(int)
    rows = []
    for number in range(FREQUENCY_BUCKETS + 1):
        members = bucket == number
        count = int(members.sum())
        rows.append({
            "frequency": f"{number}+" if number == FREQUENCY_BUCKETS else str(number),
            "customers": count,
            "actual_mean": float(actual[members].mean()) if count else None,
            "predicted_mean": {name: float(p[members].mean()) if count else None for name, p in predicted.items()},
        })
    return rows


def _cumulative(calibration, fits, holdout_end_day, unit):
    """Cumulative repeat purchases at the end of each week since the first
    purchase day: actual, and each model's sum of E[X(t)] over customers, t
    the time since their own first purchase (customers grouped by that day)."""
    if len(calibration["first_day"]) == 0:
        return {"day": [], "actual": [], "predicted": {name: [] for name in fits}}
    start = int(calibration["first_day"].min())
    weeks = math.ceil((holdout_end_day - start + 1) / 7)
    week_end = np.minimum(start + 7 * np.arange(1, weeks + 1) - 1, holdout_end_day)
    actual = np.searchsorted(calibration["repeat_days"], week_end, side="right")
    born, born_count = np.unique(calibration["first_day"], return_counts=True)
    age = np.maximum(week_end[:, None] - born[None, :], 0) / unit
    predicted = {name: (fit.expected_cumulative(age) @ born_count).tolist() for name, fit in fits.items()}
    return {"day": week_end.tolist(), "actual": actual.tolist(), "predicted": predicted}
