"""Lifecycle stages: each rule at its boundaries, the gap-scaled windows, a
generated shop, and Spark parity."""

import pyarrow as pa
import pytest

from guanxi.analytics import lifecycle
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.features import customer_features
from guanxi.analytics.lifecycle import LifecycleWindows
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import ORDERS, RETURNS
from guanxi.synthetic import generate_shop

FEATURES = customer_features(DuckDBEngine(), ORDERS.empty_table(), RETURNS.empty_table(), 0).schema
AS_OF = 1000


def customer(customer_id: int, first: int | None, last: int | None = None, previous: int | None = None) -> dict:
    """A feature row from purchase days (last = first for a one-time buyer)."""
    last = first if last is None else last
    days = len({day for day in (first, previous, last) if day is not None})
    recency = None if last is None else AS_OF - last
    return {"customer_id": customer_id, "first_day": first, "last_day": last, "previous_day": previous,
            "purchase_days": days, "recency_days": recency}


def stages(engine, *rows: dict, windows: LifecycleWindows = lifecycle.DEFAULT_WINDOWS) -> dict:
    table = pa.Table.from_pylist(list(rows), schema=FEATURES)
    result = lifecycle.lifecycle_stages(engine, table, AS_OF, windows)
    assert result.schema == lifecycle.OUTPUT
    return {row["customer_id"]: row["lifecycle"] for row in result.to_pylist()}


@pytest.fixture(scope="module")
def engine():
    return DuckDBEngine()


def test_new_is_a_single_first_purchase_within_the_last_30_days(engine):
    assert stages(
        engine,
        customer(1, first=AS_OF),  # today
        customer(2, first=AS_OF - 29),  # the 30th day back, still inside
        customer(3, first=AS_OF - 30),  # outside: an active one-time buyer
        customer(4, first=AS_OF - 20, last=AS_OF - 5, previous=AS_OF - 20),  # bought again
    ) == {1: "new", 2: "new", 3: "active", 4: "active"}


def test_active_at_risk_and_lapsed_follow_the_days_since_the_last_purchase(engine):
    rows = [customer(i, first=AS_OF - recency - 10, last=AS_OF - recency, previous=AS_OF - recency - 10)
            for i, recency in enumerate((0, 89, 90, 179, 180, 900), start=1)]
    assert stages(engine, *rows) == {1: "active", 2: "active", 3: "at_risk", 4: "at_risk", 5: "lapsed", 6: "lapsed"}


def test_won_back_needs_a_gap_longer_than_the_lapsed_window_before_a_recent_purchase(engine):
    last = AS_OF - 10
    assert stages(
        engine,
        customer(1, first=100, last=last, previous=last - 181),  # lapsed the day before: won back
        customer(2, first=100, last=last, previous=last - 180),  # never reached 180 days: active
        customer(3, first=100, last=AS_OF - 89, previous=AS_OF - 89 - 400),  # last day of the active window
        customer(4, first=100, last=AS_OF - 90, previous=AS_OF - 90 - 400),  # past it: at risk again
        customer(5, first=last - 400, last=last, previous=last - 400),  # second purchase ever, a year later
    ) == {1: "won_back", 2: "active", 3: "won_back", 4: "at_risk", 5: "won_back"}


def test_a_customer_who_never_bought_has_no_stage(engine):
    assert stages(engine, customer(1, first=None), customer(2, first=AS_OF - 3)) == {1: None, 2: "new"}


def test_the_windows_are_configurable(engine):
    windows = LifecycleWindows(new_days=7, active_days=30, lapsed_days=60)
    rows = [customer(1, first=AS_OF - 6), customer(2, first=AS_OF - 7), customer(3, first=AS_OF - 30),
            customer(4, first=AS_OF - 59), customer(5, first=AS_OF - 60),
            customer(6, first=1, last=AS_OF - 1, previous=AS_OF - 62)]
    assert stages(engine, *rows, windows=windows) == {
        1: "new", 2: "active", 3: "at_risk", 4: "at_risk", 5: "lapsed", 6: "won_back"}


@pytest.mark.parametrize("days", [(0, 90, 180), (31, 30, 180), (30, 90, 90), (30, 180, 90)])
def test_windows_out_of_order_are_refused(days):
    with pytest.raises(ValueError):
        LifecycleWindows(*days)


def test_the_repurchase_gap_is_the_median_gap_of_repeat_buyers():
    rows = [customer(1, first=10, last=70, previous=10), customer(2, first=5, last=100, previous=80),
            customer(3, first=1, last=50, previous=40), customer(4, first=AS_OF)]
    table = pa.Table.from_pylist(rows, schema=FEATURES)
    assert lifecycle.repurchase_gap(table) == 20.0  # gaps 60, 20, 10; the one-time buyer has none
    assert lifecycle.repurchase_gap(table.slice(3)) is None


def test_windows_scale_with_the_gap():
    assert lifecycle.windows_from_gap(45) == LifecycleWindows(30, 90, 180)
    assert lifecycle.windows_from_gap(7) == LifecycleWindows(14, 14, 28)  # new capped to the active window
    assert lifecycle.windows_from_gap(10, active_factor=1.5, lapsed_factor=3) == LifecycleWindows(15, 15, 30)
    assert lifecycle.windows_from_gap(0.1) == LifecycleWindows(1, 1, 2)


def test_no_customers_give_an_empty_table(engine):
    assert stages(engine) == {}


@pytest.fixture(scope="module")
def shop(tmp_path_factory, engine):
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, 20_000, 12, progress=False)
    orders = shop_from_generator(directory)
    as_of = engine.query("SELECT MAX(day) AS d FROM orders", orders=orders.orders).column("d")[0].as_py()
    feats = customer_features(engine, orders.orders, orders.returns, as_of, 365)
    return as_of, feats, lifecycle.lifecycle_stages(engine, feats, as_of)


def test_a_generated_shop_gives_every_buyer_one_stage_by_the_rules(engine, shop):
    as_of, feats, table = shop
    assert table.column("customer_id").equals(feats.column("customer_id"))
    rows = engine.query(
        "SELECT lifecycle, COUNT(*) AS n, MIN(f.recency_days) AS newest, MAX(f.recency_days) AS oldest, "
        f"MAX(f.purchase_days) AS most_days, MIN({as_of} - f.first_day) AS youngest, "
        "MIN(f.last_day - f.previous_day) AS shortest_gap "
        "FROM t JOIN f USING (customer_id) GROUP BY 1", t=table, f=feats,
    ).to_pylist()
    by_stage = {row["lifecycle"]: row for row in rows}
    assert set(by_stage) == set(lifecycle.STAGES)
    assert sum(row["n"] for row in rows) == feats.num_rows == 20_000
    assert by_stage["new"]["most_days"] == 1 and by_stage["new"]["oldest"] < 30
    assert by_stage["won_back"]["oldest"] < 90 and by_stage["won_back"]["shortest_gap"] > 180
    assert by_stage["active"]["oldest"] < 90 and by_stage["active"]["youngest"] >= 0
    assert by_stage["at_risk"]["newest"] >= 90
    assert by_stage["at_risk"]["oldest"] < 180 <= by_stage["lapsed"]["newest"]


@pytest.mark.spark
def test_spark_stages_the_generated_shop_exactly_like_duckdb(spark, shop):
    as_of, feats, _ = shop
    for windows in (LifecycleWindows(), lifecycle.windows_from_gap(lifecycle.repurchase_gap(feats))):
        on_spark = lifecycle.lifecycle_stages(spark, feats, as_of, windows)
        assert on_spark.schema == lifecycle.OUTPUT
        assert on_spark.equals(lifecycle.lifecycle_stages(DuckDBEngine(), feats, as_of, windows))
