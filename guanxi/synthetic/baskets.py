"""What goes into each order: lines with catalogue products and quantities.

Prices are catalogue prices, so an order cannot hit its Gamma-Gamma target value
exactly. Instead each line gets a share of the target and a quantity, then the
product whose price is closest to (share / quantity), with a little noise:
realised totals track the targets within a few percent on average (see
truth.json, "realised").
Then planted partners are added to orders holding an anchor product, and
repeated products within an order are merged into one line.
"""

from dataclasses import dataclass

import numpy as np

from guanxi.synthetic import seasons

MAX_QUANTITY = 6
# Share of lines picked from the customer's favourite categories.
FAVOURITE_SHARE = 0.45


@dataclass
class Lines:
    """Order lines sorted by order then product: lines of an order are adjacent."""

    order: np.ndarray  # order number within the chunk
    product: np.ndarray
    quantity: np.ndarray

    def __len__(self):
        return len(self.order)


def fill_baskets(rng, orders, people, catalogue, params):
    counts = 1 + np.minimum(rng.poisson(params.extra_lines, len(orders)), params.max_lines - 1)
    order = np.repeat(np.arange(len(orders)), counts)
    # Split the order's value unevenly over its lines.
    share = rng.lognormal(0.0, 0.4, len(order))
    share /= np.bincount(order, weights=share)[order]
    target = orders.spend[order] * share
    category = _line_categories(rng, orders, order, people, catalogue)
    quantity = _quantities(rng, len(target))
    product = _closest_priced(rng, target / quantity, category, catalogue)
    # Where even the dearest product allowed is far below the target, buy several.
    short = 1.5 * quantity * _dearest_price(category, catalogue) < target
    more = np.clip(np.rint(target * 100.0 / catalogue.price_cents[product]), 1, MAX_QUANTITY)
    quantity = np.where(short, more, quantity).astype(np.int64)
    order, product, quantity = _add_partners(rng, order, product, quantity, catalogue, params.pair_probability)
    return _merged(order, product, quantity, len(catalogue))


def _quantities(rng, n):
    """Units per line, chosen before the product so that the line value stays an
    unbiased estimate of its target (rounding target/price would not be: a
    price drawn low gets rounded up to two units, one drawn high stays one)."""
    return rng.choice([1, 2, 3], size=n, p=[0.8, 0.15, 0.05])


def _dearest_price(category, catalogue):
    """Highest price (CNY) among the products a line may choose from."""
    per_category = np.array([catalogue.price_cents[catalogue.category == c].max()
                             for c in range(len(catalogue.categories))] + [catalogue.price_cents.max()])
    return per_category[category] / 100.0


def _line_categories(rng, orders, order, people, catalogue):
    """Category per line: favourites, the gift occasion's categories, or -1 (any)."""
    n = len(order)
    customer = orders.customer[order]
    favourite = people.favourites[customer, rng.integers(0, 2, n)]
    category = np.where(rng.random(n) < FAVOURITE_SHARE, favourite, -1)
    occasion = orders.occasion[order]
    for number, name in enumerate(seasons.OCCASIONS):
        mine = np.flatnonzero(occasion == number)
        wanted = [catalogue.categories.index(c) for c in seasons.GIFT_CATEGORIES[name]]
        category[mine] = np.array(wanted)[rng.integers(0, len(wanted), len(mine))]
    return category


def _closest_priced(rng, target, category, catalogue):
    """Product whose price is nearest the (jittered) line target, within the
    line's category or, for category -1, across the catalogue.

    The jitter is log-normal with mean 1 and "nearest" is measured in yuan, so
    the chosen price is unbiased for the target where the catalogue covers it.
    """
    wanted = target * rng.lognormal(-0.045, 0.3, len(target))
    product = np.empty(len(target), dtype=np.int64)
    for cat in range(-1, len(catalogue.categories)):
        lines = np.flatnonzero(category == cat)
        pool = np.arange(len(catalogue)) if cat < 0 else catalogue.in_category(catalogue.categories[cat])
        product[lines] = _nearest(catalogue.price_cents[pool] / 100.0, pool, wanted[lines])
    return product


def _nearest(prices, pool, wanted):
    order = np.argsort(prices, kind="stable")
    sorted_prices, sorted_pool = prices[order], pool[order]
    right = np.clip(np.searchsorted(sorted_prices, wanted), 1, len(order) - 1)
    left = right - 1
    pick_left = (wanted - sorted_prices[left]) < (sorted_prices[right] - wanted)
    # Products sharing a price (colour variants) split the demand between them.
    ties = sorted_prices[left] == sorted_prices[right]
    pick_left = np.where(ties, (np.arange(len(wanted)) % 2) == 0, pick_left)
    return sorted_pool[np.where(pick_left, left, right)]


def _add_partners(rng, order, product, quantity, catalogue, probability):
    """Append the planted partner of each anchor line with `probability`."""
    partner_of = np.full(len(catalogue), -1)
    partner_of[catalogue.pairs[:, 0]] = catalogue.pairs[:, 1]
    partner = partner_of[product]
    add = (partner >= 0) & (rng.random(len(product)) < probability)
    return (np.concatenate([order, order[add]]), np.concatenate([product, partner[add]]),
            np.concatenate([quantity, np.ones(add.sum(), np.int64)]))


def _merged(order, product, quantity, n_products):
    key = order.astype(np.int64) * n_products + product
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=quantity).astype(np.int64)
    return Lines(unique // n_products, unique % n_products, total)
