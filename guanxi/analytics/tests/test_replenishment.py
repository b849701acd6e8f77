"""Repurchase intervals per category, which are replenishable, and who is due."""

from datetime import date

import pyarrow as pa
import pytest

from guanxi.analytics import replenishment, schema
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import day_number
from guanxi.synthetic import generate_shop

# customer -> category -> purchase days. Category 1 is restocked about monthly,
# category 2 bought at odd moments.
PURCHASES = {
    1: {1: [0, 30, 30, 60, 95], 2: [0, 5, 100]},
    2: {1: [10, 40, 72], 2: [0, 50, 60]},
    3: {1: [5, 35]},
    4: {1: [50], None: [20, 70]},
}
LOOSE = {"min_repeat_customers": 2, "min_measured_customers": 2}


def tables(purchases, cancelled=(), first_order=1):
    """orders (one per purchase) and lines from {customer: {category: [days]}}."""
    rows = [(c, cat, d) for c, cats in purchases.items() for cat, days in cats.items() for d in days]
    ids = list(range(first_order, first_order + len(rows)))
    orders = pa.table(
        {
            "order_id": ids,
            "customer_id": [c for c, _, _ in rows],
            "day": [d for _, _, d in rows],
            "amount": [10.0] * len(rows),
            "refunded": [0.0] * len(rows),
            "status": ["cancelled" if (c, cat, d) in cancelled else "paid" for c, cat, d in rows],
            "currency": ["CNY"] * len(rows),
        }
    ).cast(schema.ORDERS)
    lines = pa.table(
        {
            "order_id": ids,
            "customer_id": [c for c, _, _ in rows],
            "day": [d for _, _, d in rows],
            "product_id": [100 + (cat or 0) for _, cat, _ in rows],
            "category_id": [cat for _, cat, _ in rows],
            "quantity": [1] * len(rows),
            "amount": [10.0] * len(rows),
        }
    ).cast(schema.LINES)
    return orders, lines


@pytest.fixture
def engine():
    return DuckDBEngine()


def test_intervals_and_the_regularity_rule(engine):
    orders, lines = tables({**PURCHASES, 5: {1: [45]}}, cancelled={(5, 1, 45)})
    table = replenishment.repurchase_intervals(engine, lines, orders, **LOOSE)
    assert table.schema == replenishment.INTERVALS
    monthly, odd = table.to_pylist()
    # Gaps 30, 30, 35 | 30, 32 | 30 (the same-day order counts once; the
    # cancelled one not at all): median 30.
    assert monthly["category_id"] == 1 and monthly["buyers"] == 4 and monthly["repeat_customers"] == 3
    assert (monthly["intervals"], monthly["median_interval_days"], monthly["measured_customers"]) == (6, 30.0, 2)
    assert monthly["median_cv"] == pytest.approx((_cv([30, 30, 35]) + _cv([30, 32])) / 2)
    assert monthly["replenishable"]
    assert odd["median_cv"] == pytest.approx((_cv([5, 95]) + _cv([50, 10])) / 2)
    assert odd["median_interval_days"] == pytest.approx(30.0)  # 5, 95, 50, 10
    assert not odd["replenishable"]


def _cv(gaps):
    mean = sum(gaps) / len(gaps)
    return (sum((g - mean) ** 2 for g in gaps) / (len(gaps) - 1)) ** 0.5 / mean


def test_default_thresholds_want_more_customers(engine):
    orders, lines = tables(PURCHASES)
    assert not any(replenishment.repurchase_intervals(engine, lines, orders).column("replenishable").to_pylist())


def due(engine, purchases=PURCHASES, as_of=100, **options):
    orders, lines = tables(purchases)
    table = replenishment.replenishment_due(engine, lines, orders, as_of, **{**LOOSE, **options})
    assert table.schema == replenishment.DUE
    return [(r["customer_id"], r["category_id"], r["last_day"], r["interval_days"], r["due_day"]) for r in table.to_pylist()]


def test_due_days_use_the_customers_own_rhythm_when_they_have_one(engine):
    # Own median with two or more intervals, else the category's 30 days.
    assert due(engine, horizon_days=None, lapse_intervals=None) == [
        (1, 1, 95, 30.0, 125),
        (2, 1, 72, 31.0, 103),
        (3, 1, 35, 30.0, 65),
        (4, 1, 50, 30.0, 80),
    ]


def test_horizon_and_lapse_filters(engine):
    assert [r[0] for r in due(engine, horizon_days=10, lapse_intervals=None)] == [2, 3, 4]
    assert [r[0] for r in due(engine, horizon_days=None, lapse_intervals=1.0)] == [1, 2]
    assert [r[0] for r in due(engine)] == [1, 2, 3, 4]


def test_as_of_ignores_later_purchases(engine):
    # By day 60 customer 1 has gaps 30, 30; customer 2 one gap (30, 32 later),
    # so only one customer's spread is measured yet.
    assert due(engine, as_of=60, horizon_days=None, lapse_intervals=None) == []
    assert due(engine, as_of=60, horizon_days=None, lapse_intervals=None, min_measured_customers=1)[:2] == [
        (1, 1, 60, 30.0, 90),
        (2, 1, 40, 30.0, 70),
    ]


def test_empty_input(engine):
    empty_lines, empty_orders = schema.LINES.empty_table(), schema.ORDERS.empty_table()
    assert replenishment.repurchase_intervals(engine, empty_lines, empty_orders).num_rows == 0
    assert replenishment.replenishment_due(engine, empty_lines, empty_orders, 100).num_rows == 0


def restocks(first, gaps):
    days = [first]
    for gap in gaps:
        days.append(days[-1] + gap)
    return days


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("replenishment")
    generate_shop(directory, 20_000, 7, progress=False)
    return shop_from_generator(directory)


def test_generated_shop_has_no_rhythm_until_one_is_planted(generated, engine):
    as_of = day_number(date(2026, 10, 31))
    table = replenishment.repurchase_intervals(engine, generated.lines, generated.orders)
    # The generator buys at random moments (BG/NBD): spreads near 0.8, nothing regular.
    assert table.num_rows == 12 and not any(table.column("replenishable").to_pylist())
    assert all(0.6 < cv < 1.0 for cv in table.column("median_cv").to_pylist())
    assert replenishment.replenishment_due(engine, generated.lines, generated.orders, as_of).num_rows == 0

    # Plant 200 households restocking category 99 every 28-30 days over the last year.
    planted = {c: {99: restocks(as_of - 365, [28 + (c + k) % 3 for k in range(12)])} for c in range(1, 201)}
    orders, lines = tables(planted, first_order=10_000_000)
    orders = pa.concat_tables([generated.orders, orders])
    lines = pa.concat_tables([generated.lines, lines])
    table = replenishment.repurchase_intervals(engine, lines, orders).to_pylist()
    regular = [row for row in table if row["replenishable"]]
    assert [row["category_id"] for row in regular] == [99] and regular[0]["median_interval_days"] == 29.0
    rows = replenishment.replenishment_due(engine, lines, orders, as_of, lapse_intervals=None).to_pylist()
    assert {r["category_id"] for r in rows} == {99} and len(rows) == 200
    assert all(r["due_day"] == r["last_day"] + round(r["interval_days"]) for r in rows)


def test_known_intervals_are_reused(engine):
    orders, lines = tables(PURCHASES)
    intervals = replenishment.repurchase_intervals(engine, lines, orders, 100, **LOOSE)
    given = replenishment.replenishment_due(engine, lines, orders, 100, intervals=intervals)
    assert given.equals(replenishment.replenishment_due(engine, lines, orders, 100, **LOOSE))
    assert given.num_rows == 4
