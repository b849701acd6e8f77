"""Yearly gift occasions and the seasonal gift buyers who shop before them.

A gift buyer cares about some occasions (Mother's Day, Spring Festival, Double 11,
Christmas) and, in each year while still a customer, places an extra order 1-3
weeks before each of them. These orders sit on top of the BG/NBD process: the
truth file and `truth_customers` mark who is a gift buyer so that an analysis of
the stationary process can leave them out, and an occasion detector can be
checked against them.
"""

from datetime import date, timedelta

import numpy as np

# Spring Festival (Chinese New Year's Day), 2020-2030.
SPRING_FESTIVAL = {
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22),
    2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}

OCCASIONS = ("mothers_day", "spring_festival", "double_11", "christmas")

# What people buy for each occasion.
GIFT_CATEGORIES = {
    "mothers_day": ("gifts", "skincare", "makeup", "fashion"),
    "spring_festival": ("tea", "snacks", "gifts"),
    "double_11": ("electronics", "fashion", "home", "kitchen"),
    "christmas": ("gifts", "books", "electronics", "snacks"),
}


def occasion_date(occasion, year):
    if occasion == "mothers_day":
        may_first = date(year, 5, 1)
        # Second Sunday of May.
        return may_first + timedelta(days=(6 - may_first.weekday()) % 7 + 7)
    if occasion == "spring_festival":
        return SPRING_FESTIVAL.get(year)
    if occasion == "double_11":
        return date(year, 11, 11)
    return date(year, 12, 25)


def calendar(window):
    """(occasion number, day offset from the window start) of every occasion whose
    whole buying window (1-3 weeks before) falls inside the observation window."""
    rows = []
    for year in range(window.start.year, window.end.year + 2):
        for number, occasion in enumerate(OCCASIONS):
            day = occasion_date(occasion, year)
            if day is None:
                continue
            offset = (day - window.start).days
            if offset - 21 >= 0 and offset - 7 < window.days:
                rows.append((number, offset))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def dates_by_occasion(window):
    found = {name: [] for name in OCCASIONS}
    for number, offset in calendar(window):
        found[OCCASIONS[number]].append((window.start + timedelta(days=int(offset))).isoformat())
    return found


def draw_gift_buyers(rng, n, seasons):
    """Who buys gifts, and for which occasions: bool (n,) and bool (n, occasions)."""
    buyer = rng.random(n) < seasons.gift_buyer_share
    cares = rng.random((n, len(OCCASIONS))) < seasons.occasion_share
    # Every gift buyer cares about at least one occasion.
    fallback = rng.integers(0, len(OCCASIONS), n)
    none = ~cares.any(axis=1)
    cares[np.flatnonzero(none), fallback[none]] = True
    return buyer, cares & buyer[:, None]


def gift_orders(rng, cares, birth, leaves, window, seasons):
    """Extra orders (customer, day, occasion number) of the gift buyers.

    `leaves` is the day a customer drops out (inf while still active); a gift
    order is placed only between the first purchase and that day.
    """
    cal = calendar(window)
    if not len(cal):
        return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    customer, slot = np.nonzero(cares[:, cal[:, 0]])
    low, high = seasons.days_before
    day = cal[slot, 1] - rng.uniform(low, high, len(slot))
    buys = rng.random(len(slot)) < seasons.purchase_probability
    keep = buys & (day > birth[customer]) & (day < np.minimum(leaves[customer], window.days))
    return customer[keep], day[keep], cal[slot[keep], 0]
