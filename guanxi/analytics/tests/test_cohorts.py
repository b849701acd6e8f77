"""Monthly acquisition cohorts: exact grids of a hand-made shop, the storage
shape, a generated shop, and Spark parity."""

import json
from datetime import date

import pyarrow as pa
import pytest

from guanxi.analytics import cohorts
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import ORDERS, PURCHASE_STATUSES, day_number
from guanxi.synthetic import generate_shop


def order(customer_id: int, when: date, amount: float, status: str = "paid", refunded: float = 0.0) -> dict:
    return {"order_id": 0, "customer_id": customer_id, "day": day_number(when), "amount": amount,
            "refunded": refunded, "status": status}


ORDERS_2025 = pa.Table.from_pylist(
    [
        order(1, date(2025, 1, 15), 100.0),
        order(1, date(2025, 1, 20), 50.0, "fulfilled"),
        order(1, date(2025, 3, 2), 80.0, "refunded", refunded=80.0),  # bought, then got it all back
        order(2, date(2025, 2, 1), 200.0, "partially_refunded", refunded=20.0),
        order(2, date(2025, 2, 28), 999.0, "pending"),
        order(2, date(2025, 4, 10), 500.0, "cancelled"),
        order(3, date(2024, 12, 31), 70.0, "pending"),  # unpaid: customer 3 is won in January
        order(3, date(2025, 1, 31), 19.99),
        order(3, date(2025, 1, 31), 0.01),
        order(4, date(2025, 2, 2), 300.0, "cancelled"),  # never bought: in no cohort
        order(5, date(2025, 5, 1), 10.0),
    ],
    schema=ORDERS,
)


def grid(table: pa.Table) -> list[tuple]:
    assert table.schema == cohorts.OUTPUT
    return [tuple(row.values()) for row in table.to_pylist()]


@pytest.fixture(scope="module")
def engine():
    return DuckDBEngine()


def test_months_count_from_january_1970():
    days = pa.array([0, -1, day_number(date(2024, 2, 29)), day_number(date(2024, 3, 1))], pa.int32())
    assert cohorts.month_numbers(days).to_pylist() == [0, -1, 649, 650]
    assert [cohorts.month_label(m) for m in (0, -1, 649, 659)] == ["1970-01", "1969-12", "2024-02", "2024-12"]


def test_a_small_shop_gives_the_exact_grid_up_to_its_latest_purchase(engine):
    assert grid(cohorts.monthly_cohorts(engine, ORDERS_2025)) == [
        ("2025-01", 0, 2, 2, 1.0, 170.0),
        ("2025-01", 1, 2, 0, 0.0, 0.0),
        ("2025-01", 2, 2, 1, 0.5, 0.0),  # the refunded order still makes customer 1 active
        ("2025-01", 3, 2, 0, 0.0, 0.0),
        ("2025-01", 4, 2, 0, 0.0, 0.0),
        ("2025-02", 0, 1, 1, 1.0, 180.0),
        ("2025-02", 1, 1, 0, 0.0, 0.0),
        ("2025-02", 2, 1, 0, 0.0, 0.0),  # the cancelled April order is no purchase
        ("2025-02", 3, 1, 0, 0.0, 0.0),
        ("2025-05", 0, 1, 1, 1.0, 10.0),
    ]


def test_as_of_drops_later_orders_and_runs_the_periods_to_its_month(engine):
    until_april = cohorts.monthly_cohorts(engine, ORDERS_2025, as_of_day=day_number(date(2025, 4, 30)))
    assert [(c, p) for c, p, *_ in grid(until_april)] == [
        ("2025-01", 0), ("2025-01", 1), ("2025-01", 2), ("2025-01", 3), ("2025-02", 0), ("2025-02", 1), ("2025-02", 2)]
    until_june = grid(cohorts.monthly_cohorts(engine, ORDERS_2025, as_of_day=day_number(date(2025, 6, 15))))
    assert len(until_june) == 6 + 5 + 2 and until_june[-1] == ("2025-05", 1, 1, 0, 0.0, 0.0)


def test_the_first_purchase_day_counts_not_the_first_order(engine):
    one_customer = ORDERS_2025.filter(pa.compute.equal(ORDERS_2025.column("customer_id"), 3))
    assert grid(cohorts.monthly_cohorts(engine, one_customer)) == [("2025-01", 0, 1, 1, 1.0, 20.0)]


def test_no_purchases_give_an_empty_table(engine):
    assert cohorts.monthly_cohorts(engine, ORDERS.empty_table()).num_rows == 0
    only_unpaid = ORDERS_2025.filter(pa.compute.is_in(ORDERS_2025.column("status"), pa.array(["pending", "cancelled"])))
    table = cohorts.monthly_cohorts(engine, only_unpaid)
    assert table.num_rows == 0 and table.schema == cohorts.OUTPUT
    assert cohorts.cohorts_for_storage(table) == {"periods": 0, "cohorts": []}


def test_storage_nests_periods_in_lists_per_cohort(engine):
    stored = cohorts.cohorts_for_storage(cohorts.monthly_cohorts(engine, ORDERS_2025))
    assert stored == {
        "periods": 5,
        "cohorts": [
            {"cohort": "2025-01", "customers": 2, "active": [2, 0, 1, 0, 0],
             "retention": [1.0, 0.0, 0.5, 0.0, 0.0], "revenue": [170.0, 0.0, 0.0, 0.0, 0.0]},
            {"cohort": "2025-02", "customers": 1, "active": [1, 0, 0, 0],
             "retention": [1.0, 0.0, 0.0, 0.0], "revenue": [180.0, 0.0, 0.0, 0.0]},
            {"cohort": "2025-05", "customers": 1, "active": [1], "retention": [1.0], "revenue": [10.0]},
        ],
    }
    assert json.loads(json.dumps(stored)) == stored


def test_storage_rounds_retention_and_money():
    table = pa.Table.from_pylist(
        [{"cohort": "2025-01", "period": 0, "customers": 3, "active": 1, "retention": 1 / 3, "revenue": 10.126}],
        schema=cohorts.OUTPUT,
    )
    entry = cohorts.cohorts_for_storage(table)["cohorts"][0]
    assert (entry["retention"], entry["revenue"]) == ([0.3333], [10.13])


@pytest.fixture(scope="module")
def shop(tmp_path_factory, engine):
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, 20_000, 13, progress=False)
    orders = shop_from_generator(directory).orders
    return orders, cohorts.monthly_cohorts(engine, orders)


def test_a_generated_shop_accounts_for_every_buyer_and_every_cent(engine, shop):
    orders, table = shop
    statuses = ", ".join(f"'{s}'" for s in PURCHASE_STATUSES)
    truth = engine.query(
        f"SELECT COUNT(DISTINCT customer_id) AS buyers, SUM(amount - refunded) AS revenue, "
        f"COUNT(*) AS orders FROM orders WHERE status IN ({statuses})", orders=orders,
    ).to_pylist()[0]
    totals = engine.query(
        "SELECT SUM(CASE WHEN period = 0 THEN customers ELSE 0 END) AS buyers, SUM(revenue) AS revenue, "
        "COUNT(DISTINCT cohort) AS cohorts, MAX(period) AS last_period, "
        "MIN(CASE WHEN period = 0 THEN retention END) AS first_retention, MAX(active - customers) AS excess "
        "FROM t", t=table,
    ).to_pylist()[0]
    assert totals["buyers"] == truth["buyers"] == 20_000
    assert totals["revenue"] == pytest.approx(truth["revenue"], abs=0.005 * truth["orders"])
    assert totals["first_retention"] == 1.0 and totals["excess"] == 0  # period 0: all active, never more
    # a triangle: cohort k of n has n - k periods
    assert table.num_rows == totals["cohorts"] * (totals["cohorts"] + 1) // 2
    assert totals["last_period"] == totals["cohorts"] - 1


@pytest.mark.spark
def test_spark_builds_the_same_cohorts_to_the_cent(spark, shop):
    orders, table = shop
    assert cohorts.monthly_cohorts(spark, orders).equals(table)
    small = cohorts.monthly_cohorts(DuckDBEngine(), ORDERS_2025)
    assert cohorts.monthly_cohorts(spark, ORDERS_2025).equals(small)
