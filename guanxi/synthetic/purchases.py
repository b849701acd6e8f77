"""When customers order and how much they mean to spend: BG/NBD and Gamma-Gamma.

Time is in days from the window start. For each customer (Fader, Hardie & Lee 2005):

1. the first purchase ("birth") falls in [0, days - tail];
2. lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b);
3. the customer would make N ~ Poisson(lambda * T) repeat purchases in the
   remaining T days if they never left, and leaves right after repeat purchase
   J ~ Geometric(p) (J >= 1: nobody leaves after the first purchase);
4. so X = min(J, N) repeat purchases are observed. Given N, purchase times are
   N sorted uniforms on (birth, birth + T]; the last observed one (the X-th of N)
   is T * Beta(X, N - X + 1) and the X - 1 before it are uniform below it.

Step 4 draws exactly what a simulated Poisson process would, without a loop.
Order values follow Gamma-Gamma: nu ~ Gamma(q, rate v) per customer and each
order's target value z ~ Gamma(p, rate nu).
"""

from dataclasses import dataclass

import numpy as np

ORDER_FIRST, ORDER_REPEAT, ORDER_GIFT, ORDER_CANCELLED = 0, 1, 2, 3

# Relative order volume by local hour: quiet at night, busy at lunch and evening.
LOCAL_HOURS = np.array([3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 10, 9, 8, 8, 8, 9, 10, 12, 14, 15, 12, 6], float)


@dataclass
class Buyers:
    """The latent truth about each customer of a chunk."""

    birth: np.ndarray  # day of first purchase
    purchase_rate: np.ndarray  # lambda, purchases per day while active
    dropout: np.ndarray  # p
    would_make: np.ndarray  # N, repeat purchases if they never left
    repeats: np.ndarray  # X = min(J, N), observed repeat purchases
    left: np.ndarray  # J <= N: dropped out at their last purchase
    nu: np.ndarray  # Gamma-Gamma rate: mean order value is p / nu
    leaves: np.ndarray  # day of dropping out, inf if active at the end (set by place_repeats)


def draw_buyers(rng, n, window, params):
    """Steps 1-3 of the module docstring, plus each customer's spend rate nu."""
    bg, gg = params.bgnbd, params.gamma_gamma
    span = window.days - params.acquisition_tail_days
    birth = span * rng.beta(params.acquisition_growth, 1.0, n)
    rate = rng.gamma(bg.r, 1.0 / bg.alpha, n)
    dropout = rng.beta(bg.a, bg.b, n)
    would_make = rng.poisson(rate * (window.days - birth))
    leaves_after = rng.geometric(dropout)
    nu = rng.gamma(gg.q, 1.0 / gg.v, n)
    return Buyers(birth, rate, dropout, would_make, np.minimum(would_make, leaves_after),
                  leaves_after <= would_make, nu, np.full(n, np.inf))


def place_repeats(rng, buyers, window):
    """(customer, day) of every repeat purchase; fills in the day each buyer left."""
    who = np.flatnonzero(buyers.repeats > 0)
    x, n, birth = buyers.repeats[who], buyers.would_make[who], buyers.birth[who]
    last = birth + (window.days - birth) * rng.beta(x, n - x + 1)
    gone = buyers.left[who]
    buyers.leaves[who[gone]] = last[gone]
    earlier = np.repeat(np.arange(len(who)), x - 1)
    before = birth[earlier] + (last[earlier] - birth[earlier]) * rng.random(len(earlier))
    return np.concatenate([who, who[earlier]]), np.concatenate([last, before])


def spend_targets(rng, nu, customer, p):
    """Each order's intended value in CNY: z ~ Gamma(p, rate nu[customer])."""
    return rng.gamma(p, 1.0 / nu[customer])


def at_local_hours(rng, day, utc_offset_hours):
    """Move each time within its local calendar day to a typical shopping hour.

    Only the time of day changes (by less than a day), so the purchase counts and
    recency the BG/NBD model sees are unchanged for all practical purposes.
    """
    local = day + utc_offset_hours / 24.0
    hour = rng.choice(24, size=len(day), p=LOCAL_HOURS / LOCAL_HOURS.sum())
    return np.floor(local) + (hour + rng.random(len(day))) / 24.0 - utc_offset_hours / 24.0


def cancelled_attempts(rng, customer, day, share):
    """Indexes of orders preceded by a cancelled attempt, and the attempts' days.

    A cancelled order and the real one sit minutes to hours apart on (almost
    always) the same day, so counting purchases per customer-day, or ignoring
    cancelled orders, both recover the BG/NBD process.
    """
    chosen = np.flatnonzero(rng.random(len(customer)) < share)
    minutes = rng.uniform(5, 180, len(chosen))
    return chosen, np.maximum(day[chosen] - minutes / 1440.0, 0.0)
