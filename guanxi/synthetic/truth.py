"""truth.json: the parameters the shop was simulated with, and facts about the
result, so analytics (BG/NBD and Gamma-Gamma fits, recommendations, occasion
detection, abandonment flows) can be checked against what really happened."""

from dataclasses import dataclass, field

import numpy as np

from guanxi.synthetic import purchases, seasons
from guanxi.synthetic.catalogue import CURRENCY
from guanxi.synthetic.orders import CANCELLED

BGNBD_COUNTING = (
    "BG/NBD purchases are the orders whose status is not 'cancelled' and that are not seasonal gift orders; "
    "the first order of each customer is the 'birth', later ones are repeat purchases. Seasonal gift buyers "
    "are marked in truth_customers; leave them out to fit the stationary process exactly. A cancelled order "
    "always precedes a real one by 5-180 minutes, so counting per customer-day also works."
)
GAMMA_GAMMA_NOTE = (
    "nu ~ Gamma(shape q, rate v) per customer; each order's target value z ~ Gamma(shape p, rate nu) in CNY "
    "(Fader, Hardie & Lee 2005). Orders are filled with catalogue products priced near the target, so realised "
    "totals approximate z: compare 'realised.mean_order_value' with 'realised.mean_target_value'."
)


@dataclass
class Tally:
    """Running counts over chunks (also the id offsets of the next chunk)."""

    customers: int = 0
    orders: int = 0
    order_lines: int = 0
    returns: int = 0
    events: int = 0
    sessions: int = 0
    abandoned_carts: int = 0
    gift_buyers: int = 0
    active_at_end: int = 0
    repeat_buyers: int = 0
    by_kind: dict = field(default_factory=lambda: {"first": 0, "repeat": 0, "gift": 0, "cancelled": 0})
    gift_by_occasion: dict = field(default_factory=lambda: {name: 0 for name in seasons.OCCASIONS})
    value_cents: int = 0
    target_value: float = 0.0
    valued_orders: int = 0

    def add_orders(self, orders, totals_cents):
        kinds = np.bincount(orders.kind, minlength=4)
        for name, number in (("first", purchases.ORDER_FIRST), ("repeat", purchases.ORDER_REPEAT),
                             ("gift", purchases.ORDER_GIFT), ("cancelled", purchases.ORDER_CANCELLED)):
            self.by_kind[name] += int(kinds[number])
        gift = orders.occasion[orders.kind == purchases.ORDER_GIFT]
        for number, name in enumerate(seasons.OCCASIONS):
            self.gift_by_occasion[name] += int((gift == number).sum())
        real = orders.status != CANCELLED
        self.value_cents += int(totals_cents[real].sum())
        self.target_value += float(orders.spend[real].sum())
        self.valued_orders += int(real.sum())

    def add_customers(self, buyers, people):
        self.gift_buyers += int(people.gift_buyer.sum())
        self.active_at_end += int((~buyers.left).sum())
        self.repeat_buyers += int((buyers.repeats > 0).sum())


def build_truth(params, window, catalogue, tally, seed, fmt):
    customers = max(tally.customers, 1)
    valued = max(tally.valued_orders, 1)
    return {
        "generator": {"seed": seed, "format": fmt, "currency": CURRENCY},
        "time_unit": "days",
        "start": window.start.isoformat(), "end": window.end.isoformat(),
        "observation_end": window.end_instant.isoformat(),
        "customers": tally.customers, "orders": tally.orders, "order_lines": tally.order_lines,
        "returns": tally.returns, "events": tally.events, "sessions": tally.sessions,
        "abandoned_carts": tally.abandoned_carts, "orders_by_kind": tally.by_kind,
        "bgnbd": {"r": params.bgnbd.r, "alpha": params.bgnbd.alpha, "a": params.bgnbd.a, "b": params.bgnbd.b},
        "bgnbd_counting": BGNBD_COUNTING,
        "gamma_gamma": {"p": params.gamma_gamma.p, "q": params.gamma_gamma.q, "v": params.gamma_gamma.v},
        "gamma_gamma_note": GAMMA_GAMMA_NOTE,
        "co_purchase_pairs": [[str(catalogue.sku[a]), str(catalogue.sku[b])] for a, b in catalogue.pairs],
        "co_purchase_probability": params.pair_probability,
        "seasonal": _seasonal(params.seasons, window, tally),
        "abandonment_days": params.abandonment_days,
        "realised": {
            "orders_per_customer": round(tally.orders / customers, 4),
            "lines_per_order": round(tally.order_lines / max(tally.orders, 1), 4),
            "repeat_buyer_share": round(tally.repeat_buyers / customers, 4),
            "active_at_end_share": round(tally.active_at_end / customers, 4),
            "mean_order_value": round(tally.value_cents / 100 / valued, 2),
            "mean_target_value": round(tally.target_value / valued, 2),
        },
        "parameters": params.to_dict(),
    }


def _seasonal(s, window, tally):
    return {
        "gift_buyer_share": s.gift_buyer_share, "occasion_share": s.occasion_share,
        "purchase_probability": s.purchase_probability, "days_before": list(s.days_before),
        "occasions": seasons.dates_by_occasion(window),
        "categories": {k: list(v) for k, v in seasons.GIFT_CATEGORIES.items()},
        "gift_buyers": tally.gift_buyers, "gift_orders": tally.by_kind["gift"],
        "gift_orders_by_occasion": tally.gift_by_occasion,
    }
