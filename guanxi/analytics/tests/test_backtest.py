"""The backtest on CDNOW (Fader, Hardie & Lee 2005: 39 weeks calibration, 39
weeks holdout) and its behaviour when a model cannot be fitted."""

import json
from functools import cache

import numpy as np
import pyarrow as pa
import pytest

from guanxi.analytics import backtest
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.fitting import NotEnoughData
from guanxi.analytics.schema import ORDERS
from guanxi.analytics.tests.cdnow import cdnow_orders


@cache
def _cdnow_report():
    orders, calibration_end, data_end = cdnow_orders()
    return backtest.run_backtest(DuckDBEngine(), orders, calibration_end, data_end, "weeks")


def test_cumulative_repeat_purchases_are_the_papers():
    cumulative = _cdnow_report()["cumulative"]
    assert len(cumulative["day"]) == 78  # weekly from 1997-01-01 to 1998-06-30
    assert cumulative["day"][-1] == cdnow_orders()[2]
    assert cumulative["actual"][38] == 2457  # the calibration period's repeat purchases
    assert cumulative["actual"][-1] == 4339  # the paper's week-78 total
    assert cumulative["predicted"]["bgnbd"][-1] == pytest.approx(4166, rel=0.01)  # paper: ~4,166
    assert cumulative["predicted"]["bgnbd"][-1] == pytest.approx(4160.6, abs=0.1)
    assert np.all(np.diff(cumulative["predicted"]["pareto_nbd"]) > 0)


def test_holdout_totals_and_frequency_buckets():
    report = _cdnow_report()
    assert report["customers"] == 2357 and report["calibration_repeat_purchases"] == 2457
    assert report["holdout_length"] == 39.0
    assert report["holdout"]["actual"] == 1882
    assert report["holdout"]["predicted"]["bgnbd"] == pytest.approx(1653.4, abs=0.1)
    assert report["holdout"]["predicted"]["pareto_nbd"] == pytest.approx(1665.5, abs=0.1)
    buckets = report["by_frequency"]
    assert [row["frequency"] for row in buckets] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert [row["customers"] for row in buckets] == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert buckets[0]["actual_mean"] == pytest.approx(334 / 1411)
    assert buckets[0]["predicted_mean"]["bgnbd"] == pytest.approx(0.2251, abs=1e-4)
    totals = sum(row["customers"] * row["actual_mean"] for row in buckets)
    assert totals == pytest.approx(1882)


def test_errors_and_the_chosen_model():
    report = _cdnow_report()
    errors = report["errors"]
    assert errors["bgnbd"]["total_abs_pct_error"] == pytest.approx(100 * (1882 - 1653.41) / 1882, abs=0.01)
    assert errors["bgnbd"]["rmse"] == pytest.approx(1.608, abs=0.001)
    assert errors["pareto_nbd"]["rmse"] == pytest.approx(1.603, abs=0.001)
    assert report["chosen"] == "pareto_nbd"  # the lower per-customer RMSE
    assert report["models"]["bgnbd"]["r"] == pytest.approx(0.2426, abs=1e-4)
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_a_model_that_cannot_be_fitted_is_reported_and_the_other_chosen(monkeypatch):
    def fail(*columns):
        raise NotEnoughData("no luck")

    monkeypatch.setitem(backtest.MODELS, "bgnbd", fail)
    orders, calibration_end, data_end = cdnow_orders()
    report = backtest.run_backtest(DuckDBEngine(), orders, calibration_end, data_end, "weeks")
    assert report["models"]["bgnbd"] == {"model": "bgnbd", "error": "no luck"}
    assert report["chosen"] == "pareto_nbd"
    assert set(report["holdout"]["predicted"]) == set(report["errors"]) == {"pareto_nbd"}


def test_an_unconverged_fit_is_not_chosen(monkeypatch):
    from guanxi.analytics.bgnbd import fit_bgnbd

    def stuck(*columns):
        fit = fit_bgnbd(*columns)
        return fit.__class__(fit.params, fit.log_likelihood, False, 1, fit.std_errors, fit.n_customers, "stuck")

    monkeypatch.setitem(backtest.MODELS, "pareto_nbd", stuck)
    orders, calibration_end, data_end = cdnow_orders()
    report = backtest.run_backtest(DuckDBEngine(), orders, calibration_end, data_end, "weeks")
    assert report["models"]["pareto_nbd"]["error"] == "did not converge: stuck"
    assert report["chosen"] == "bgnbd"


def _orders(rows):
    """Orders from (customer_id, day, status) rows."""
    return pa.table({
        "order_id": list(range(1, len(rows) + 1)),
        "customer_id": [row[0] for row in rows],
        "day": [row[1] for row in rows],
        "amount": [10.0] * len(rows),
        "refunded": [0.0] * len(rows),
        "status": [row[2] for row in rows],
        "currency": ["CNY"] * len(rows),
    }, schema=ORDERS)


def test_no_repeat_buyer_in_calibration_fails_both_models_without_crashing():
    orders = _orders([(1, 100, "paid"), (2, 105, "paid"), (1, 130, "paid"), (1, 131, "cancelled")])
    report = backtest.run_backtest(DuckDBEngine(), orders, 120, 140, "days")
    assert report["chosen"] is None
    assert "repeat buyer" in report["models"]["bgnbd"]["error"]
    assert "repeat buyer" in report["models"]["pareto_nbd"]["error"]
    assert report["holdout"] == {"actual": 1, "predicted": {}}
    assert report["cumulative"]["day"] == [106, 113, 120, 127, 134, 140]  # from the first purchase, day 100
    assert report["cumulative"]["actual"] == [0, 0, 0, 0, 1, 1]  # the repeat purchase on day 130
    assert json.dumps(report, allow_nan=False)


def test_a_shop_without_orders_gets_an_empty_report():
    report = backtest.run_backtest(DuckDBEngine(), ORDERS.empty_table(), 100, 200, "days")
    assert report["customers"] == 0 and report["chosen"] is None
    assert report["holdout"] == {"actual": 0, "predicted": {}}
    assert report["cumulative"] == {"day": [], "actual": [], "predicted": {}}


def test_holdout_newcomers_and_cancelled_orders_are_left_out():
    orders, calibration_end, data_end = cdnow_orders()
    extra = _orders([(9999, calibration_end + 10, "fulfilled"), (9999, calibration_end + 20, "paid"),
                     (1, calibration_end + 30, "cancelled"), (1, calibration_end + 31, "pending")])
    extra = extra.set_column(0, "order_id", pa.array(range(10**6, 10**6 + 4), pa.int64()))
    report = backtest.run_backtest(DuckDBEngine(), pa.concat_tables([orders, extra]), calibration_end, data_end,
                                   "weeks")
    assert report["customers"] == 2357 and report["holdout"]["actual"] == 1882
    assert report["cumulative"]["actual"][-1] == 4339


def test_holdout_must_end_after_calibration():
    orders, calibration_end, _ = cdnow_orders()
    with pytest.raises(ValueError, match="holdout"):
        backtest.run_backtest(DuckDBEngine(), orders, calibration_end, calibration_end, "weeks")
