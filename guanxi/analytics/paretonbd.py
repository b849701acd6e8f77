"""Pareto/NBD: purchases at rate lambda while alive, leaving at any moment.

Schmittlein, Morrison & Colombo (1987), in the formulation of Fader & Hardie
(2005), "A note on deriving the Pareto/NBD model and related expressions":
lambda ~ Gamma(r, rate alpha), the lifetime is exponential with rate
mu ~ Gamma(s, rate beta). The likelihood of (x, t_x, T) is

    L = G(r+x)/G(r) alpha^r beta^s {1 / [(alpha+T)^(r+x) (beta+T)^s] + s/(r+s+x) A0},
    A0 = F(t_x) - F(T), where for alpha >= beta
    F(u) = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+u)) / (alpha+u)^(r+s+x)
    and for alpha < beta
    F(u) = 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+u)) / (beta+u)^(r+s+x),

the branch keeping the 2F1 argument in [0, 1). Everything is computed in logs
(ln A0 = ln F(t_x) + ln(1 - F(T)/F(t_x))), F after Euler's transformation (see
_log_F) and once per distinct (x, u). The gradient and Hessian are numeric
(central differences): 2F1 has no closed-form derivatives in its parameters,
so Newton reuses each Hessian for several steps.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

from guanxi.analytics.fitting import (
    ModelFit,
    NotEnoughData,
    central_gradient,
    check_purchase_summary,
    dot,
    minimise,
    numeric_curvature,
    standard_errors,
    unique_rows,
    warm_start_sample,
)

NAMES = ("r", "alpha", "s", "beta")


@dataclass(frozen=True)
class ParetoNBDFit(ModelFit):
    """A fitted Pareto/NBD model; times are in the unit the summary was given in."""

    model = "pareto_nbd"

    def p_alive(self, frequency, recency, T):
        """P(alive at T | x, t_x, T) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)."""
        x, t_x, age = _floats(frequency, recency, T)
        survive, left = _customer_log_terms(self.params, x, t_x, age)
        return np.exp(survive - np.logaddexp(survive, left))

    def expected_purchases_alive(self, t, frequency, T):
        """E[purchases in (T, T+t] | alive at T] = (r+x)(beta+T) / ((alpha+T)(s-1))
        [1 - ((beta+T)/(beta+T+t))^(s-1)], continuous through s = 1."""
        t, x, age = _floats(t, frequency, T)
        r, alpha, s, beta = (self.params[name] for name in NAMES)
        return (r + x) * (beta + age) / (alpha + age) * _lifetime_factor(s - 1, np.log1p(t / (beta + age)))

    def expected_purchases(self, t, frequency, recency, T):
        """E[purchases in (T, T+t] | x, t_x, T] = P(alive) x the above."""
        return self.p_alive(frequency, recency, T) * self.expected_purchases_alive(t, frequency, T)

    def expected_cumulative(self, t):
        """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] for a new customer."""
        r, alpha, s, beta = (self.params[name] for name in NAMES)
        t = np.asarray(t, dtype=float)
        return r * beta / alpha * _lifetime_factor(s - 1, np.log1p(t / beta))


def _floats(*columns):
    return np.broadcast_arrays(*(np.asarray(column, dtype=float) for column in columns))


def _lifetime_factor(k, log_growth):
    """(1 - e^(-k L)) / k, which tends to L as k -> 0."""
    if abs(k) < 1e-12:
        return log_growth
    return -np.expm1(-k * log_growth) / k


def _log_F(params, x, u):
    """ln F(u) of the module docstring, on the branch that keeps 2F1's argument
    z below 1. Euler's transformation 2F1(A, B; A+1; z) = (1-z)^(1-B)
    2F1(1, A+1-B; A+1; z) takes out the factor that overflows for large x
    (alpha < beta) or large s (alpha >= beta); what remains is at most a
    power of 1/(1-z)."""
    r, alpha, s, beta = (params[name] for name in NAMES)
    top = r + s + x
    if alpha >= beta:
        upper, lower, b = alpha, beta, s + 1
    else:
        upper, lower, b = beta, alpha, r + x
    log_stay = np.log(lower + u) - np.log(upper + u)  # ln(1 - z)
    series = hyp2f1(1.0, top + 1 - b, top + 1, (upper - lower) / (upper + u))
    return (1 - b) * log_stay + np.log(series) - top * np.log(upper + u)


def _log_terms(params, x, log_F_t, log_F_T, log_alpha_T, log_beta_T, log_share):
    """The two terms inside the likelihood's braces, in logs, without alpha^r beta^s:
    survive = -(r+x) ln(alpha+T) - s ln(beta+T), left = ln(s/(r+s+x)) + ln A0.
    ln A0 = ln F(t_x) + ln(1 - F(T)/F(t_x)), -inf when t_x = T; expm1 keeps the
    difference accurate when t_x is close to T."""
    r, s = params["r"], params["s"]
    survive = -(r + x) * log_alpha_T - s * log_beta_T
    ratio = np.minimum(log_F_T - log_F_t, 0.0)  # F decreases in u; rounding may break a tie
    with np.errstate(divide="ignore"):
        log_A0 = log_F_t + np.log(-np.expm1(ratio))
    return survive, log_share + log_A0


def _customer_log_terms(params, x, t_x, age):
    """_log_terms for arrays of customers (predictions: no deduplication)."""
    r, alpha, s, beta = (params[name] for name in NAMES)
    return _log_terms(params, x, _log_F(params, x, t_x), _log_F(params, x, age), np.log(alpha + age),
                      np.log(beta + age), np.log(s) - np.log(r + s + x))


class _Summary:
    """Distinct (x, t_x, T) with counts, the distinct (x, u) pairs, u in {t_x, T},
    on which F is evaluated, and the distinct T, whose logarithms are taken once.
    `scale` multiplies every time."""

    def __init__(self, x, t_x, age, weight, scale):
        self.x, self.w = x, weight
        self.scale, self.total = scale, weight.sum()
        self.distinct_x, self.x_index = np.unique(x, return_inverse=True)
        self.x_weight = np.bincount(self.x_index, weights=weight, minlength=len(self.distinct_x))
        times, time_index = np.unique(np.concatenate([t_x, age]) * scale, return_inverse=True)
        key = np.concatenate([self.x_index, self.x_index]) * len(times) + time_index
        pairs, pair_index = np.unique(key, return_inverse=True)
        self.pair_x, self.pair_u = self.distinct_x[pairs // len(times)], times[pairs % len(times)]
        self.at_t, self.at_T = pair_index[: len(x)], pair_index[len(x):]
        self.T_values, self.T_index = times, time_index[len(x):]


def _log_likelihood(theta, data):
    """Total log-likelihood at log-parameters theta."""
    r, alpha, s, beta = np.exp(theta)
    params = dict(zip(NAMES, (r, alpha, s, beta)))
    xs = data.distinct_x
    log_F = _log_F(params, data.pair_x, data.pair_u)
    survive, left = _log_terms(params, data.x, log_F[data.at_t], log_F[data.at_T],
                               np.log(alpha + data.T_values)[data.T_index], np.log(beta + data.T_values)[data.T_index],
                               (np.log(s) - np.log(r + s + xs))[data.x_index])
    return (dot(data.x_weight, gammaln(r + xs) - gammaln(r)) + data.total * (r * np.log(alpha) + s * np.log(beta))
            + dot(data.w, np.logaddexp(survive, left)))


def _mean_negative(theta, data):
    """Mean negative log-likelihood; +inf where it cannot be evaluated (the optimiser backs off)."""
    with np.errstate(all="ignore"):
        value = -_log_likelihood(theta, data) / data.total
    return value if np.isfinite(value) else np.inf


def _start(x, age):
    """r = s = 1, beta = alpha matching the mean purchase rate (sum x / sum T)."""
    alpha = max(age.sum(), 1e-9) / max(x.sum(), 1.0)
    return {"r": 1.0, "alpha": alpha, "s": 1.0, "beta": alpha}


def _maximise(x, t_x, age, start):
    """(natural params, Optimum, unscaled summary); times rescaled to a mean T of one."""
    (x, t_x, age), weight = unique_rows(x, t_x, age)
    mean_age = dot(weight, age) / weight.sum()
    scaled = _Summary(x, t_x, age, weight, 1 / mean_age if mean_age > 0 else 1.0)
    theta = np.log([start["r"], start["alpha"] * scaled.scale, start["s"], start["beta"] * scaled.scale])

    def value(point):
        return _mean_negative(point, scaled)

    optimum = minimise(lambda point: (value(point), central_gradient(value, point)), theta,
                       curvature=lambda point: numeric_curvature(value, point), value=value, reuse_hessian=True)
    r, alpha, s, beta = np.exp(optimum.log_params)
    params = {"r": r, "alpha": alpha / scaled.scale, "s": s, "beta": beta / scaled.scale}
    return params, optimum, _Summary(x, t_x, age, weight, 1.0)


def log_likelihood(params, frequency, recency, T) -> float:
    """The total Pareto/NBD log-likelihood of customers at given parameters."""
    (x, t_x, age), weight = unique_rows(*check_purchase_summary(frequency, recency, T))
    return float(_log_likelihood(np.log([params[name] for name in NAMES]), _Summary(x, t_x, age, weight, 1.0)))


def fit_pareto_nbd(frequency, recency, T) -> ParetoNBDFit:
    """Maximum-likelihood Pareto/NBD fit of x, t_x, T (one entry per customer).

    Raises NotEnoughData without a repeat buyer; returns converged=False, with a
    message, when the optimum is not an interior one. Large inputs are first
    fitted on a fixed random subsample, whose optimum starts the full fit.
    """
    x, t_x, age = check_purchase_summary(frequency, recency, T)
    if not np.any(x > 0):
        raise NotEnoughData("Pareto/NBD needs at least one repeat buyer: without one, the rates are not identified")
    start, iterations = _start(x, age), 0
    sample = warm_start_sample(len(x))
    if sample is not None and np.any(x[sample] > 0):
        warm, warm_optimum, _ = _maximise(x[sample], t_x[sample], age[sample], start)
        start, iterations = (warm, warm_optimum.iterations) if warm_optimum.converged else (start, 0)
    params, optimum, natural = _maximise(x, t_x, age, start)
    return ParetoNBDFit(
        params={name: float(value) for name, value in params.items()},
        log_likelihood=float(_log_likelihood(np.log([params[name] for name in NAMES]), natural)),
        converged=optimum.converged,
        iterations=iterations + optimum.iterations,
        std_errors=standard_errors(NAMES, params, optimum.hessian, natural.total),
        n_customers=int(natural.total),
        message=optimum.message,
    )
