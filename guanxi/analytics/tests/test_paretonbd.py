"""Pareto/NBD: the CDNOW figures of Fader & Hardie's note, both 2F1 branches,
agreement with lifetimes, the analytic derivatives and the fast paths (2F1
interpolation, warm start), and the edge cases."""

import json
import warnings
from functools import cache

import numpy as np
import pytest
from scipy.special import gammaln, hyp2f1

from guanxi.analytics import paretonbd
from guanxi.analytics.fitting import (
    NotEnoughData,
    finite_difference_hessian,
    unique_codes,
)
from guanxi.analytics.paretonbd import fit_pareto_nbd, log_likelihood
from guanxi.analytics.tests.cdnow import cdnow_calibration

CDNOW = ("frequency", "recency", "T")


@cache
def _cdnow_fit():
    summary = cdnow_calibration()
    return fit_pareto_nbd(*(summary[name] for name in CDNOW))


def test_cdnow_parameters_are_the_notes():
    # Fader & Hardie (2005), "A note on deriving the Pareto/NBD model": r = 0.553,
    # alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
    fit = _cdnow_fit()
    assert fit.converged and fit.n_customers == 2357
    assert fit.params["r"] == pytest.approx(0.553, abs=0.002)
    assert fit.params["alpha"] == pytest.approx(10.578, abs=0.002)
    assert fit.params["s"] == pytest.approx(0.606, abs=0.002)
    assert fit.params["beta"] == pytest.approx(11.67, abs=0.02)
    assert fit.log_likelihood == pytest.approx(-9595.0, abs=0.1)
    assert fit.log_likelihood == pytest.approx(-9594.9762, abs=1e-4)


def _note_log_likelihood(params, x, t_x, age):
    """The note's likelihood term by term, without logs or Euler's transformation."""
    r, alpha, s, beta = (params[name] for name in ("r", "alpha", "s", "beta"))
    top = r + s + x
    if alpha >= beta:
        def F(u):
            return hyp2f1(top, s + 1, top + 1, (alpha - beta) / (alpha + u)) / (alpha + u) ** top
    else:
        def F(u):
            return hyp2f1(top, r + x, top + 1, (beta - alpha) / (beta + u)) / (beta + u) ** top
    braces = 1 / ((alpha + age) ** (r + x) * (beta + age) ** s) + s / top * (F(t_x) - F(age))
    return np.sum(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.log(braces))


@pytest.mark.parametrize("params", [
    {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7},  # alpha < beta
    {"r": 0.55, "alpha": 14.0, "s": 0.61, "beta": 11.7},  # alpha >= beta
    {"r": 0.55, "alpha": 11.7, "s": 0.61, "beta": 11.7},  # equal: 2F1 argument 0
])
def test_log_likelihood_is_the_notes_on_both_branches(params):
    summary = cdnow_calibration()
    columns = [summary[name].astype(float) for name in CDNOW]
    assert log_likelihood(params, *columns) == pytest.approx(_note_log_likelihood(params, *columns), rel=1e-12)


def test_matches_lifetimes_on_cdnow():
    from lifetimes import ParetoNBDFitter

    summary = cdnow_calibration()
    columns = [summary[name] for name in CDNOW]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A fixed start: lifetimes otherwise starts Nelder-Mead at random, and it stops
        # within 1e-4..9e-4 of the optimum depending on where it started.
        theirs = ParetoNBDFitter().fit(*columns, initial_params=np.ones(4))
    fit = _cdnow_fit()
    for name, value in theirs.params_.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-3)
    # lifetimes' optimiser stops a little short of the optimum; ours is at least as high.
    assert fit.log_likelihood >= log_likelihood(theirs.params_.to_dict(), *columns) - 1e-9
    theirs.params_[:] = [fit.params[name] for name in theirs.params_.index]  # same parameters, their formulas
    x, t_x, age = (column[:60] for column in columns)
    assert np.allclose(fit.p_alive(x, t_x, age), theirs.conditional_probability_alive(x, t_x, age), rtol=1e-9)
    assert np.allclose(fit.expected_purchases(39, x, t_x, age),
                       theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, age), rtol=1e-9)
    weeks = np.array([1.0, 39.0, 78.0, 520.0])
    assert np.allclose(fit.expected_cumulative(weeks), theirs.expected_number_of_purchases_up_to_time(weeks),
                       rtol=1e-12)


def test_expectations_are_continuous_at_s_equal_one():
    fit = _cdnow_fit()
    values = []
    for s in (1 - 1e-9, 1.0, 1 + 1e-9):
        shifted = fit.__class__({**fit.params, "s": s}, 0.0, True, 0, {}, 0)
        values.append(np.r_[shifted.expected_cumulative(39.0), shifted.expected_purchases_alive(39.0, 3, 30.0)])
    assert np.allclose(values[0], values[1], rtol=1e-7) and np.allclose(values[2], values[1], rtol=1e-7)


def test_p_alive_of_customers_without_repeat_purchases():
    fit = _cdnow_fit()
    alive = fit.p_alive([0, 0, 0], [0, 0, 0], [0.0, 10.0, 38.86])
    assert alive[0] == pytest.approx(1.0)  # bought just now
    assert 1 > alive[1] > alive[2] > 0  # the longer the silence, the likelier they left
    assert alive[2] == pytest.approx(0.2950958, abs=1e-6)


def test_fit_reports_json_ready_dict():
    report = _cdnow_fit().to_dict()
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert {"r", "alpha", "s", "beta", "log_likelihood", "std_errors"} <= set(report)
    assert report["model"] == "pareto_nbd" and report["std_errors"]["r"] == pytest.approx(0.0476, abs=1e-4)


def test_no_repeat_buyer_raises_not_enough_data():
    with pytest.raises(NotEnoughData, match="repeat buyer"):
        fit_pareto_nbd([0, 0], [0, 0], [3.0, 0.0])


def test_one_customer_is_reported_as_not_identified():
    fit = fit_pareto_nbd([3], [4.0], [9.0])
    assert not fit.converged and "ran off" in fit.message
    assert json.dumps(fit.to_dict(), allow_nan=False)


def test_first_purchase_on_the_last_day_changes_nothing():
    summary = cdnow_calibration()
    columns = [np.r_[summary[name], np.zeros(300)] for name in CDNOW]
    fit, base = fit_pareto_nbd(*columns), _cdnow_fit()
    assert fit.n_customers == 2657
    assert fit.log_likelihood == pytest.approx(base.log_likelihood, abs=1e-6)
    for name, value in base.params.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-5)


def _simulated(n, seed, alpha, beta, whole_days=False):
    """Pareto/NBD customers over up to twelve years in days: exponential lifetimes,
    Poisson purchases while alive, r = 2, s = 0.5."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(0, 12 * 365.25, n)
    rate, death = rng.gamma(2.0, 1 / alpha, n), rng.gamma(0.5, 1 / beta, n)
    alive_for = np.minimum(rng.exponential(1 / death), age)
    x = rng.poisson(rate * alive_for).astype(float)
    t_x = np.where(x > 0, alive_for * rng.beta(np.maximum(x, 1), 1), 0.0)
    if whole_days:
        age = np.ceil(age)
        t_x = np.minimum(np.round(t_x), age)
    return x, t_x, age


def test_twelve_years_in_days_and_heavy_buyers_stay_finite():
    x, t_x, age = _simulated(5000, 5, 20.0, 2000.0)
    assert x.max() > 1000
    fit = fit_pareto_nbd(x, t_x, age)
    assert fit.converged and np.isfinite(fit.log_likelihood)
    assert fit.params["r"] == pytest.approx(2.0, rel=0.15) and fit.params["alpha"] == pytest.approx(20.0, rel=0.15)
    assert np.all(np.isfinite(fit.p_alive(x, t_x, age)))
    assert np.all(np.isfinite(fit.expected_purchases(365.0, x, t_x, age)))


@pytest.mark.parametrize("params", [
    {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7},  # alpha < beta
    {"r": 0.55, "alpha": 14.0, "s": 0.61, "beta": 11.7},  # alpha >= beta
    {"r": 0.55, "alpha": 11.7, "s": 0.61, "beta": 11.7},  # equal
    {"r": 2.0, "alpha": 3.0, "s": 0.3, "beta": 40.0},
])
def test_gradient_and_hessian_are_the_likelihoods(params):
    summary = cdnow_calibration()
    data = paretonbd._Summary(*(summary[name].astype(float) for name in CDNOW))
    theta = np.log([params[name] for name in paretonbd.NAMES])
    value, gradient, hessian = paretonbd._evaluate(theta, data, order=2)
    assert value * data.total == pytest.approx(-log_likelihood(params, *(summary[name] for name in CDNOW)), rel=1e-14)

    def mean_negative(point):
        return paretonbd._evaluate(point, data, order=0)

    step, numeric = 1e-3, np.empty(4)
    for i, shift in enumerate(np.eye(4) * step):  # five-point differences of the value
        numeric[i] = (8 * (mean_negative(theta + shift) - mean_negative(theta - shift))
                      - mean_negative(theta + 2 * shift) + mean_negative(theta - 2 * shift)) / (12 * step)
    assert np.max(np.abs(gradient - numeric)) < 1e-10
    differenced = finite_difference_hessian(lambda point: paretonbd._evaluate(point, data, order=1)[1], theta)
    assert np.max(np.abs(hessian - differenced)) < 1e-6 * np.max(np.abs(hessian))


@pytest.mark.parametrize("params", [(1.3, 0.39, 2.78, 3.46), (0.5, 3.0, 0.6, 1.0), (3.0, 0.01, 0.5, 5.0)])
def test_interpolated_2f1_is_direct_2f1(params):
    # A shop's summary in days, rescaled to a mean T of one as while fitting: many u per x.
    rng = np.random.default_rng(3)
    x, age = rng.integers(0, 40, 20000).astype(float), rng.integers(1, 1100, 20000).astype(float)
    t_x = np.where(x > 0, np.floor(age * rng.uniform(size=20000)), 0.0)
    data = paretonbd._Summary(x, t_x, age).rescaled(1 / age.mean())
    grid = (data.distinct_x, data.pair_xi, data.times, data.pair_ti)
    r, alpha, s, beta = params
    swap = alpha < beta
    z = abs(alpha - beta) / (max(alpha, beta) + data.times)
    B = np.full(len(data.distinct_x), s + 1) if swap else r + data.distinct_x
    assert paretonbd._interpolated_log_series(B, r + s + data.distinct_x + 1, z, 0, swap, data.pair_xi,
                                              data.pair_ti) is not None
    for order, tolerance in ((0, 1e-14), (1, 1e-12), (2, 1e-8)):
        fast = paretonbd._log_F(params, data.pair_x, data.pair_u, order, grid)
        direct = paretonbd._log_F(params, data.pair_x, data.pair_u, order)
        for mine, theirs in zip(fast[: order + 1], direct[: order + 1]):
            assert np.max(np.abs(mine - theirs)) < tolerance * max(1.0, np.max(np.abs(theirs)))


def test_reported_log_likelihood_is_the_likelihood_at_the_parameters():
    # The fit derives it from the rescaled times' value: L scales by k^-x when times do by k.
    summary = cdnow_calibration()
    columns = [summary[name] for name in CDNOW]
    fit = _cdnow_fit()
    assert fit.log_likelihood == pytest.approx(log_likelihood(fit.params, *columns), abs=1e-8)


def test_warm_started_fit_is_the_direct_fit(monkeypatch):
    # 120,000 customers in whole days: fitted on a subsample first, then polished on all.
    x, t_x, age = _simulated(120_000, 11, 200.0, 500.0, whole_days=True)
    warm = fit_pareto_nbd(x, t_x, age)
    monkeypatch.setattr(paretonbd, "warm_start_sample", lambda n: None)
    cold = fit_pareto_nbd(x, t_x, age)
    assert warm.converged and cold.converged and warm.n_customers == 120_000
    for name, value in cold.params.items():
        assert warm.params[name] == pytest.approx(value, rel=1e-7)
        assert warm.std_errors[name] == pytest.approx(cold.std_errors[name], rel=1e-5)
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, abs=1e-6)
    assert warm.params["r"] == pytest.approx(2.0, rel=0.05) and warm.params["alpha"] == pytest.approx(200, rel=0.05)
    assert warm.params["s"] == pytest.approx(0.5, rel=0.1) and warm.params["beta"] == pytest.approx(500, rel=0.2)


def test_codes_are_numpys_unique():
    rng = np.random.default_rng(2)
    for values in (rng.integers(0, 900, 5000).astype(float), np.round(rng.uniform(0, 9, 5000), 2),
                   rng.integers(-10**6, 10**6, 50).astype(float)):
        distinct, index = unique_codes(values)
        expected, expected_index = np.unique(values, return_inverse=True)
        assert np.array_equal(distinct, expected) and np.array_equal(index, expected_index)
