"""All orders of a chunk of customers: first, repeat, gift and cancelled ones,
with their time, intended value, channel and status."""

from dataclasses import dataclass

import numpy as np

from guanxi.synthetic import purchases, seasons
from guanxi.synthetic.geography import CHANNELS

STATUSES = np.array(["paid", "fulfilled", "cancelled", "refunded"])
PAID, FULFILLED, CANCELLED, REFUNDED = range(4)


@dataclass
class Orders:
    """Parallel arrays, one entry per order, grouped by customer in time order."""

    customer: np.ndarray  # customer number within the chunk
    day: np.ndarray  # days since the window start (float)
    kind: np.ndarray  # purchases.ORDER_* constant
    occasion: np.ndarray  # seasons.OCCASIONS index for gift orders, else -1
    spend: np.ndarray  # intended value in CNY
    channel: np.ndarray  # index into CHANNELS
    status: np.ndarray  # index into STATUSES

    def __len__(self):
        return len(self.customer)


def simulate_orders(rng, buyers, people, window, params):
    """Orders of the chunk; `people` carries zone offsets, channel habits, gift interest."""
    n = len(buyers.birth)
    repeat_customer, repeat_day = purchases.place_repeats(rng, buyers, window)
    gift_customer, gift_day, occasion = seasons.gift_orders(
        rng, people.gift_occasions, buyers.birth, buyers.leaves, window, params.seasons)
    customer = np.concatenate([np.arange(n), repeat_customer, gift_customer])
    day = np.concatenate([buyers.birth, repeat_day, gift_day])
    kind = np.concatenate([np.full(n, purchases.ORDER_FIRST), np.full(len(repeat_day), purchases.ORDER_REPEAT),
                           np.full(len(gift_day), purchases.ORDER_GIFT)]).astype(np.int8)
    occasions = np.concatenate([np.full(n + len(repeat_day), -1), occasion]).astype(np.int8)
    day = purchases.at_local_hours(rng, day, people.utc_offset[customer])
    day = np.clip(day, 0.0, window.days - 1.0 / 86400)
    spend = purchases.spend_targets(rng, buyers.nu, customer, params.gamma_gamma.p)
    orders = _with_cancelled_attempts(rng, customer, day, kind, occasions, spend, params)
    orders.channel = _channels(rng, people.channel[orders.customer])
    orders.status = _statuses(rng, orders, window, params)
    return _grouped(orders)


def _with_cancelled_attempts(rng, customer, day, kind, occasion, spend, params):
    chosen, attempt_day = purchases.cancelled_attempts(rng, customer, day, params.cancelled_share)
    return Orders(
        np.concatenate([customer, customer[chosen]]), np.concatenate([day, attempt_day]),
        np.concatenate([kind, np.full(len(chosen), purchases.ORDER_CANCELLED, np.int8)]),
        np.concatenate([occasion, occasion[chosen]]), np.concatenate([spend, spend[chosen]]), None, None)


def _channels(rng, usual):
    """Mostly the customer's usual channel, sometimes another one."""
    other = rng.choice(len(CHANNELS), size=len(usual), p=[0.3, 0.3, 0.25, 0.1, 0.05])
    return np.where(rng.random(len(usual)) < 0.75, usual, other).astype(np.int8)


def _statuses(rng, orders, window, params):
    status = np.full(len(orders), FULFILLED, np.int8)
    status[rng.random(len(orders)) < params.refunded_share] = REFUNDED
    recent = orders.day > window.days - params.unshipped_days
    status[recent & (rng.random(len(orders)) < 0.7)] = PAID
    status[orders.kind == purchases.ORDER_CANCELLED] = CANCELLED
    return status


def _grouped(orders):
    """Sort by customer, then time, so a customer's orders are read in sequence."""
    order = np.lexsort((orders.day, orders.customer))
    return Orders(*(getattr(orders, f)[order] for f in
                    ("customer", "day", "kind", "occasion", "spend", "channel", "status")))
