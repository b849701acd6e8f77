"""Customer lifetime value, churn risk and the expected next order, from a fitted
purchase model (BG/NBD or Pareto/NBD) and a Gamma-Gamma spend model.

All functions are vectorised over customers and take the summary columns of
`features.customer_summary` (frequency, recency, T in the fit's time unit;
spend_count, monetary in money). Both purchase models expose the same methods
(p_alive, expected_purchases_alive), so either can be passed.
"""

import numpy as np

from guanxi.analytics.features import TIME_UNITS

# A calendar month: 365.25 / 12 days (lifetimes uses 30).
DAYS_PER_MONTH = 365.25 / 12
CHURN_BANDS = ("low", "medium", "high")
# Churn risk below 0.3 is low, below 0.6 medium, otherwise high.
CHURN_EDGES = (0.3, 0.6)


def months_to_units(months, time_unit):
    """A number of calendar months in the fit's time unit ("days" or "weeks")."""
    return months * DAYS_PER_MONTH / TIME_UNITS[time_unit]


def customer_value(purchase_fit, spend_fit, frequency, recency, T, spend_count, monetary,
                   horizon=12, discount_rate=0.01, margin=1.0, time_unit="days"):
    """Discounted expected margin over the next `horizon` calendar months.

        CLV = margin x E[spend | spend_count, monetary]
              x sum_{i=1..horizon} (E[Y(i months)] - E[Y(i-1 months)]) / (1 + d)^i

    E[Y(t)] is the conditional expected number of purchases in the next t (the
    purchase model's expected_purchases), so each month's expected purchases are
    discounted at the end of that month. `discount_rate` d is per month (a
    yearly 10% is about 0.008), `margin` the share of spend kept as profit (1
    for revenue), `time_unit` the unit of recency and T. Returns an array in
    the currency of `monetary`.
    """
    if int(horizon) != horizon or horizon < 0:
        raise ValueError("horizon must be a whole number of months >= 0")
    if discount_rate <= -1:
        raise ValueError("discount_rate must be above -1")
    alive = purchase_fit.p_alive(frequency, recency, T)
    spend = margin * spend_fit.expected_spend(spend_count, monetary)
    # The monthly sums depend on (x, T) only: computed once per distinct pair
    # (a few hundred thousand among a million customers), 2F1 being the cost.
    x, age = np.broadcast_arrays(np.asarray(frequency, dtype=float), np.asarray(T, dtype=float))
    pairs, inverse = np.unique(np.stack([x.ravel(), age.ravel()]), axis=1, return_inverse=True)
    discounted, previous = 0.0, 0.0
    for month in range(1, int(horizon) + 1):
        cumulative = purchase_fit.expected_purchases_alive(months_to_units(month, time_unit), pairs[0], pairs[1])
        discounted = discounted + (cumulative - previous) / (1 + discount_rate) ** month
        previous = cumulative
    discounted = np.broadcast_to(discounted, pairs.shape[1])  # a horizon of 0 months leaves a scalar
    return alive * spend * discounted[inverse.ravel()].reshape(x.shape)


def expected_next_purchase(purchase_fit, frequency, recency, T):
    """Median time to the next purchase of a customer who is still alive, from
    the end of the calibration period, in the fit's time unit.

    Given alive at T the purchase rate's posterior is Gamma(r+x, rate alpha+T)
    under both models, so the waiting time is Lomax with
    P(W > w) = ((alpha+T)/(alpha+T+w))^(r+x) and median
    (alpha+T)(2^(1/(r+x)) - 1). It ignores dropping out while waiting: combine
    it with p_alive / churn_risk. Recency does not enter (given alive, only x
    and T matter); it is accepted so every per-customer function takes the same
    columns, and must be valid.
    """
    x, t_x, age = np.broadcast_arrays(*(np.asarray(column, dtype=float) for column in (frequency, recency, T)))
    if np.any(t_x > age) or np.any(t_x < 0):
        raise ValueError("recency must lie between 0 and T")
    r, alpha = purchase_fit.params["r"], purchase_fit.params["alpha"]
    return (alpha + age) * np.expm1(np.log(2) / (r + x))


def churn_risk(purchase_fit, frequency, recency, T):
    """1 - P(alive at T): the chance the customer has already left."""
    return 1.0 - purchase_fit.p_alive(frequency, recency, T)


def churn_band(risk, edges=CHURN_EDGES):
    """Name each risk's band: low below edges[0], medium below edges[1], high otherwise.

    The edges are parameters because what counts as "at risk" depends on the
    shop's margins and the cost of a win-back campaign."""
    low, high = edges
    if not 0 <= low <= high <= 1:
        raise ValueError("churn edges must satisfy 0 <= low <= high <= 1")
    return np.asarray(CHURN_BANDS)[np.searchsorted([low, high], np.asarray(risk, dtype=float), side="right")]
