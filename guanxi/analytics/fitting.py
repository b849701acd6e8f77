"""Maximum-likelihood machinery shared by the CLV models (BG/NBD, Pareto/NBD,
Gamma-Gamma).

Each model supplies the mean negative log-likelihood of its parameters in log
space (so every parameter stays positive without constraints), its gradient
and, when affordable, its Hessian; this module finds the optimum, polishes it
with Newton steps, and turns the curvature there into standard errors.
Customers with identical summaries are fitted once, weighted by how many there
are (a shop's million customers collapse to a few hundred thousand distinct
(x, t_x, T) rows), and large inputs are first fitted on a fixed subsample whose
optimum starts the full fit.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

# Log-parameters live in [-BOUND, BOUND] (e^25 ~ 7e10), so a degenerate fit
# stops instead of overflowing. The models rescale time and money to order one.
BOUND = 25.0
# A log-parameter beyond +-EXTREME (a factor 22,000 from the rescaled data's
# scale) means the optimum is on the edge of the parameter space: e.g. a -> 0
# when nobody seems to drop out, or everything -> infinity for one customer.
EXTREME = 10.0
# Largest |gradient| of the *mean* negative log-likelihood (per customer, in
# log-parameters) that still counts as an optimum.
GRADIENT_TOLERANCE = 1e-6


class NotEnoughData(ValueError):
    """The data cannot identify the model's parameters (raised by the fit_* functions).

    For example no repeat buyer for BG/NBD or Pareto/NBD, or fewer than two
    customers with a positive repeat spend for Gamma-Gamma. Callers catch it and
    carry on without the model.
    """


@dataclass(frozen=True)
class ModelFit:
    """What every fit reports; subclasses add the model's predictions."""

    params: dict
    log_likelihood: float
    converged: bool
    iterations: int
    std_errors: dict
    n_customers: int
    message: str = ""

    model = "model"

    def to_dict(self) -> dict:
        """JSON-ready: parameters flat at the top level, NaN as None."""
        return {
            "model": self.model,
            **{name: _plain(value) for name, value in self.params.items()},
            "log_likelihood": _plain(self.log_likelihood),
            "converged": bool(self.converged),
            "iterations": int(self.iterations),
            "std_errors": {name: _plain(value) for name, value in self.std_errors.items()},
            "n_customers": int(self.n_customers),
            "message": self.message,
        }


def _plain(value):
    value = float(value)
    return value if np.isfinite(value) else None


@dataclass(frozen=True)
class Optimum:
    """Where the optimiser stopped, in log-parameters."""

    log_params: np.ndarray
    hessian: np.ndarray  # of the mean negative log-likelihood, in log-parameters
    iterations: int
    converged: bool
    message: str


def dot(weights, values):
    """Sum of products of two 1-D arrays. np.einsum, not np.dot: a multithreaded
    BLAS dot of a long vector is ten times slower on a busy two-core machine."""
    return float(np.einsum("i,i->", weights, values))


def warm_start_sample(n_customers, size=20_000):
    """Indices of a fixed random subset of customers to fit first, when there are
    more than five times as many: its optimum is within a percent or so of the
    full one, from where a few Newton steps on all customers finish the job."""
    if n_customers <= 5 * size:
        return None
    return np.sort(np.random.default_rng(20050101).choice(n_customers, size, replace=False))


def to_log_space(params, log_likelihood, customers, gradient, hessian=None):
    """The mean negative log-likelihood, and its gradient and Hessian in
    log-parameters, from the total log-likelihood and its natural derivatives:
    d/d ln p = p d/dp, and H_log = P H P + diag(P g) with P = diag(p)."""
    params, gradient = np.asarray(params), np.asarray(gradient)
    value = -log_likelihood / customers
    log_gradient = -params * gradient / customers
    if hessian is None:
        return value, log_gradient
    log_hessian = -(np.outer(params, params) * hessian + np.diag(params * gradient)) / customers
    return value, log_gradient, log_hessian


def unique_rows(*columns):
    """The distinct rows of equal-length columns and how often each occurs.

    Each column is coded to integers (np.unique), the codes are packed into one
    int64 key and sorted: about 0.2 s for a million rows, ten times faster than
    np.unique(axis=0) on the stacked columns. Falls back to that when the key
    would overflow.
    """
    n = len(columns[0])
    coded = [np.unique(column, return_inverse=True) for column in columns]
    if np.prod([float(len(values)) for values, _ in coded]) >= 2.0**62:
        stacked, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        return tuple(stacked.T), counts.astype(float)
    key = np.zeros(n, np.int64)
    for values, codes in coded:
        key = key * len(values) + codes.ravel()
    key = np.sort(key)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[starts, n]).astype(float)
    key = key[starts]
    distinct = []
    for values, _ in reversed(coded):
        distinct.append(values[key % len(values)])
        key = key // len(values)
    return tuple(reversed(distinct)), counts


def unique_codes(values):
    """np.unique(values, return_inverse=True), by a lookup table instead of
    sorting when the values are whole numbers (days, counts, codes) spanning not
    much more than their count: six times faster on two million."""
    low, high = values.min(), values.max()
    if high - low < 4 * len(values) + 1024 and np.all(values == np.round(values)):
        offsets = (values - low).astype(np.int64)
        present = np.zeros(int(high - low) + 1, bool)
        present[offsets] = True
        return np.flatnonzero(present) + low, (np.cumsum(present) - 1)[offsets]
    return np.unique(values, return_inverse=True)


def minimise(objective, start, curvature=None, value=None, reuse_hessian=False):
    """Minimise a mean negative log-likelihood over log-parameters.

    `objective(theta) -> (value, gradient)`; `curvature(theta) -> (value,
    gradient, hessian)` if the model can afford one (analytic, or numeric when
    the gradient is numeric anyway). With one, damped Newton runs first (a
    handful of steps from a good start, e.g. a fit on a subsample); otherwise,
    or if Newton fails, L-BFGS-B gets close and Newton steps (on a
    finite-difference Hessian of the gradient when there is no curvature)
    polish the optimum to machine precision: that is what makes the parameters
    agree with other implementations to many digits. `value(theta)` is the
    objective without its gradient, for trial steps. `reuse_hessian` keeps each
    Hessian for four Newton steps (Shamanskii's method: nearly as fast as
    Newton, a quarter of the Hessians) and recomputes it at the end: for
    costly numeric ones.
    """
    value = value or (lambda theta: objective(theta)[0])
    newton_first = curvature is not None
    curvature = curvature or _finite_difference_curvature(objective)
    start = np.asarray(start, float)
    done = _newton(objective, value, curvature, reuse_hessian, start) if newton_first else None
    iterations = done[1] if done else 0
    if not (done and done[2]):
        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[(-BOUND, BOUND)] * len(start),
                          options={"maxiter": 2000, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-10})
        done = _newton(objective, value, curvature, reuse_hessian, np.clip(result.x, -BOUND, BOUND))
        iterations += int(result.nit) + done[1]
    theta, _, _, (_, gradient, hessian) = done
    converged, message = _verdict(theta, gradient, hessian)
    return Optimum(theta, hessian, iterations, converged, message)


def settle(curvature, value, theta, max_steps=40):
    """Saddle-free Newton steps from theta until the Hessian is positive
    definite, where minimise's Newton can start: (theta, steps taken).

    The step is -|H|^-1 g, |H| the Hessian with its eigenvalues replaced by
    their absolute values (floored at 1e-3 of the largest), halved until the
    objective falls (Dauphin et al. 2014). For likelihoods that are not concave
    far from the optimum: a few such steps cost less than L-BFGS-B's run. Stops
    where it cannot go on (non-finite values, no descent); minimise copes then.
    """
    theta = np.asarray(theta, float)
    for step_number in range(max_steps):
        level, gradient, hessian = curvature(theta)
        if not (np.isfinite(level) and np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))):
            return theta, step_number
        eigenvalues, vectors = np.linalg.eigh(hessian)
        if eigenvalues[0] > 0:
            return theta, step_number
        floor = 1e-3 * max(np.abs(eigenvalues).max(), 1e-12)
        step = vectors @ ((vectors.T @ gradient) / np.maximum(np.abs(eigenvalues), floor))
        for _ in range(20):
            candidate = theta - step
            if np.all(np.abs(candidate) < BOUND) and value(candidate) < level:
                break
            step = step / 2
        else:
            return theta, step_number
        theta = candidate
    return theta, max_steps


def _finite_difference_curvature(objective):
    def curvature(theta):
        value, gradient = objective(theta)
        return value, gradient, finite_difference_hessian(lambda point: objective(point)[1], theta)

    return curvature


def _newton(objective, value_of, curvature, reuse_hessian, theta, max_steps=30):
    """Damped Newton: (theta, steps, reached an optimum, (value, gradient, hessian) at theta).

    Gives up (reached = False) as soon as the Hessian is not positive definite
    or halving the step four times does not lower the objective.
    """
    theta, steps, reached, state = _newton_steps(objective, value_of, curvature, reuse_hessian, theta, max_steps)
    if reuse_hessian and steps:
        state = curvature(theta)  # the Hessian at the optimum, for the verdict and standard errors
    return theta, steps, reached, state


def _newton_steps(objective, value_of, curvature, reuse_hessian, theta, max_steps):
    state = curvature(theta)
    for step_number in range(max_steps):
        value, gradient, hessian = state
        if not np.isfinite(value) or not _positive_definite(hessian):
            return theta, step_number, False, state
        if np.max(np.abs(gradient)) < 1e-12:
            return theta, step_number, True, state
        step = np.linalg.solve(hessian, gradient)
        for _ in range(5):
            candidate = theta - step
            if np.all(np.abs(candidate) < BOUND) and value_of(candidate) <= value:
                break
            step = step / 2
        else:  # no lower point: at the optimum if rounding is all that is left
            return theta, step_number, bool(np.max(np.abs(gradient)) < 1e-8), state
        theta = candidate
        reuse = reuse_hessian and (step_number + 1) % 4  # refresh every fourth step
        state = (*objective(theta), hessian) if reuse else curvature(theta)
        if np.max(np.abs(step)) < 1e-10:
            return theta, step_number + 1, True, state
    return theta, max_steps, bool(np.max(np.abs(state[1])) < GRADIENT_TOLERANCE), state


def _verdict(theta, gradient, hessian):
    """(converged, message): an interior optimum with a zero gradient and positive curvature."""
    if not np.all(np.isfinite(gradient)):
        return False, "the log-likelihood is not finite at the optimum"
    if np.any(np.abs(theta) > EXTREME):
        return False, ("a parameter ran off towards 0 or infinity: the data do not identify the model "
                       "(too few customers, or a boundary case such as nobody seeming to drop out)")
    if np.max(np.abs(gradient)) > GRADIENT_TOLERANCE:
        return False, f"the optimiser stopped short of the optimum (|gradient| {np.max(np.abs(gradient)):.2g})"
    if not _positive_definite(hessian):
        return False, "the log-likelihood is flat or saddle-shaped at the optimum: parameters not identified"
    return True, ""


def _positive_definite(matrix):
    if not np.all(np.isfinite(matrix)):
        return False
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


def finite_difference_hessian(gradient, theta, step=1e-4):
    """Central differences of the gradient, symmetrised. The step suits both
    analytic gradients and central-difference ones (rounding ~1e-16/(1e-4*1e-5))."""
    size = len(theta)
    hessian = np.empty((size, size))
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = step
        hessian[i] = (np.asarray(gradient(theta + shift)) - np.asarray(gradient(theta - shift))) / (2 * step)
    return (hessian + hessian.T) / 2


def numeric_curvature(value, theta, step=1e-4):
    """(value, gradient, Hessian) from values alone, for likelihoods without
    analytic derivatives: central differences for the gradient (step 1e-5) and
    second differences for the Hessian (2n^2 + 1 evaluations)."""
    size = len(theta)
    basis = np.eye(size) * step
    centre = value(theta)
    hessian = np.empty((size, size))
    for i in range(size):
        hessian[i, i] = (value(theta + basis[i]) - 2 * centre + value(theta - basis[i])) / step**2
        for j in range(i):
            corners = [value(theta + si * basis[i] + sj * basis[j]) for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            hessian[i, j] = hessian[j, i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * step**2)
    return centre, central_gradient(value, theta), hessian


def central_gradient(value, theta, step=1e-5):
    """Gradient by central differences, for likelihoods without an analytic one."""
    size = len(theta)
    grad = np.empty(size)
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = step
        grad[i] = (value(theta + shift) - value(theta - shift)) / (2 * step)
    return grad


def standard_errors(names, params, log_hessian_of_mean, total_weight):
    """Standard errors of the natural parameters from the inverse Hessian.

    The Hessian is of the mean negative log-likelihood in log-parameters; at the
    optimum (zero gradient) the natural-scale covariance is
    diag(params) H_log^-1 diag(params) / total_weight. NaN when the Hessian is
    not positive definite.
    """
    values = np.array([params[name] for name in names])
    if not _positive_definite(log_hessian_of_mean):
        return {name: float("nan") for name in names}
    covariance = np.linalg.inv(log_hessian_of_mean * total_weight)
    errors = values * np.sqrt(np.diag(covariance))
    return {name: float(error) for name, error in zip(names, errors)}


def as_float_arrays(*columns):
    """Equal-length 1-D float arrays, or ValueError naming what is wrong."""
    arrays = [np.atleast_1d(np.asarray(column, dtype=float)).ravel() for column in columns]
    if len({len(array) for array in arrays}) != 1:
        raise ValueError("the input columns must have the same length")
    if any(not np.all(np.isfinite(array)) for array in arrays):
        raise ValueError("the input columns must be finite numbers")
    return arrays


def check_purchase_summary(frequency, recency, T):
    """Validate (x, t_x, T): integer x >= 0, 0 <= t_x <= T, t_x = 0 when x = 0."""
    x, t_x, age = as_float_arrays(frequency, recency, T)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > age * (1 + 1e-12)):
        raise ValueError("recency must lie between 0 and T")
    if np.any(t_x[x == 0] != 0):
        raise ValueError("recency must be 0 for customers without repeat purchases")
    return x, np.minimum(t_x, age), age
