"""Browsing and cart events: the clicks around orders, and the carts left behind.

Three kinds of sessions:
- purchase sessions, for orders placed on the web, in the app or in WeChat:
  product views (the ordered products first), one add_to_cart per line, then
  checkout_started, all in the minutes before the order;
- abandoned carts: views, add_to_cart and sometimes checkout_started with no
  order by that customer in the following `abandonment_days` (checked, so a
  cart-abandonment flow has a clean truth to find);
- browse-only sessions: product views and nothing else.
"""

from dataclasses import dataclass, fields

import numpy as np

from guanxi.synthetic.geography import CHANNELS

EVENT_TYPES = np.array(["view", "add_to_cart", "checkout_started"])
VIEW, ADD_TO_CART, CHECKOUT = range(3)
TRACKED_CHANNELS = [CHANNELS.index(c) for c in ("web", "app", "wechat")]


@dataclass
class Events:
    kind: np.ndarray
    customer: np.ndarray
    epoch: np.ndarray
    product: np.ndarray  # -1: no product (checkout)
    session: np.ndarray  # session number within the chunk

    def __len__(self):
        return len(self.kind)

    def taken(self, index):
        return Events(*(getattr(self, f.name)[index] for f in fields(self)))


def draw_events(rng, orders, lines, order_epoch, buyers, people, catalogue, window, params):
    """All events of a chunk sorted by session and time; and the abandoned-cart count."""
    bought = _purchase_sessions(rng, orders, lines, order_epoch, catalogue, window.start_epoch)
    visits = _visits(rng, orders, buyers, window, params)
    carts, carts_abandoned = _abandoned_carts(rng, visits, orders, people, catalogue, window, params)
    browsing = _browsing(rng, visits, people, catalogue, window)
    parts = [bought, carts, browsing]
    offset = 0
    for part in parts:
        part.session = part.session + offset
        offset = part.session.max(initial=offset - 1) + 1
    merged = Events(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Events)))
    return merged.taken(np.lexsort((merged.kind, merged.epoch, merged.session))), carts_abandoned


def _purchase_sessions(rng, orders, lines, order_epoch, catalogue, start_epoch):
    tracked = np.flatnonzero(np.isin(orders.channel, TRACKED_CHANNELS))
    end = order_epoch[tracked]
    begin = np.maximum(end - rng.integers(8 * 60, 90 * 60, len(tracked)), start_epoch)
    length = end - begin
    first_line = np.searchsorted(lines.order, tracked)
    line_count = np.searchsorted(lines.order, tracked, side="right") - first_line
    # Views: the ordered products first, then perhaps a look at something else.
    session, step = _expand(1 + rng.poisson(1.0, len(tracked)))
    own = step < line_count[session]
    product = _random_products(rng, len(session), catalogue)
    product[own] = lines.product[first_line[session[own]] + step[own]]
    view_at = begin[session] + (0.5 * rng.random(len(session)) * length[session]).astype(np.int64)
    cart, cart_step = _expand(line_count)
    cart_at = begin[cart] + ((0.5 + 0.4 * rng.random(len(cart))) * length[cart]).astype(np.int64)
    return _assemble(orders.customer[tracked], [
        (VIEW, session, view_at, product),
        (ADD_TO_CART, cart, cart_at, lines.product[first_line[cart] + cart_step]),
        (CHECKOUT, np.arange(len(tracked)), end - (0.05 * length).astype(np.int64), np.full(len(tracked), -1))])


def _visits(rng, orders, buyers, window, params):
    """Customers and start times of sessions without an order, in each customer's
    active period (first purchase until two months after dropping out)."""
    placed = np.bincount(orders.customer, minlength=len(buyers.birth))
    rate = params.abandoned_carts_per_order + params.browse_sessions_per_order
    customer = np.repeat(np.arange(len(placed)), rng.poisson(rate * placed))
    birth = buyers.birth[customer]
    until = np.minimum(buyers.leaves[customer] + 60, window.days)
    day = birth + rng.random(len(customer)) * (until - birth)
    is_cart = rng.random(len(customer)) < params.abandoned_carts_per_order / rate
    return customer, day, is_cart


def _abandoned_carts(rng, visits, orders, people, catalogue, window, params):
    customer, day, is_cart = visits
    keep = is_cart & ~_order_follows(orders, customer, day, params.abandonment_days)
    customer, day = customer[keep], day[keep]
    begin = window.start_epoch + (day * 86400).astype(np.int64)
    session, step = _expand(1 + rng.poisson(1.0, len(customer)))
    product = _favoured_products(rng, customer[session], people, catalogue)
    view_at = begin[session] + step * 60 + rng.integers(0, 60, len(session))
    # The first one or two products viewed go into the cart, after the views.
    to_cart = step < np.where(rng.random(len(customer)) < 0.3, 2, 1)[session]
    cart_at = view_at + 300 + rng.integers(0, 600, len(session))
    checkout = np.flatnonzero(rng.random(len(customer)) < 0.25)
    checkout_at = begin[checkout] + 1800 + rng.integers(0, 600, len(checkout))
    events = _assemble(customer, [
        (VIEW, session, view_at, product), (ADD_TO_CART, session[to_cart], cart_at[to_cart], product[to_cart]),
        (CHECKOUT, checkout, checkout_at, np.full(len(checkout), -1))])
    return events, len(customer)


def _browsing(rng, visits, people, catalogue, window):
    customer, day, is_cart = visits
    customer, day = customer[~is_cart], day[~is_cart]
    begin = window.start_epoch + (day * 86400).astype(np.int64)
    session, step = _expand(1 + rng.poisson(1.5, len(customer)))
    product = _favoured_products(rng, customer[session], people, catalogue)
    view_at = begin[session] + step * 90 + rng.integers(0, 90, len(session))
    return _assemble(customer, [(VIEW, session, view_at, product)])


def _order_follows(orders, customer, day, within_days):
    """Whether the customer ordered within `within_days` after `day`.

    Orders are sorted by customer then day, so one binary search on a combined
    key finds each visit's next order.
    """
    stride = float(np.ceil(orders.day.max(initial=0.0)) + within_days + 1)
    keys = orders.customer * stride + orders.day
    nxt = np.searchsorted(keys, customer * stride + day)
    found = nxt < len(keys)
    nxt = np.minimum(nxt, len(keys) - 1)
    return found & (orders.customer[nxt] == customer) & (orders.day[nxt] - day < within_days)


def _expand(counts):
    """For sessions with `counts` items: (session of each item, item's step 0..k-1)."""
    session = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return session, np.arange(len(session)) - starts[session]


def _random_products(rng, n, catalogue):
    return rng.integers(0, len(catalogue), n)


def _favoured_products(rng, customer, people, catalogue):
    """Half the time a product of the customer's favourite category, else any."""
    product = _random_products(rng, len(customer), catalogue)
    category = people.favourites[customer, 0]
    first = np.searchsorted(catalogue.category, category)
    size = np.searchsorted(catalogue.category, category, side="right") - first
    favoured = first + (rng.random(len(customer)) * size).astype(np.int64)
    return np.where(rng.random(len(customer)) < 0.5, favoured, product)


def _assemble(session_customer, parts):
    """Events from (kind, session, epoch, product) parts; sessions index `session_customer`."""
    kind = np.concatenate([np.full(len(s), k, np.int8) for k, s, _, _ in parts])
    session = np.concatenate([s for _, s, _, _ in parts]).astype(np.int64)
    epoch = np.concatenate([e for _, _, e, _ in parts]).astype(np.int64)
    product = np.concatenate([p for _, _, _, p in parts]).astype(np.int64)
    return Events(kind, session_customer[session], epoch, product, session)
