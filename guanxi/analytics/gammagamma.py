"""Gamma-Gamma: how much a customer spends per purchase.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
base analysis", Journal of Marketing Research 42(4), with Fader & Hardie's note
"The Gamma-Gamma model of monetary value" (2013). Each transaction's value is
Gamma(p, rate nu), each customer's nu ~ Gamma(q, rate v), so the mean value
m of a customer's x transactions has the density

    f(m | x) = G(px+q) / (G(px) G(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q).

Fitted on customers with x > 0 transactions of positive value only (in Guanxi:
repeat purchase days with positive net value, the summary's spend_count and
monetary), as in the paper, which fits on the repeat transactions. The gamma
functions depend on x alone, so they are evaluated once per distinct x; the
gradient and Hessian are analytic. Money is rescaled to a mean of one while fitting (v is
a money scale), so 1e9 amounts neither overflow nor slow the optimiser.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from guanxi.analytics.fitting import (
    ModelFit,
    NotEnoughData,
    as_float_arrays,
    dot,
    minimise,
    standard_errors,
    to_log_space,
    warm_start_sample,
)

NAMES = ("p", "q", "v")


@dataclass(frozen=True)
class GammaGammaFit(ModelFit):
    """A fitted Gamma-Gamma model; money in the currency it was given in."""

    model = "gamma_gamma"

    @property
    def population_mean(self):
        """E[value per transaction] over customers, p v / (q - 1); infinite when q <= 1."""
        p, q, v = (self.params[name] for name in NAMES)
        return p * v / (q - 1) if q > 1 else float("inf")

    def expected_spend(self, spend_count, monetary):
        """E[value per transaction | x, m] = p (v + x m) / (p x + q - 1): a weighted
        mean of the population mean and the customer's own mean (Fader, Hardie
        & Lee 2005). x = 0 (or m <= 0) gives the population mean."""
        p, q, v = (self.params[name] for name in NAMES)
        x, m = np.broadcast_arrays(np.asarray(spend_count, dtype=float), np.asarray(monetary, dtype=float))
        known = (x > 0) & (m > 0)
        x, m = np.where(known, x, 0.0), np.where(known, m, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            conditional = p * (v + x * m) / (p * x + q - 1)
        return np.where(known, conditional, self.population_mean)


class _Spend:
    """Usable customers' x and mean value m (times `scale`), with the sums the
    likelihood needs that do not depend on the parameters."""

    def __init__(self, x, m, scale):
        self.x, self.m, self.scale = x, m * scale, scale
        self.total = float(len(x))
        self.distinct_x, x_index = np.unique(x, return_inverse=True)
        self.x_count = np.bincount(x_index).astype(float)
        # (px - 1) ln m + px ln x = p [x (ln m + ln x)] - ln m, summed
        self.sum_x_log_xm = float(dot(x, np.log(self.m) + np.log(x)))
        self.sum_log_m = float(np.log(self.m).sum())


def _evaluate(theta, data, with_hessian=False):
    """Mean negative log-likelihood at log-parameters theta, its gradient and
    (optionally) Hessian, all analytic."""
    p, q, v = params = np.exp(theta)
    xs, count = data.distinct_x, data.x_count
    inv_total = 1 / (v + data.x * data.m)
    log_total = -np.log(inv_total)
    shape = p * data.x + q
    total = (dot(count, gammaln(p * xs + q) - gammaln(p * xs)) - data.total * (gammaln(q) - q * np.log(v))
             + p * data.sum_x_log_xm - data.sum_log_m - dot(shape, log_total))
    psi_shape = digamma(p * xs + q)
    gradient = [
        dot(count * xs, psi_shape - digamma(p * xs)) + data.sum_x_log_xm - dot(data.x, log_total),
        dot(count, psi_shape) - data.total * (digamma(q) - np.log(v)) - log_total.sum(),
        data.total * q / v - dot(shape, inv_total),
    ]
    if not with_hessian:
        return to_log_space(params, total, data.total, gradient)
    tri_shape = polygamma(1, p * xs + q)
    p_v, q_v = -dot(data.x, inv_total), data.total / v - inv_total.sum()
    hessian = np.array([
        [dot(count * xs**2, tri_shape - polygamma(1, p * xs)), dot(count * xs, tri_shape), p_v],
        [dot(count * xs, tri_shape), dot(count, tri_shape) - data.total * polygamma(1, q), q_v],
        [p_v, q_v, -data.total * q / v**2 + dot(shape, inv_total**2)],
    ])
    return to_log_space(params, total, data.total, gradient, hessian)


def _maximise(x, m, start):
    """(natural params, Optimum, unscaled data); money is rescaled to a mean of one."""
    scaled = _Spend(x, m, 1 / m.mean())
    theta = np.log([start["p"], start["q"], start["v"] * scaled.scale])
    optimum = minimise(lambda point: _evaluate(point, scaled), theta,
                       curvature=lambda point: _evaluate(point, scaled, with_hessian=True))
    p, q, v = np.exp(optimum.log_params)
    return {"p": p, "q": q, "v": v / scaled.scale}, optimum, _Spend(x, m, 1.0)


def log_likelihood(params, spend_count, monetary) -> float:
    """The total Gamma-Gamma log-likelihood of the usable customers at given parameters."""
    x, m = as_float_arrays(spend_count, monetary)
    usable = (x > 0) & (m > 0)
    data = _Spend(x[usable], m[usable], 1.0)
    return float(-_evaluate(np.log([params[name] for name in NAMES]), data)[0] * data.total)


def fit_gamma_gamma(spend_count, monetary) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the customers with spend_count > 0
    and monetary > 0 (the others are ignored).

    Raises NotEnoughData with fewer than two such customers; returns
    converged=False, with a message, when the optimum is not an interior one.
    Large inputs are first fitted on a fixed random subsample.
    """
    x, m = as_float_arrays(spend_count, monetary)
    usable = (x > 0) & (m > 0)
    if usable.sum() < 2:
        raise NotEnoughData("Gamma-Gamma needs at least two customers with a positive repeat spend")
    x, m = x[usable], m[usable]
    # p = 1, q = 2 and the v that matches the mean spend (p v / (q - 1) = mean m).
    start, iterations = {"p": 1.0, "q": 2.0, "v": float(m.mean())}, 0
    sample = warm_start_sample(len(x))
    if sample is not None:
        warm, warm_optimum, _ = _maximise(x[sample], m[sample], start)
        start, iterations = (warm, warm_optimum.iterations) if warm_optimum.converged else (start, 0)
    params, optimum, natural = _maximise(x, m, start)
    return GammaGammaFit(
        params={name: float(value) for name, value in params.items()},
        log_likelihood=float(-_evaluate(np.log([params[name] for name in NAMES]), natural)[0] * natural.total),
        converged=optimum.converged,
        iterations=iterations + optimum.iterations,
        std_errors=standard_errors(NAMES, params, optimum.hessian, natural.total),
        n_customers=int(natural.total),
        message=optimum.message,
    )
