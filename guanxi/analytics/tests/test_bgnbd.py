"""BG/NBD: the CDNOW figures of Fader, Hardie & Lee (2005), agreement with
lifetimes, recovery of the generator's truth, and the edge cases."""

import json
import warnings
from datetime import date
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scipy.special import hyp2f1

from guanxi.analytics.bgnbd import fit_bgnbd, log_likelihood
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.features import customer_summary
from guanxi.analytics.fitting import NotEnoughData
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import PURCHASE_STATUSES, day_number
from guanxi.analytics.tests.cdnow import cdnow_calibration
from guanxi.synthetic import generate_shop


@cache
def _cdnow_fit():
    summary = cdnow_calibration()
    return fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])


def test_cdnow_parameters_and_log_likelihood_are_the_papers():
    fit = _cdnow_fit()
    assert fit.converged and fit.message == ""
    assert fit.n_customers == 2357
    assert round(fit.params["r"], 3) == 0.243
    assert round(fit.params["alpha"], 3) == 4.414
    assert round(fit.params["a"], 3) == 0.793
    assert round(fit.params["b"], 3) == 2.426
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_cdnow_customer_expects_the_papers_purchases():
    # Paper, section 5: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 purchases in the next 39 weeks.
    assert round(float(_cdnow_fit().expected_purchases(39, 2, 30.43, 38.86)), 3) == 1.226


def test_matches_lifetimes_on_cdnow():
    from lifetimes import BetaGeoFitter

    summary = cdnow_calibration()
    columns = summary["frequency"], summary["recency"], summary["T"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = BetaGeoFitter().fit(*columns)
    fit = _cdnow_fit()
    for name, value in theirs.params_.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-4)
        assert fit.std_errors[name] == pytest.approx(theirs.standard_errors_[name], rel=1e-3)
    # Our optimum is at least as good as theirs, on the same likelihood.
    assert fit.log_likelihood >= log_likelihood(theirs.params_.to_dict(), *columns) - 1e-6
    theirs.params_[:] = [fit.params[name] for name in theirs.params_.index]  # same parameters, their formulas
    x, t_x, age = (column[:50] for column in columns)
    assert np.allclose(fit.p_alive(x, t_x, age), theirs.conditional_probability_alive(x, t_x, age), rtol=1e-9)
    assert np.allclose(fit.expected_purchases(39, x, t_x, age),
                       theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, age), rtol=1e-7)
    weeks = np.array([1.0, 39.0, 78.0, 520.0])
    assert np.allclose(fit.expected_cumulative(weeks), theirs.expected_number_of_purchases_up_to_time(weeks),
                       rtol=1e-7)


def test_expected_cumulative_is_equation_9():
    fit = _cdnow_fit()
    r, alpha, a, b = (fit.params[name] for name in ("r", "alpha", "a", "b"))
    t = np.array([0.0, 0.5, 39.0, 78.0, 1000.0])
    paper = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    assert np.allclose(fit.expected_cumulative(t), paper, rtol=1e-10, atol=1e-14)
    # For a short while nobody has dropped out yet: purchases accrue at the mean rate r / alpha.
    assert fit.expected_cumulative(1e-6) / 1e-6 == pytest.approx(r / alpha, rel=1e-5)


def test_conditional_expectation_is_equation_10_for_heavy_buyers():
    fit = _cdnow_fit()
    r, alpha, a, b = (fit.params[name] for name in ("r", "alpha", "a", "b"))
    x, t_x, age, t = np.array([0.0, 1, 5, 20]), np.array([0.0, 10, 30, 38]), np.full(4, 38.86), 39.0
    z = t / (alpha + age + t)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x)
                                             * hyp2f1(r + x, b + x, a + b + x - 1, z))
    odds = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0)
    assert np.allclose(fit.expected_purchases(t, x, t_x, age), numerator / (1 + odds), rtol=1e-9)
    assert fit.p_alive(0, 0, 38.86) == 1.0  # nobody leaves before a repeat purchase


def test_fit_reports_json_ready_dict():
    report = _cdnow_fit().to_dict()
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert set(report) == {"model", "r", "alpha", "a", "b", "log_likelihood", "converged", "iterations",
                           "std_errors", "n_customers", "message"}
    assert report["model"] == "bgnbd" and report["n_customers"] == 2357 and report["converged"] is True
    assert report["std_errors"]["alpha"] == pytest.approx(0.378, abs=0.001)


def test_no_repeat_buyer_raises_not_enough_data():
    with pytest.raises(NotEnoughData, match="repeat buyer"):
        fit_bgnbd([0, 0, 0], [0, 0, 0], [5, 10, 0])


def test_one_customer_is_reported_as_not_identified():
    fit = fit_bgnbd([2], [5.0], [10.0])
    assert not fit.converged
    assert "ran off towards 0 or infinity" in fit.message
    assert fit.n_customers == 1
    assert json.dumps(fit.to_dict(), allow_nan=False)  # NaN standard errors become null


def test_first_purchase_on_the_last_day_changes_nothing():
    # x = 0, T = 0 (all purchases on one day, the calibration end): likelihood 1.
    summary = cdnow_calibration()
    columns = [np.r_[summary[name], np.zeros(500)] for name in ("frequency", "recency", "T")]
    fit, base = fit_bgnbd(*columns), _cdnow_fit()
    assert fit.n_customers == 2357 + 500
    assert fit.log_likelihood == pytest.approx(base.log_likelihood, abs=1e-6)
    for name, value in base.params.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-6)


def test_nobody_seen_leaving_is_reported_as_a_boundary_fit():
    # Every repeat buyer bought on the last day (recency = T): no sign of dropping out, a -> 0.
    rng = np.random.default_rng(3)
    x = rng.poisson(1.0, 400).astype(float)
    age = rng.integers(1, 100, 400).astype(float)
    fit = fit_bgnbd(x, np.where(x > 0, age, 0.0), age)
    assert not fit.converged and "ran off" in fit.message
    assert fit.params["a"] < 1e-3 and np.isfinite(fit.log_likelihood)


def _simulate(rng, n, r, alpha, a, b, span):
    """BG/NBD customers observed for T ~ U(0, span) after their first purchase."""
    age = rng.uniform(0, span, n)
    rate, dropout = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    would_make = rng.poisson(rate * age)
    x = np.minimum(would_make, rng.geometric(dropout)).astype(float)
    last = age * rng.beta(np.maximum(x, 1), np.maximum(would_make - x, 0) + 1)
    return x, np.where(x > 0, last, 0.0), age


def test_twelve_years_in_days_and_heavy_buyers_stay_finite():
    rng = np.random.default_rng(12)
    x, t_x, age = _simulate(rng, 20_000, r=2.0, alpha=20.0, a=0.3, b=30.0, span=12 * 365.25)
    assert x.max() > 1000
    fit = fit_bgnbd(x, t_x, age)
    assert fit.converged
    assert fit.params["r"] == pytest.approx(2.0, rel=0.1) and fit.params["alpha"] == pytest.approx(20.0, rel=0.1)
    assert np.isfinite(fit.log_likelihood)
    expected = fit.expected_purchases(365.0, x, t_x, age)
    assert np.all(np.isfinite(expected)) and np.all(np.isfinite(fit.p_alive(x, t_x, age)))
    heavy = np.argmax(x)
    assert float(fit.expected_purchases(365.0, x[heavy], age[heavy], age[heavy])) == pytest.approx(
        365.0 * (fit.params["r"] + x[heavy]) / (fit.params["alpha"] + age[heavy]), rel=0.05)


def test_invalid_summaries_are_rejected():
    with pytest.raises(ValueError, match="recency"):
        fit_bgnbd([1], [5.0], [4.0])
    with pytest.raises(ValueError, match="whole numbers"):
        fit_bgnbd([1.5], [1.0], [4.0])
    with pytest.raises(ValueError, match="recency must be 0"):
        fit_bgnbd([0], [1.0], [4.0])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A 100,000-customer generated shop without its seasonal gift buyers."""
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, 100_000, 7, fmt="parquet", progress=False)
    truth = json.loads((directory / "truth.json").read_text())
    customers = pq.read_table(directory / "truth_customers.parquet", columns=["customer_id", "gift_buyer", "active_at_end"])
    gift = pc.equal(customers.column("gift_buyer"), "yes")
    gift_ids = pc.cast(pc.utf8_slice_codeunits(customers.column("customer_id").filter(gift), 1), pa.int64())
    orders = shop_from_generator(directory).orders
    orders = orders.filter(pc.invert(pc.is_in(orders.column("customer_id"), gift_ids)))
    active = customers.column("active_at_end").filter(pc.invert(gift))
    return truth, orders, day_number(date.fromisoformat(truth["end"])), np.asarray(active) == "yes"


def _per_order_summary(orders, end_day):
    """x, t_x, T in days counting every purchase order (the generator's counting rule)."""
    bought = orders.filter(pc.is_in(orders.column("status"), pa.array(PURCHASE_STATUSES)))
    customer, day = bought.column("customer_id").to_numpy(), bought.column("day").to_numpy().astype(float)
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    first = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    last = np.r_[first[1:], len(customer)] - 1
    return (last - first).astype(float), day[last] - day[first], end_day - day[first]


def test_recovers_the_generators_truth(generated):
    truth, orders, end_day, active = generated
    x, t_x, age = _per_order_summary(orders, end_day)
    fit = fit_bgnbd(x, t_x, age)
    assert fit.converged and fit.n_customers == len(active)
    for name, value in truth["bgnbd"].items():
        assert abs(fit.params[name] - value) < 3 * fit.std_errors[name], name
    # P(alive) is calibrated: its mean is the share of customers truly still active.
    assert fit.p_alive(x, t_x, age).mean() == pytest.approx(active.mean(), abs=0.01)
    # Equation 9 with the true parameters predicts the repeat purchases made.
    true_fit = fit.__class__(truth["bgnbd"], 0.0, True, 0, {}, 0)
    assert true_fit.expected_cumulative(age).mean() == pytest.approx(x.mean(), rel=0.02)


def test_counting_per_customer_day_biases_alpha_slightly(generated):
    # The engine counts purchases per customer-day. In the generated shop ~0.6% of
    # purchases share a day with another one of the same customer, mostly heavy
    # buyers', which raises alpha (and r) by ~3%: several standard errors at
    # 100,000 customers, negligible for scoring.
    truth, orders, end_day, _ = generated
    summary = customer_summary(DuckDBEngine(), orders, end_day, "days")
    fit = fit_bgnbd(*(summary.column(name).to_numpy() for name in ("frequency", "recency", "T")))
    for name, value in truth["bgnbd"].items():
        assert fit.params[name] == pytest.approx(value, rel=0.06), name
