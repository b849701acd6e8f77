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
_log_F) and once per distinct (x, u): a million customers in days have some
500,000 distinct (x, t_x, T) but only 30,000 (x, u). Gradient and Hessian are
analytic but for 2F1's derivatives in its parameters, central differences
(_log_series) at a few Chebyshev nodes in u per x (_interpolated_log_series).
Newton polishes a fit on a subsample; saddle-free Newton steps lead where the
log-likelihood is not concave (fitting.settle).
"""

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1, polygamma

from guanxi.analytics.fitting import (
    ModelFit,
    NotEnoughData,
    central_gradient,
    check_purchase_summary,
    dot,
    minimise,
    numeric_curvature,
    settle,
    standard_errors,
    to_log_space,
    unique_codes,
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


# Steps in 2F1's parameters B and C for the central differences (see _log_series).
STEP, CROSS_STEP = 3e-3, 1e-3


def _log_series(B, C, z, order, swap):
    """ln G, G = 2F1(1, B; C; z), and its derivatives in (r, s, z), stacked:
    [ln G] for order 0, then d/dr, d/ds, d/dz (order 1), then the second
    derivatives rr, ss, zz, rs, rz, sz (order 2); B, C, z broadcast, and
    C = r+s+x+1, B = s+1 if `swap` else r+x.

    In z the derivatives are exact (dG/dz = B/C 2F1(2, B+1; C+1; z), and
    d2G/dz2 = 2B(B+1)/(C(C+1)) 2F1(3, B+2; C+2; z)); in B and C, where 2F1 has
    none in closed form, they are five-point central differences (2F1 is
    analytic in B and C; error ~1e-11 against the differentiated series)."""
    log_G = np.log(hyp2f1(1.0, B, C, z))
    if order == 0:
        return log_G[None]
    h, shifts = STEP, (-2, -1, 1, 2)
    along_B = [np.log(hyp2f1(1.0, B + i * h, C, z)) for i in shifts]
    along_C = [np.log(hyp2f1(1.0, B, C + i * h, z)) for i in shifts]

    def first(v):
        return (8 * (v[2] - v[1]) - (v[3] - v[0])) / (12 * h)

    def second(v):
        return (16 * (v[2] + v[1]) - (v[3] + v[0]) - 30 * log_G) / (12 * h * h)

    def slope_z(b, c, log_g):  # d ln G / dz at (b, c)
        return b / c * hyp2f1(2.0, b + 1, c + 1, z) / np.exp(log_g)

    d_B, d_C, d_z = first(along_B), first(along_C), slope_z(B, C, log_G)
    # r moves C, and B too unless swapped; s moves C, and B too if swapped.
    terms = [log_G, d_C + (0 if swap else d_B), d_C + (d_B if swap else 0), d_z]
    if order == 2:
        d = CROSS_STEP
        corners = [np.log(hyp2f1(1.0, B + i * d, C + j * d, z)) for i, j in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        BB, CC = second(along_B), second(along_C)
        BC = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * d * d)
        Bz = first([slope_z(B + i * h, C, v) for i, v in zip(shifts, along_B)])
        Cz = first([slope_z(B, C + i * h, v) for i, v in zip(shifts, along_C)])
        zz = 2 * B * (B + 1) / (C * (C + 1)) * hyp2f1(3.0, B + 2, C + 2, z) / np.exp(log_G) - d_z**2
        both = BB + 2 * BC + CC
        terms += [CC, both, zz, BC + CC, Cz, Bz + Cz] if swap else [both, CC, zz, BC + CC, Bz + Cz, Cz]
    return np.stack(np.broadcast_arrays(*terms))


def _interpolated_log_series(B, C, z, order, swap, x_index, z_index):
    """_log_series at (B, C)[x_index], z[z_index] (x_index sorted), by Chebyshev
    interpolation in w = -ln(1-z) between n nodes per (B, C). ln G is analytic
    in w but on the lines Im w = +-pi (z on 2F1's cut [1, inf)), so n nodes on
    [lo, hi] reach 1e-16 when rho^-n does, rho = b + sqrt(b^2+1), b = 2 pi/(hi-lo).
    None unless that takes well under one evaluation per point."""
    w = -np.log1p(-z)
    lo, hi = w.min(), w.max()
    if not lo < hi < np.inf:
        return None
    b = 2 * np.pi / (hi - lo)
    n = int(np.ceil(40 / np.log(b + np.sqrt(b * b + 1)))) + 4
    if 3 * n * len(B) > len(x_index):
        return None
    nodes = np.cos(np.pi * np.arange(n) / (n - 1))
    weights = np.where(np.arange(n) % 2, -1.0, 1.0)
    weights[[0, -1]] /= 2
    offsets = (2 * w - (hi + lo)) / (hi - lo) - nodes[:, None]
    exact = offsets == 0
    bary = weights[:, None] / np.where(exact, 1.0, offsets)
    hits = exact.any(axis=0)
    bary[:, hits] = exact[:, hits]
    bary /= bary.sum(axis=0)
    at_nodes = _log_series(B[:, None], C[:, None], -np.expm1(-(lo + (hi - lo) * (nodes + 1) / 2)), order, swap)
    series = np.empty((len(at_nodes), len(x_index)))
    bounds = np.searchsorted(x_index, np.arange(len(B) + 1))
    for i, (first, last) in enumerate(pairwise(bounds)):  # not BLAS: threaded, it crawls on a busy machine
        series[:, first:last] = np.einsum("kn,nj->kj", at_nodes[:, i], bary[:, z_index[first:last]])
    return series


def _log_F(params, x, u, order=0, grid=None):
    """ln F(x, u) of the module docstring on the branch that keeps 2F1's argument
    z in [0, 1), and (order >= 1) its gradient in (r, alpha, s, beta), shape
    (4, n), and (order 2) Hessian, (4, 4, n). Euler's transformation
    2F1(A, b; A+1; z) = (1-z)^(1-b) 2F1(1, A+1-b; A+1; z) takes out the factor
    that overflows for large x (alpha < beta) or large s (alpha >= beta):

        ln F = ln G - (r+x-c) ln(alpha+u) - (s+c) ln(beta+u),  G = 2F1(1, B; r+s+x+1; z),

    with c = 0, B = r+x, z = (alpha-beta)/(alpha+u) for alpha >= beta and c = 1,
    B = s+1, z = (beta-alpha)/(beta+u) otherwise. `grid` = (distinct x, index,
    distinct u, index) of x and u (x's index sorted) lets ln G be interpolated."""
    r, alpha, s, beta = params
    swap = alpha < beta
    c = float(swap)
    upper, lower = (beta, alpha) if swap else (alpha, beta)
    high, low = upper + u, lower + u
    series = None
    if grid is not None:
        xs, x_index, us, u_index = grid
        series = _interpolated_log_series(np.full(len(xs), s + 1.0) if swap else r + xs, r + s + xs + 1,
                                          (upper - lower) / (upper + us), order, swap, x_index, u_index)
    if series is None:
        series = _log_series(s + 1.0 if swap else r + x, r + s + x + 1, (upper - lower) / high, order, swap)
    log_a, log_b = np.log(alpha + u), np.log(beta + u)
    log_F = series[0] - (r + x - c) * log_a - (s + c) * log_b
    if order == 0:
        return log_F, None, None
    # z's derivatives in (upper, lower): (low/high^2, -1/high), second (-2 low/high^3, 1/high^2, 0).
    z_up, z_down = low / high**2, -1 / high
    inv_a, inv_b = 1 / (alpha + u), 1 / (beta + u)
    g_r, g_s, g_z = series[1:4]
    z_a, z_b = (z_down, z_up) if swap else (z_up, z_down)
    gradient = np.stack([g_r - log_a, g_z * z_a - (r + x - c) * inv_a, g_s - log_b, g_z * z_b - (s + c) * inv_b])
    if order == 1:
        return log_F, gradient, None
    rr, ss, zz, rs, rz, sz = series[4:]
    z_aa, z_bb = (0, -2 * low / high**3) if swap else (-2 * low / high**3, 0)
    ab = zz * z_a * z_b + g_z / high**2
    hessian = np.array([
        [rr, rz * z_a - inv_a, rs, rz * z_b],
        [rz * z_a - inv_a, zz * z_a**2 + g_z * z_aa + (r + x - c) * inv_a**2, sz * z_a, ab],
        [rs, sz * z_a, ss, sz * z_b - inv_b],
        [rz * z_b, ab, sz * z_b - inv_b, zz * z_b**2 + g_z * z_bb + (s + c) * inv_b**2],
    ])
    return log_F, gradient, hessian


def _customer_log_terms(params, x, t_x, age):
    """The two terms inside the likelihood's braces, in logs, without alpha^r beta^s:
    survive = -(r+x) ln(alpha+T) - s ln(beta+T), left = ln(s/(r+s+x)) + ln A0,
    ln A0 = ln F(t_x) + ln(1 - F(T)/F(t_x)), -inf when t_x = T; expm1 keeps the
    difference accurate when t_x is close to T."""
    params = [params[name] for name in NAMES]
    r, alpha, s, beta = params
    log_F_t, log_F_T = _log_F(params, x, t_x)[0], _log_F(params, x, age)[0]
    with np.errstate(divide="ignore"):  # F falls in u; rounding may break a tie
        left = np.log(s / (r + s + x)) + log_F_t + np.log(-np.expm1(np.minimum(log_F_T - log_F_t, 0.0)))
    return -(r + x) * np.log(alpha + age) - s * np.log(beta + age), left


class _Summary:
    """Customers' distinct (x, t_x, T) with counts, and the distinct (x, u), u in
    {t_x, T}, on which F is evaluated: at_t and at_T index them for each row."""

    def __init__(self, x, t_x, age):
        self.distinct_x, x_code = unique_codes(x)
        self.times, time_code = unique_codes(np.concatenate([t_x, age]))
        n, n_x, n_times = len(x), len(self.distinct_x), len(self.times)
        columns = (x_code, time_code[:n], time_code[n:])
        if float(n_x) * n_times**2 < 2.0**62:
            rows, counts = np.unique((x_code * n_times + columns[1]) * n_times + columns[2], return_counts=True)
            columns = (rows // n_times**2, rows // n_times % n_times, rows % n_times)
        else:
            rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
            columns = tuple(rows.T)
        self.w, self.total = counts.astype(float), float(n)
        self.x_weight = np.bincount(columns[0], self.w, n_x)
        x_key = columns[0] * n_times
        pairs, pair_index = unique_codes(np.concatenate([x_key + columns[1], x_key + columns[2]]))
        self.pair_xi, self.pair_ti = pairs // n_times, pairs % n_times
        self.pair_x, self.pair_u = self.distinct_x[self.pair_xi], self.times[self.pair_ti]
        self.at_t, self.at_T = pair_index[: len(rows)], pair_index[len(rows):]
        self.w_at_T = np.bincount(self.at_T, self.w, len(pairs))

    def rescaled(self, scale):
        """The same customers with every time multiplied by `scale`."""
        copy = object.__new__(_Summary)
        copy.__dict__.update(self.__dict__)
        copy.pair_u, copy.times = self.pair_u * scale, self.times * scale
        return copy


def _evaluate(theta, data, order=1):
    """Mean negative log-likelihood at log-parameters theta and (order >= 1) its
    gradient and (order 2) Hessian there (see the module docstring).

    Per customer row, ln L = C(x) + logaddexp(survive, left) with survive a
    function of the pair (x, T), left = opening(x, t_x) + ln(1 - F(T)/F(t_x)),
    opening = ln(s/(r+s+x)) + ln F(t_x): both are computed per pair, and the
    sums over rows are gathered back onto pairs (np.bincount)."""
    params = np.exp(theta)
    r, alpha, s, beta = params
    x, u, xs, total = data.pair_x, data.pair_u, data.distinct_x, data.total
    log_F, g, h = _log_F(params, x, u, order, (xs, data.pair_xi, data.times, data.pair_ti))
    log_a, log_b, inv_share = np.log(alpha + u), np.log(beta + u), 1 / (r + s + x)
    survive = -(r + x) * log_a - s * log_b
    opening = np.log(s * inv_share) + log_F
    at_t, at_T, w = data.at_t, data.at_T, data.w
    remains = -np.expm1(np.minimum(np.take(log_F, at_T) - np.take(log_F, at_t), 0.0))  # 1 - F(T)/F(t_x); F falls in u
    with np.errstate(divide="ignore"):
        lead = np.take(survive, at_T) - np.take(opening, at_t) - np.log(remains)  # survive - left, +inf when t_x = T
    small = np.exp(-np.abs(lead))  # logaddexp = max + ln(1 + small); log1p is slower, to no avail here
    value = (dot(data.x_weight, gammaln(r + xs) - gammaln(r)) + total * (r * np.log(alpha) + s * np.log(beta))
             + dot(data.w_at_T, survive) + dot(w, np.maximum(-lead, 0) + np.log(1 + small)))
    if order == 0:
        return -value / total
    # d row = p d survive + (1-p) d left, p = P(alive) = sigmoid(lead);
    # d ln(F(t_x) - F(T)) = g_t + q (g_t - g_T), q = F(T)/(F(t_x) - F(T)).
    w_dead = w * np.where(lead >= 0, small, 1.0) / (1 + small)
    dead = w_dead > 0  # t_x < T
    q = np.where(dead, 1 / np.where(dead, remains, 1.0) - 1, 0.0)
    n_pairs = len(log_F)
    dead_t, dead_q_t, dead_q_T, alive_T = (
        np.bincount(index, weights, n_pairs)
        for index, weights in ((at_t, w_dead), (at_t, w_dead * q), (at_T, w_dead * q), (at_T, w - w_dead)))
    inv_a, inv_b = 1 / (alpha + u), 1 / (beta + u)
    d_survive = np.stack([-log_a, -(r + x) * inv_a, -log_b, -s * inv_b])
    d_share = np.stack([-inv_share, 0 * x, 1 / s - inv_share, 0 * x])
    pair_weight = dead_t + dead_q_t - dead_q_T
    gradient = d_survive @ alive_T + d_share @ dead_t + g @ pair_weight + [
        dot(data.x_weight, digamma(r + xs) - digamma(r)) + total * np.log(alpha), total * r / alpha,
        total * np.log(beta), total * s / beta]
    if order == 1:
        return to_log_space(params, value, total, gradient)
    hessian = np.einsum("klp,p->kl", h, pair_weight)
    share_2 = dot(dead_t, inv_share**2)
    cross_a, cross_b = total / alpha - dot(alive_T, inv_a), total / beta - dot(alive_T, inv_b)
    hessian += [
        [dot(data.x_weight, polygamma(1, r + xs) - polygamma(1, r)) + share_2, cross_a, share_2, 0],
        [cross_a, dot(alive_T, (r + x) * inv_a**2) - total * r / alpha**2, 0, 0],
        [share_2, 0, share_2 - dead_t.sum() / s**2, cross_b],
        [0, 0, cross_b, s * dot(alive_T, inv_b**2) - total * s / beta**2]]
    # Rank-one terms, per row: p(1-p) (d survive - d left)(...)^T, and -q(1+q) (g_t - g_T)(...)^T from d2 ln A0.
    at_T_rows = np.take(np.concatenate([d_survive - d_share, g]), at_T, axis=1)
    g_t = np.take(g, at_t, axis=1)
    step = g_t - at_T_rows[4:]
    spread = at_T_rows[:4] - g_t - q * step
    hessian += (spread * ((w - w_dead) * w_dead / w)) @ spread.T
    hessian -= (step * (w_dead * q * (1 + q))) @ step.T
    return to_log_space(params, value, total, gradient, hessian)


def _value(theta, data):
    """Mean negative log-likelihood; +inf where it cannot be evaluated (the optimiser backs off)."""
    with np.errstate(all="ignore"):
        value = _evaluate(theta, data, order=0)
    return value if np.isfinite(value) else np.inf


def _derivatives(theta, data, order):
    """_evaluate's (value, gradient[, Hessian]); differences of the value where
    2F1 fails (nan) for extreme parameters, e.g. while a fit runs off."""
    with np.errstate(all="ignore"):
        result = _evaluate(theta, data, order)
        if np.isfinite(result[0]) and not all(np.all(np.isfinite(part)) for part in result[1:]):
            result = (numeric_curvature(lambda point: _value(point, data), theta) if order == 2
                      else (result[0], central_gradient(lambda point: _value(point, data), theta)))
    return result if np.isfinite(result[0]) else (np.inf, *result[1:])


def _start(x, age):
    """r = s = 1, beta = alpha matching the mean purchase rate (sum x / sum T)."""
    alpha = max(age.sum(), 1e-9) / max(x.sum(), 1.0)
    return {"r": 1.0, "alpha": alpha, "s": 1.0, "beta": alpha}


def _maximise(x, t_x, age, start):
    """(natural params, Optimum, total log-likelihood there, unscaled summary),
    times rescaled to a mean T of one while optimising.

    Newton evaluates the objective at a trial point and, when it takes the step,
    asks for the Hessian there: the first trial after each Hessian computes
    everything at once, later (halved) trials only the value."""
    natural = _Summary(x, t_x, age)
    scale = 1 / age.mean() if age.mean() > 0 else 1.0
    scaled = natural.rescaled(scale)
    last = {"point": None, "first trial": False}

    def curvature(point):
        if point.tobytes() != last["point"]:
            last.update(point=point.tobytes(), result=_derivatives(point, scaled, 2))
        last["first trial"] = True
        return last["result"]

    def value(point):
        if not last["first trial"]:
            return _value(point, scaled)
        here, there = last["result"], curvature(point)
        last["first trial"] = False
        # Near the optimum a step gains less than the value's rounding error (~1e-16 of the sum
        # of |ln L| over customers): a tie then, if the gradient fell, so Newton goes on.
        tie = there[0] - here[0] < 1e-13 * max(1.0, abs(here[0])) and max(abs(there[1])) < max(abs(here[1]))
        return min(there[0], here[0]) if tie else there[0]

    theta = np.log([start["r"], start["alpha"] * scale, start["s"], start["beta"] * scale])
    theta, settling = settle(curvature, value, theta)  # the log-likelihood is not concave everywhere
    optimum = minimise(lambda point: _derivatives(point, scaled, 1), theta, curvature=curvature, value=value)
    optimum = replace(optimum, iterations=optimum.iterations + settling)
    point = optimum.log_params  # Newton's last Hessian is there; rescaling times by k rescales L by k^-x
    level = last["result"][0] if point.tobytes() == last["point"] else _value(point, scaled)
    total = -level * natural.total + np.log(scale) * x.sum()
    r, alpha, s, beta = np.exp(optimum.log_params)
    return {"r": r, "alpha": alpha / scale, "s": s, "beta": beta / scale}, optimum, total, natural


def log_likelihood(params, frequency, recency, T) -> float:
    """The total Pareto/NBD log-likelihood of customers at given parameters."""
    data = _Summary(*check_purchase_summary(frequency, recency, T))
    return float(-_evaluate(np.log([params[name] for name in NAMES]), data, order=0) * data.total)


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
        warm, warm_optimum, _, _ = _maximise(x[sample], t_x[sample], age[sample], start)
        start, iterations = (warm, warm_optimum.iterations) if warm_optimum.converged else (start, 0)
    params, optimum, total, natural = _maximise(x, t_x, age, start)
    return ParetoNBDFit(
        params={name: float(value) for name, value in params.items()},
        log_likelihood=float(total),
        converged=optimum.converged,
        iterations=iterations + optimum.iterations,
        std_errors=standard_errors(NAMES, params, optimum.hessian, natural.total),
        n_customers=int(natural.total),
        message=optimum.message,
    )
