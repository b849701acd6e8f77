"""Returns of delivered goods.

Only fulfilled orders are returned (a cancelled or refunded order never reached
the customer). Each line is returned with its category's rate (clothes most),
some of its units, 2-30 days after the order; returns that would fall after the
window's end have not happened yet and are left out.
"""

from dataclasses import dataclass

import numpy as np

from guanxi.synthetic.orders import FULFILLED

REASONS = np.array(["wrong_size", "damaged", "not_as_described", "changed_mind", "wrong_item", "quality"])
# Reason weights: clothes and shoes come back for size, the rest for other reasons.
SIZED_REASONS = np.array([0.55, 0.05, 0.1, 0.15, 0.05, 0.1])
OTHER_REASONS = np.array([0.0, 0.25, 0.2, 0.25, 0.1, 0.2])
RETURN_STATUSES = np.array(["requested", "received", "refunded", "rejected"])


@dataclass
class Returns:
    line: np.ndarray  # index into the chunk's lines
    quantity: np.ndarray
    amount_cents: np.ndarray
    epoch: np.ndarray  # returned_at, seconds since 1970
    reason: np.ndarray
    status: np.ndarray


def draw_returns(rng, orders, lines, order_epoch, catalogue, window_end_epoch):
    category = catalogue.category[lines.product]
    fulfilled = orders.status[lines.order] == FULFILLED
    chosen = np.flatnonzero(fulfilled & (rng.random(len(lines)) < catalogue.return_rates()[category]))
    days_later = np.minimum(2 + rng.gamma(2.0, 3.0, len(chosen)), 30)
    epoch = order_epoch[lines.order[chosen]] + (days_later * 86400).astype(np.int64)
    happened = epoch < window_end_epoch
    chosen, epoch = chosen[happened], epoch[happened]
    quantity = 1 + (rng.random(len(chosen)) * lines.quantity[chosen]).astype(np.int64)
    value = quantity * catalogue.price_cents[lines.product[chosen]]
    # One return in ten is refunded at half value (opened or used goods).
    amount = np.where(rng.random(len(chosen)) < 0.1, value // 2, value)
    sized = np.isin(category[chosen], [catalogue.categories.index(c) for c in ("fashion", "sports")])
    reason = np.where(sized, rng.choice(len(REASONS), len(chosen), p=SIZED_REASONS),
                      rng.choice(len(REASONS), len(chosen), p=OTHER_REASONS))
    return Returns(chosen, quantity, amount, epoch, REASONS[reason],
                   _statuses(rng, epoch, window_end_epoch))


def _statuses(rng, epoch, window_end_epoch):
    """Mostly refunded; returns of the last week are still on their way."""
    status = rng.choice(4, size=len(epoch), p=[0.03, 0.05, 0.85, 0.07])
    status = np.where(epoch > window_end_epoch - 7 * 86400, rng.choice(2, size=len(epoch)), status)
    return RETURN_STATUSES[status]
