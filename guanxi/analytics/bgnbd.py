"""BG/NBD: how often customers buy and when they silently leave.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2). While alive a
customer buys at rate lambda ~ Gamma(r, rate alpha); after each repeat purchase
they leave with probability p ~ Beta(a, b). Each customer is summarised by
x (repeat purchases), t_x (first to last purchase) and T (first purchase to the
end of the calibration period), in one time unit.

The paper's likelihood of one customer is written as
    ln L = ln C(x) - (r+x) ln(alpha+T) + ln(1 + [x>0] e^z),
    z = ln(a/(b+x-1)) + (r+x) ln((alpha+T)/(alpha+t_x)),
where C(x) holds the gamma and beta functions of x only. So the expensive
special functions are evaluated once per distinct x, the logarithms once per
distinct T and t_x, the per-customer work is a softplus, and the gradient and
Hessian are analytic (Newton converges in a few steps). P(alive) is 1/(1+e^z)
(Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model").
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, polygamma

from guanxi.analytics.fitting import (
    ModelFit,
    NotEnoughData,
    check_purchase_summary,
    dot,
    minimise,
    standard_errors,
    to_log_space,
    unique_rows,
    warm_start_sample,
)

NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BGNBDFit(ModelFit):
    """A fitted BG/NBD model; times are in the unit the summary was given in."""

    model = "bgnbd"

    def p_alive(self, frequency, recency, T):
        """P(still a customer at T | x, t_x, T); 1 when x = 0 (nobody leaves before a repeat purchase)."""
        x, t_x, age = _floats(frequency, recency, T)
        return expit(-_dropout_log_odds(self.params, x, t_x, age))

    def expected_purchases_alive(self, t, frequency, T):
        """E[purchases in (T, T+t] | alive at T, x, T]: the numerator of paper eq. 10."""
        t, x, age = _floats(t, frequency, T)
        return _expected_if_alive(self.params, t, x, age)

    def expected_purchases(self, t, frequency, recency, T):
        """E[purchases in (T, T+t] | x, t_x, T], paper eq. 10."""
        return self.p_alive(frequency, recency, T) * self.expected_purchases_alive(t, frequency, T)

    def expected_cumulative(self, t):
        """E[X(t)]: repeat purchases of a new customer within t of the first, paper eq. 9."""
        t = np.asarray(t, dtype=float)
        return _expected_if_alive(self.params, t, np.zeros_like(t), np.zeros_like(t))


def _floats(*columns):
    return np.broadcast_arrays(*(np.asarray(column, dtype=float) for column in columns))


def _dropout_log_odds(params, x, t_x, age):
    """z = ln[a/(b+x-1)] + (r+x) ln[(alpha+T)/(alpha+t_x)] for x > 0, -inf for x = 0."""
    r, alpha, a, b = (params[name] for name in NAMES)
    repeat = x > 0
    safe_x = np.where(repeat, x, 1.0)
    z = np.log(a) - np.log(b + safe_x - 1) + (r + safe_x) * (np.log(alpha + age) - np.log(alpha + t_x))
    return np.where(repeat, z, -np.inf)


def _expected_if_alive(params, t, x, age):
    """(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
    z = t/(alpha+T+t), after Euler's transformation
    2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z), which turns the power and
    the 2F1 (each huge for large x) into (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)
    (both bounded). Singular at a = 1 exactly."""
    r, alpha, a, b = (params[name] for name in NAMES)
    horizon = alpha + age + t
    z = t / horizon
    log_stay = np.log(alpha + age) - np.log(horizon)
    series = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * -np.expm1((a - 1) * log_stay + np.log(series))


class _Summary:
    """Distinct customer summaries with their counts. One-time buyers need only
    T; repeat buyers' times are coded against their distinct values, so the
    logarithms are taken once per distinct T and t_x, and the sums that do not
    involve the dropout odds collapse onto those distinct values."""

    def __init__(self, x, t_x, age, weight):
        self.scale, self.total = 1.0, weight.sum()
        self.repeats = float(dot(weight, x))
        once = x == 0
        self.once_T, self.once_w = age[once], weight[once]
        self.x, self.w = x[~once], weight[~once]
        self.T_values, self.T_index = np.unique(age[~once], return_inverse=True)
        self.t_values, self.t_index = np.unique(t_x[~once], return_inverse=True)
        self.T_weight = np.bincount(self.T_index, weights=self.w, minlength=len(self.T_values))
        self.T_x_weight = np.bincount(self.T_index, weights=self.w * self.x, minlength=len(self.T_values))
        self.distinct_x, self.x_index = np.unique(self.x, return_inverse=True)
        self.x_weight = np.bincount(self.x_index, weights=self.w, minlength=len(self.distinct_x))
        # x = 0 customers add nothing to the gamma/beta-function terms (they cancel).

    def rescaled(self, scale):
        """The same customers with every time multiplied by `scale`."""
        copy = object.__new__(_Summary)
        copy.__dict__.update(self.__dict__)
        copy.scale = scale
        copy.once_T, copy.T_values, copy.t_values = self.once_T * scale, self.T_values * scale, self.t_values * scale
        return copy


def _evaluate(theta, data, with_hessian=False):
    """Mean negative log-likelihood at log-parameters theta, its gradient and
    (optionally) Hessian; derivatives are analytic (module docstring)."""
    r, alpha, a, b = params = np.exp(theta)
    xs, w_x = data.distinct_x, data.x_weight
    log_T_v, log_t_v = np.log(alpha + data.T_values), np.log(alpha + data.t_values)
    inv_T_v, inv_t_v = 1 / (alpha + data.T_values), 1 / (alpha + data.t_values)
    spread = log_T_v[data.T_index] - log_t_v[data.t_index]  # ln((alpha+T)/(alpha+t_x))
    inv_b_x = 1 / (b + xs - 1)
    rx = r + data.x
    z = (np.log(a) + np.log(inv_b_x))[data.x_index] + rx * spread
    squash = 1 / (1 + np.exp(-np.abs(z)))  # sigmoid(|z|), without overflow
    softplus = np.maximum(z, 0) - np.log(squash)  # ln(1 + e^z)
    odds = 0.5 + np.copysign(squash - 0.5, z)  # sigmoid(z)
    ws = data.w * odds
    once_log_T, once_inv_T = np.log(alpha + data.once_T), 1 / (alpha + data.once_T)
    inv_gap = inv_T_v[data.T_index] - inv_t_v[data.t_index]
    total = (dot(w_x, gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b))
             + data.total * r * np.log(alpha) - r * dot(data.once_w, once_log_T)
             - dot(r * data.T_weight + data.T_x_weight, log_T_v) + dot(data.w, softplus))
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + xs)
    gradient = [
        dot(w_x, digamma(r + xs) - digamma(r)) + data.total * np.log(alpha) - dot(data.once_w, once_log_T)
        - dot(data.T_weight, log_T_v) + dot(ws, spread),
        data.total * r / alpha - r * dot(data.once_w, once_inv_T)
        - dot(r * data.T_weight + data.T_x_weight, inv_T_v) + dot(ws * rx, inv_gap),
        dot(w_x, psi_ab - psi_abx) + ws.sum() / a,
        dot(w_x, digamma(b + xs) - psi_abx - digamma(b) + psi_ab) - dot(ws, inv_b_x[data.x_index]),
    ]
    if not with_hessian:
        return to_log_space(params, total, data.total, gradient)
    rows = _Rows(spread, rx, inv_gap, inv_b_x[data.x_index], odds, ws)
    return to_log_space(params, total, data.total, gradient, _hessian(params, data, once_inv_T, inv_T_v, rows))


@dataclass
class _Rows:
    """Per repeat-buyer quantities shared by the gradient and the Hessian."""

    spread: np.ndarray  # ln((alpha+T)/(alpha+t_x))
    rx: np.ndarray  # r + x
    inv_gap: np.ndarray  # 1/(alpha+T) - 1/(alpha+t_x)
    inv_b: np.ndarray  # 1/(b+x-1)
    odds: np.ndarray  # sigmoid(z): P(dropped out at the last purchase | data)
    ws: np.ndarray  # weight x odds


def _hessian(params, data, once_inv_T, inv_T_v, rows):
    """Second derivatives of the total log-likelihood in (r, alpha, a, b).

    The softplus term adds sum w [s'(z) J J^T + s(z) d2z/dp2], with s the
    sigmoid and J = dz/dp = (ln((alpha+T)/(alpha+t_x)), (r+x)(1/(alpha+T) -
    1/(alpha+t_x)), 1/a, -1/(b+x-1)); the rest are gamma-function and
    logarithm terms."""
    r, alpha, a, b = params
    xs, w_x = data.distinct_x, data.x_weight
    jac = np.stack([rows.spread, rows.rx * rows.inv_gap, np.full_like(rows.spread, 1 / a), -rows.inv_b])
    hessian = (jac * (data.w * rows.odds * (1 - rows.odds))) @ jac.T
    inv_t = inv_T_v[data.T_index] - rows.inv_gap  # 1/(alpha+t_x)
    inv_T = inv_t + rows.inv_gap
    beta_terms = dot(w_x, polygamma(1, a + b) - polygamma(1, a + b + xs))
    cross = (data.total / alpha - dot(data.once_w, once_inv_T) - dot(data.T_weight, inv_T_v)
             + dot(rows.ws, rows.inv_gap))
    hessian += np.array([
        [dot(w_x, polygamma(1, r + xs) - polygamma(1, r)), cross, 0, 0],
        [cross, -data.total * r / alpha**2 + r * dot(data.once_w, once_inv_T**2)
         + dot(r * data.T_weight + data.T_x_weight, inv_T_v**2) + dot(rows.ws * rows.rx, inv_t**2 - inv_T**2), 0, 0],
        [0, 0, beta_terms - rows.ws.sum() / a**2, beta_terms],
        [0, 0, beta_terms, dot(w_x, polygamma(1, b + xs) - polygamma(1, a + b + xs) - polygamma(1, b)
                                  + polygamma(1, a + b)) + dot(rows.ws, rows.inv_b**2)],
    ])
    return hessian


def _start(x, age):
    """r = 1, a = b = 1 and alpha matching the mean purchase rate (sum x / sum T)."""
    return {"r": 1.0, "alpha": max(age.sum(), 1e-9) / max(x.sum(), 1.0), "a": 1.0, "b": 1.0}


def _maximise(x, t_x, age, start):
    """(natural params, Optimum, unscaled summary). Times are rescaled to a mean
    T of one while optimising, so alpha is of order one whatever the unit."""
    (x, t_x, age), weight = unique_rows(x, t_x, age)
    natural = _Summary(x, t_x, age, weight)
    mean_age = dot(weight, age) / natural.total
    scaled = natural.rescaled(1 / mean_age if mean_age > 0 else 1.0)
    theta = np.log([start["r"], start["alpha"] * scaled.scale, start["a"], start["b"]])
    optimum = minimise(lambda point: _evaluate(point, scaled), theta,
                       curvature=lambda point: _evaluate(point, scaled, with_hessian=True))
    r, alpha, a, b = np.exp(optimum.log_params)
    return {"r": r, "alpha": alpha / scaled.scale, "a": a, "b": b}, optimum, natural


def log_likelihood(params, frequency, recency, T) -> float:
    """The total BG/NBD log-likelihood of customers at given parameters (e.g.
    another implementation's, to compare optima)."""
    (x, t_x, age), weight = unique_rows(*check_purchase_summary(frequency, recency, T))
    data = _Summary(x, t_x, age, weight)
    return float(-_evaluate(np.log([params[name] for name in NAMES]), data)[0] * data.total)


def fit_bgnbd(frequency, recency, T) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit of x, t_x, T (one entry per customer).

    Raises NotEnoughData without a repeat buyer (the likelihood is then free of
    a and b). Returns converged=False, with a message, when the optimum is not
    an interior one (e.g. a single customer). Large inputs are first fitted on
    a fixed random subsample, whose optimum starts the full fit.
    """
    x, t_x, age = check_purchase_summary(frequency, recency, T)
    if not np.any(x > 0):
        raise NotEnoughData("BG/NBD needs at least one repeat buyer: without one, a and b are not identified")
    start, iterations = _start(x, age), 0
    sample = warm_start_sample(len(x))
    if sample is not None and np.any(x[sample] > 0):
        warm, warm_optimum, _ = _maximise(x[sample], t_x[sample], age[sample], start)
        start, iterations = (warm, warm_optimum.iterations) if warm_optimum.converged else (start, 0)
    params, optimum, natural = _maximise(x, t_x, age, start)
    return BGNBDFit(
        params={name: float(value) for name, value in params.items()},
        log_likelihood=float(-_evaluate(np.log([params[name] for name in NAMES]), natural)[0] * natural.total),
        converged=optimum.converged,
        iterations=iterations + optimum.iterations,
        std_errors=standard_errors(NAMES, params, optimum.hessian, natural.total),
        n_customers=int(natural.total),
        message=optimum.message,
    )
