"""Value tiers and the risk rating: exact scores on hand-made tables, the cuts
and band edges, a generated shop, and Spark parity."""

import math

import pyarrow as pa
import pytest

from guanxi.analytics import tiers
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.features import customer_features
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import ORDERS, RETURNS
from guanxi.analytics.tiers import RiskPolicy
from guanxi.synthetic import generate_shop

FEATURES = customer_features(DuckDBEngine(), ORDERS.empty_table(), RETURNS.empty_table(), 0).schema
VALUES = pa.schema([("customer_id", pa.int64()), ("clv", pa.float64()), ("revenue", pa.float64())])


def values(*rows: tuple) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(VALUES.names, row)) for row in rows], schema=VALUES)


def tiered(engine, table: pa.Table, **shares) -> dict:
    result = tiers.value_tiers(engine, table, **shares)
    assert result.schema == tiers.VALUE_OUTPUT
    return {row["customer_id"]: row for row in result.to_pylist()}


def features(*rows: dict) -> pa.Table:
    zero = {"orders": 0, "revenue": 0.0, "refunds": 0.0, "unpaid_orders": 0, "returned_items": 0}
    return pa.Table.from_pylist([zero | row for row in rows], schema=FEATURES)


def rated(engine, table: pa.Table, complaints: pa.Table | None = None,
          policy: RiskPolicy = tiers.DEFAULT_POLICY) -> dict:
    result = tiers.risk_rating(engine, table, complaints, policy)
    assert result.schema == tiers.RISK_OUTPUT
    return {row["customer_id"]: row for row in result.to_pylist()}


@pytest.fixture(scope="module")
def engine():
    return DuckDBEngine()


def test_the_value_score_is_the_mean_of_the_two_cumulative_ranks(engine):
    result = tiered(engine, values((1, 10.0, 400.0), (2, 40.0, 100.0), (3, 30.0, 300.0), (4, 20.0, 200.0)))
    assert [(result[i]["clv_rank"], result[i]["revenue_rank"], result[i]["value_score"]) for i in (1, 2, 3, 4)] == [
        (0.25, 1.0, 0.625), (1.0, 0.25, 0.625), (0.75, 0.75, 0.75), (0.5, 0.5, 0.5)]
    # of 4: key up to place ceil(0.8) = 1, growth up to ceil(2.0) = 2; customer 1 wins the tie at 0.625 on id
    assert [result[i]["value_tier"] for i in (3, 1, 2, 4)] == ["key", "growth", "standard", "standard"]


def test_ten_customers_split_two_three_five(engine):
    result = tiered(engine, values(*[(i, float(i), 10.0 * i) for i in range(1, 11)]))
    assert [result[i]["value_tier"] for i in range(10, 0, -1)] == ["key"] * 2 + ["growth"] * 3 + ["standard"] * 5
    assert result[10]["value_score"] == 1.0 and result[1]["value_score"] == 0.1


def test_equal_values_share_a_rank_and_the_cut_goes_by_customer_id(engine):
    result = tiered(engine, values((7, 5.0, 50.0), (3, 5.0, 50.0), (5, 5.0, 50.0)))
    assert {row["value_score"] for row in result.values()} == {1.0}
    assert [result[i]["value_tier"] for i in (3, 5, 7)] == ["key", "growth", "standard"]


def test_no_revenue_and_almost_no_clv_is_inactive_and_unranked(engine):
    table = values((1, 0.5, 0.0), (2, 5.0, 0.0), (3, 0.0, 10.0), (4, None, -5.0), (5, None, None), (6, 2.0, 30.0))
    result = tiered(engine, table)
    assert {i: result[i]["value_tier"] for i in result} == {
        1: "inactive", 2: "growth", 3: "standard", 4: "inactive", 5: "inactive", 6: "key"}
    assert (result[1]["clv_rank"], result[1]["revenue_rank"], result[1]["value_score"]) == (None, None, None)
    assert (result[4]["clv"], result[4]["revenue"]) == (0.0, -5.0)  # nulls read as 0
    assert result[2]["clv_rank"] == 1.0 and result[2]["revenue_rank"] == pytest.approx(1 / 3)
    # with the threshold at 0 nobody is inactive: clv < 0 never holds here
    assert "inactive" not in {row["value_tier"] for row in tiered(engine, table, inactive_clv=0.0).values()}


def test_the_shares_are_parameters_and_cut_exactly(engine):
    table = values(*[(i, float(i), float(i)) for i in range(1, 11)])
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; the cut still falls at place 3
    counts = [row["value_tier"] for row in tiered(engine, table, key_share=0.1, growth_share=0.2).values()]
    assert (counts.count("key"), counts.count("growth"), counts.count("standard")) == (1, 2, 7)
    assert {row["value_tier"] for row in tiered(engine, table, key_share=0, growth_share=0).values()} == {"standard"}
    assert {row["value_tier"] for row in tiered(engine, table, key_share=1, growth_share=0).values()} == {"key"}


@pytest.mark.parametrize("shares", [(0.8, 0.3), (-0.1, 0.2), (0.2, -0.1)])
def test_impossible_shares_are_refused(engine, shares):
    with pytest.raises(ValueError):
        tiers.value_tiers(engine, values(), key_share=shares[0], growth_share=shares[1])


def test_a_single_customer_is_key_and_no_customers_give_an_empty_table(engine):
    assert tiered(engine, values((1, 3.0, 30.0)))[1]["value_tier"] == "key"
    assert tiered(engine, values()) == {}


COMPLAINTS = pa.Table.from_pylist(
    [{"customer_id": 2, "complaints": 1}, {"customer_id": 3, "complaints": 4}, {"customer_id": 3, "complaints": 3},
     {"customer_id": 99, "complaints": 5}],
    schema=tiers.COMPLAINTS,
)
RISKY = features(
    {"customer_id": 1, "orders": 4, "revenue": 400.0},
    {"customer_id": 2, "orders": 4, "returned_items": 1, "revenue": 300.0, "refunds": 100.0, "unpaid_orders": 1},
    {"customer_id": 3, "orders": 1, "returned_items": 3, "revenue": 0.0, "refunds": 50.0},
    {"customer_id": 4, "unpaid_orders": 2},
    {"customer_id": 5, "cancelled_orders": 3},
)


def test_each_component_is_a_capped_weighted_share(engine):
    result = rated(engine, RISKY, COMPLAINTS)
    two = result[2]
    assert (two["return_rate"], two["refund_share"], two["unpaid_share"], two["complaints"]) == (0.25, 0.25, 0.2, 1)
    points = (two["return_points"], two["refund_points"], two["unpaid_points"], two["complaint_points"])
    assert points == pytest.approx((17.5, 15.0, 8.0, 5.0))
    assert two["risk_score"] == pytest.approx(45.5) and two["risk_rating"] == "C"
    three = result[3]  # every share past its cap, complaints summed over rows
    assert (three["return_rate"], three["refund_share"], three["complaints"]) == (3.0, 1.0, 7)
    assert three["risk_score"] == pytest.approx(80.0) and three["risk_rating"] == "D"
    assert (result[4]["unpaid_share"], result[4]["risk_score"], result[4]["risk_rating"]) == (1.0, 20.0, "B")


def test_no_orders_and_no_complaints_mean_no_risk(engine):
    for result in (rated(engine, RISKY), rated(engine, RISKY, COMPLAINTS)):
        assert (result[1]["risk_score"], result[1]["risk_rating"]) == (0.0, "A")
        assert (result[5]["return_rate"], result[5]["refund_share"], result[5]["unpaid_share"]) == (0.0, 0.0, 0.0)
        assert (result[5]["risk_score"], result[5]["risk_rating"]) == (0.0, "A")
    assert set(rated(engine, RISKY, COMPLAINTS)) == {1, 2, 3, 4, 5}  # complaints of unknown customers are dropped
    assert rated(engine, RISKY)[2]["complaints"] == 0


def test_a_band_edge_belongs_to_the_worse_rating(engine):
    returns_only = RiskPolicy(return_weight=1.0, refund_weight=0.0, unpaid_weight=0.0, complaint_weight=0.0,
                              return_cap=1.0)
    cases = {1: (11, "A"), 2: (10, "B"), 3: (5, "B"), 4: (4, "C"), 5: (3, "C"), 6: (2, "D")}  # 1 return of n orders
    table = features(*[{"customer_id": i, "orders": n, "returned_items": 1} for i, (n, _) in cases.items()])
    result = rated(engine, table, policy=returns_only)
    assert [result[i]["risk_score"] for i in (2, 4, 6)] == [10.0, 25.0, 50.0]
    assert {i: row["risk_rating"] for i, row in result.items()} == {i: rating for i, (_, rating) in cases.items()}


@pytest.mark.parametrize("policy", [
    {"return_weight": 0.5}, {"complaint_weight": -0.1, "return_weight": 0.6}, {"refund_cap": 0.0},
    {"band_edges": (10.0, 10.0, 50.0)}, {"band_edges": (10.0, 25.0, 150.0)},
])
def test_policies_that_do_not_add_up_are_refused(policy):
    with pytest.raises(ValueError):
        RiskPolicy(**policy)


def test_no_customers_give_an_empty_rating(engine):
    assert rated(engine, features()) == {}


@pytest.fixture(scope="module")
def shop(tmp_path_factory, engine):
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, 20_000, 14, progress=False)
    orders = shop_from_generator(directory)
    as_of = engine.query("SELECT MAX(day) AS d FROM orders", orders=orders.orders).column("d")[0].as_py()
    feats = customer_features(engine, orders.orders, orders.returns, as_of, 365)
    # a stand-in forecast: next year's spend like last year's, with the odd customer whose spend was refunded
    customer_values = engine.query(
        "SELECT customer_id, GREATEST(window_revenue, 0) * 1.5 AS clv, revenue FROM f", f=feats)
    complaints = engine.query(
        "SELECT customer_id, returned_items AS complaints FROM f WHERE returned_items > 1", f=feats)
    return feats, customer_values, complaints


def test_a_generated_shop_has_its_key_accounts_worth_most(engine, shop):
    _, customer_values, _ = shop
    table = tiers.value_tiers(engine, customer_values)
    rows = engine.query(
        "SELECT value_tier, COUNT(*) AS n, AVG(revenue) AS revenue, AVG(clv) AS clv FROM t GROUP BY 1", t=table
    ).to_pylist()
    by_tier = {row["value_tier"]: row for row in rows}
    ranked = sum(row["n"] for tier, row in by_tier.items() if tier != "inactive")
    assert sum(row["n"] for row in rows) == 20_000
    assert by_tier["key"]["n"] == math.ceil(0.2 * ranked)
    assert by_tier["growth"]["n"] == math.ceil(0.5 * ranked) - math.ceil(0.2 * ranked)
    assert by_tier["key"]["revenue"] > by_tier["growth"]["revenue"] > by_tier["standard"]["revenue"]
    assert by_tier["key"]["clv"] > by_tier["growth"]["clv"] > by_tier["standard"]["clv"]


def test_a_generated_shop_rates_mostly_a_with_scores_that_add_up(engine, shop):
    feats, _, complaints = shop
    table = tiers.risk_rating(engine, feats, complaints)
    summary = engine.query(
        "SELECT risk_rating, COUNT(*) AS n, MIN(risk_score) AS low, MAX(risk_score) AS high, "
        "MAX(ABS(return_points + refund_points + unpaid_points + complaint_points - risk_score)) AS off "
        "FROM t GROUP BY 1 ORDER BY 1", t=table,
    ).to_pylist()
    assert [row["risk_rating"] for row in summary] == list(tiers.RATINGS)
    assert sum(row["n"] for row in summary) == 20_000 and summary[0]["n"] > 10_000
    assert all(row["off"] < 1e-9 for row in summary)
    edges = (0.0, *RiskPolicy().band_edges, math.inf)
    assert all(edges[i] <= row["low"] <= row["high"] < edges[i + 1] for i, row in enumerate(summary))
    assert summary[-1]["high"] <= 100.0


@pytest.mark.spark
def test_spark_tiers_and_rates_the_generated_shop_exactly_like_duckdb(engine, spark, shop):
    feats, customer_values, complaints = shop
    assert tiers.value_tiers(spark, customer_values).equals(tiers.value_tiers(engine, customer_values))
    assert tiers.risk_rating(spark, feats, complaints).equals(tiers.risk_rating(engine, feats, complaints))
    assert tiers.risk_rating(spark, RISKY).equals(tiers.risk_rating(engine, RISKY))
