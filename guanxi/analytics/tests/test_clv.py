"""Customer lifetime value, expected next purchase and churn bands on CDNOW."""

import warnings
from functools import cache

import numpy as np
import pytest

from guanxi.analytics import clv
from guanxi.analytics.bgnbd import fit_bgnbd
from guanxi.analytics.gammagamma import fit_gamma_gamma
from guanxi.analytics.paretonbd import fit_pareto_nbd
from guanxi.analytics.tests.cdnow import cdnow_calibration


@cache
def _fits():
    summary = cdnow_calibration()
    purchases = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    return purchases, fit_gamma_gamma(summary["spend_count"], summary["monetary"])


def _columns(limit=None):
    summary = cdnow_calibration()
    return [summary[name][:limit] for name in ("frequency", "recency", "T", "spend_count", "monetary")]


def test_undiscounted_value_is_margin_times_spend_times_purchases():
    purchases, spend = _fits()
    x, t_x, age, count, monetary = _columns()
    value = clv.customer_value(purchases, spend, x, t_x, age, count, monetary, horizon=12, discount_rate=0.0,
                               margin=0.3, time_unit="weeks")
    year = 12 * clv.DAYS_PER_MONTH / 7
    expected = 0.3 * spend.expected_spend(count, monetary) * purchases.expected_purchases(year, x, t_x, age)
    assert np.allclose(value, expected, rtol=1e-12)
    # Customer 1 (x = 2, t_x = 30.43, T = 38.86 weeks, repeat spend 29.73 and 14.96):
    # E[spend] = p (v + 2 m) / (2 p + q - 1) = 24.65 with the paper's parameters,
    # 1.563 purchases in the next year, 30% margin.
    assert spend.expected_spend(2, 22.345) == pytest.approx(24.65, abs=0.01)
    assert value[0] == pytest.approx(0.3 * 24.654 * 1.5631, abs=0.005)


def test_each_month_is_discounted_at_its_end():
    purchases, spend = _fits()
    x, t_x, age, count, monetary = _columns(5)
    first, second = (purchases.expected_purchases(k * clv.DAYS_PER_MONTH / 7, x, t_x, age) for k in (1, 2))
    expected = 0.5 * spend.expected_spend(count, monetary) * (first / 1.05 + (second - first) / 1.05**2)
    value = clv.customer_value(purchases, spend, x, t_x, age, count, monetary, horizon=2, discount_rate=0.05,
                               margin=0.5, time_unit="weeks")
    assert np.allclose(value, expected, rtol=1e-12)


def test_value_does_not_depend_on_the_time_unit():
    # The models are scale-free: fitted in days instead of weeks, alpha is 7x and CLV the same.
    purchases, spend = _fits()
    x, t_x, age, count, monetary = _columns()
    in_days = fit_bgnbd(x, t_x * 7, age * 7)
    assert in_days.params["alpha"] == pytest.approx(purchases.params["alpha"] * 7, rel=1e-7)
    weeks = clv.customer_value(purchases, spend, x, t_x, age, count, monetary, time_unit="weeks")
    days = clv.customer_value(in_days, spend, x, t_x * 7, age * 7, count, monetary, time_unit="days")
    assert np.allclose(weeks, days, rtol=1e-6)


def test_matches_lifetimes_customer_lifetime_value(monkeypatch):
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    purchases, spend = _fits()
    x, t_x, age, count, monetary = (pd.Series(column) for column in _columns(200))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their_purchases, their_spend = BetaGeoFitter(), GammaGammaFitter()
        their_purchases.params_ = pd.Series(purchases.params)
        their_purchases.predict = their_purchases.conditional_expected_number_of_purchases_up_to_time
        their_spend.params_ = pd.Series(spend.params)
        theirs = their_spend.customer_lifetime_value(their_purchases, x, t_x, age, monetary, time=12,
                                                     discount_rate=0.01, freq="W")
    monkeypatch.setattr(clv, "DAYS_PER_MONTH", 4.345 * 7)  # lifetimes' weeks per month
    ours = clv.customer_value(purchases, spend, x, t_x, age, count, monetary, time_unit="weeks")
    assert np.allclose(ours, theirs.to_numpy(), rtol=1e-9)


def test_value_from_a_pareto_nbd_fit():
    summary = cdnow_calibration()
    purchases = fit_pareto_nbd(summary["frequency"], summary["recency"], summary["T"])
    spend = _fits()[1]
    value = clv.customer_value(purchases, spend, *_columns(), time_unit="weeks", discount_rate=0.0)
    year = 12 * clv.DAYS_PER_MONTH / 7
    x, t_x, age, count, monetary = _columns()
    expected = spend.expected_spend(count, monetary) * purchases.expected_purchases(year, x, t_x, age)
    assert np.allclose(value, expected, rtol=1e-12)


def test_horizon_must_be_whole_months():
    purchases, spend = _fits()
    assert np.all(clv.customer_value(purchases, spend, *_columns(3), horizon=0) == 0)
    for horizon in (-1, 2.5):
        with pytest.raises(ValueError, match="horizon"):
            clv.customer_value(purchases, spend, *_columns(3), horizon=horizon)


def test_next_purchase_is_the_median_of_the_lomax_waiting_time():
    purchases = _fits()[0]
    r, alpha = purchases.params["r"], purchases.params["alpha"]
    x, t_x, age = np.array([0, 2, 10]), np.array([0, 30.43, 35.0]), np.array([38.86, 38.86, 38.86])
    wait = clv.expected_next_purchase(purchases, x, t_x, age)
    survival = ((alpha + age) / (alpha + age + wait)) ** (r + x)
    assert np.allclose(survival, 0.5, rtol=1e-12)
    assert wait[0] > wait[1] > wait[2] > 0  # frequent buyers come back sooner
    assert wait[1] == pytest.approx((alpha + 38.86) * (2 ** (1 / (r + 2)) - 1), rel=1e-12)
    with pytest.raises(ValueError, match="recency"):
        clv.expected_next_purchase(purchases, [1], [40.0], [38.86])


def test_churn_risk_and_bands():
    purchases = _fits()[0]
    x, t_x, age = _columns(20)[:3]
    assert np.allclose(clv.churn_risk(purchases, x, t_x, age), 1 - purchases.p_alive(x, t_x, age))
    risk = [0.0, 0.29, 0.3, 0.59, 0.6, 1.0]
    assert clv.churn_band(risk).tolist() == ["low", "low", "medium", "medium", "high", "high"]
    assert clv.churn_band(risk, edges=(0.5, 0.9)).tolist() == ["low", "low", "low", "medium", "medium", "high"]
    with pytest.raises(ValueError, match="edges"):
        clv.churn_band(risk, edges=(0.7, 0.2))
