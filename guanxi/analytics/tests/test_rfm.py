"""RFM scores and segments: the quintile rules on hand-made feature rows, the
segment table on all 125 score triples, a generated shop, and Spark parity."""

import itertools

import pyarrow as pa
import pytest

from guanxi.analytics import rfm
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.features import customer_features
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import ORDERS, RETURNS
from guanxi.synthetic import generate_shop

FEATURES = customer_features(DuckDBEngine(), ORDERS.empty_table(), RETURNS.empty_table(), 0).schema

# The rule table of docs/analytics/rfm.md, written out by hand: R -> segment for F+M = 2..10.
EXPECTED_GRID = {
    5: ["new"] * 2 + ["potential_loyalist"] * 2 + ["loyal"] * 2 + ["champions"] * 3,
    4: ["promising"] * 2 + ["potential_loyalist"] * 2 + ["loyal"] * 2 + ["champions"] * 3,
    3: ["about_to_sleep"] * 2 + ["need_attention"] * 2 + ["loyal"] * 5,
    2: ["hibernating"] * 4 + ["at_risk"] * 5,
    1: ["lost"] * 2 + ["hibernating"] * 2 + ["at_risk"] * 2 + ["cant_lose"] * 3,
}


def features(*rows: dict) -> pa.Table:
    """Feature rows with nulls and zeros for what a test leaves out."""
    blank = {name: None for name in FEATURES.names} | {"window_orders": 0, "window_revenue": 0.0}
    return pa.Table.from_pylist([blank | row for row in rows], schema=FEATURES)


def buyer(customer_id: int, recency: int, orders: int = 0, revenue: float = 0.0) -> dict:
    return {"customer_id": customer_id, "recency_days": recency, "window_orders": orders, "window_revenue": revenue}


def scores(table: pa.Table) -> dict:
    """customer_id -> (r, f, m)."""
    rows = table.to_pylist()
    return {row["customer_id"]: (row["r_score"], row["f_score"], row["m_score"]) for row in rows}


@pytest.fixture(scope="module")
def engine():
    return DuckDBEngine()


def test_segment_rules_cover_each_of_the_125_triples_exactly_once():
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                matches = [
                    rule for rule in rfm.SEGMENT_RULES if rule[1] <= r <= rule[2] and rule[3] <= f + m <= rule[4]
                ]
                assert len(matches) == 1, (r, f, m, matches)


def test_segment_sql_names_all_125_triples_as_documented(engine):
    triples = [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)]
    table = pa.table({name: [t[i] for t in triples] for i, name in enumerate("rfm")})
    named = engine.query(f"SELECT r, f, m, {rfm.segment_case_sql('r', 'f', 'm')} AS s FROM t ORDER BY r, f, m", t=table)
    assert named.num_rows == 125
    for row in named.to_pylist():
        expected = EXPECTED_GRID[row["r"]][row["f"] + row["m"] - 2]
        assert row["s"] == expected == rfm.segment_of(row["r"], row["f"], row["m"]), row
    assert set(named.column("s").to_pylist()) == set(rfm.SEGMENTS)


def test_every_segment_has_an_english_name():
    assert rfm.SEGMENTS == tuple(rfm.SEGMENT_NAMES)
    assert {rule[0] for rule in rfm.SEGMENT_RULES} == set(rfm.SEGMENTS)
    assert rfm.SEGMENT_NAMES["cant_lose"] == "Can't lose them"
    with pytest.raises(ValueError):
        rfm.segment_of(0, 1, 1)


def test_ten_distinct_customers_fill_the_quintiles_two_by_two(engine):
    # customer i: bought i days ago, 11 - i orders, revenue 100 * (11 - i): customer 1 is best at everything
    rows = [buyer(i, recency=i, orders=11 - i, revenue=100.0 * (11 - i)) for i in range(1, 11)]
    result = scores(rfm.score_rfm(engine, features(*rows)))
    assert [result[i] for i in range(1, 11)] == [(s, s, s) for s in (5, 5, 4, 4, 3, 3, 2, 2, 1, 1)]


def test_monetary_and_frequency_rank_independently_of_recency(engine):
    # the most recent buyer spends least and orders least
    rows = [buyer(i, recency=i, orders=i, revenue=10.0 * i) for i in range(1, 6)]
    result = scores(rfm.score_rfm(engine, features(*rows)))
    assert [result[i] for i in range(1, 6)] == [(5, 1, 1), (4, 2, 2), (3, 3, 3), (2, 4, 4), (1, 5, 5)]


def test_ties_go_to_the_smaller_customer_id(engine):
    rows = [buyer(i, recency=7, orders=2, revenue=50.0) for i in (40, 10, 30, 20, 50)]
    result = scores(rfm.score_rfm(engine, features(*rows)))
    assert result == {10: (5, 5, 5), 20: (4, 4, 4), 30: (3, 3, 3), 40: (2, 2, 2), 50: (1, 1, 1)}


def test_the_rows_left_over_go_to_the_best_quintiles(engine):
    rows = [buyer(i, recency=i, orders=8 - i, revenue=float(8 - i)) for i in range(1, 8)]
    result = scores(rfm.score_rfm(engine, features(*rows)))
    assert [result[i][0] for i in range(1, 8)] == [5, 5, 4, 4, 3, 2, 1]


def test_no_purchase_in_the_window_scores_lowest_f_and_m_without_moving_the_buyers(engine):
    buyers = [buyer(i, recency=i, orders=6 - i, revenue=10.0 * (6 - i)) for i in range(1, 6)]
    idle = [buyer(i, recency=400 + i) for i in range(6, 9)]
    result = scores(rfm.score_rfm(engine, features(*buyers, *idle)))
    assert [result[i][1:] for i in range(1, 6)] == [(5, 5), (4, 4), (3, 3), (2, 2), (1, 1)]
    assert [result[i][1:] for i in range(6, 9)] == [(1, 1)] * 3
    # recency still ranks all eight who ever bought
    assert [result[i][0] for i in range(1, 9)] == [5, 5, 4, 4, 3, 3, 2, 1]


def test_negative_window_revenue_ranks_below_every_spender(engine):
    rows = [buyer(1, 5, 1, -20.0), buyer(2, 5, 1, 0.0), buyer(3, 5, 1, 1.0), buyer(4, 5, 1, 2.0), buyer(5, 5, 1, 3.0)]
    result = scores(rfm.score_rfm(engine, features(*rows)))
    assert [result[i][2] for i in range(1, 6)] == [1, 2, 3, 4, 5]


def test_a_customer_who_never_bought_is_lost_and_takes_no_quintile(engine):
    never = {"customer_id": 1, "orders": 0, "unpaid_orders": 2}
    rows = [never] + [buyer(i, recency=i, orders=1, revenue=10.0) for i in range(2, 7)]
    table = rfm.score_rfm(engine, features(*rows))
    result = {row["customer_id"]: row for row in table.to_pylist()}
    assert [result[1][name] for name in rfm.OUTPUT.names[1:]] == [1, 1, 1, "lost"]
    assert [result[i]["r_score"] for i in range(2, 7)] == [5, 4, 3, 2, 1]


def test_a_single_recent_customer_is_a_champion(engine):
    table = rfm.score_rfm(engine, features(buyer(9, recency=3, orders=2, revenue=80.0)))
    assert table.to_pylist() == [
        {"customer_id": 9, "r_score": 5, "f_score": 5, "m_score": 5, "rfm_segment": "champions"}
    ]


def test_a_single_customer_without_window_purchases_is_new_by_recency_only(engine):
    # Alone, the customer has the best recency there is; nothing bought in the window
    table = rfm.score_rfm(engine, features(buyer(9, recency=500)))
    assert scores(table) == {9: (5, 1, 1)} and table.column("rfm_segment").to_pylist() == ["new"]


def test_no_customers_give_an_empty_table_of_the_output_schema(engine):
    table = rfm.score_rfm(engine, features())
    assert table.num_rows == 0 and table.schema == rfm.OUTPUT


@pytest.fixture(scope="module")
def shop_scores(tmp_path_factory, engine):
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, 20_000, 11, progress=False)
    shop = shop_from_generator(directory)
    as_of = engine.query("SELECT MAX(day) AS d FROM orders", orders=shop.orders).column("d")[0].as_py()
    feats = customer_features(engine, shop.orders, shop.returns, as_of, 365)
    return feats, rfm.score_rfm(engine, feats)


def test_a_generated_shop_puts_every_customer_in_one_segment(engine, shop_scores):
    feats, table = shop_scores
    assert table.num_rows == feats.num_rows == 20_000
    assert table.column("customer_id").equals(feats.column("customer_id"))
    rows = engine.query("SELECT rfm_segment, COUNT(*) AS n FROM t GROUP BY 1", t=table).to_pylist()
    counts = {row["rfm_segment"]: row["n"] for row in rows}
    assert sum(counts.values()) == 20_000 and None not in counts
    assert set(counts) <= set(rfm.SEGMENTS) and len(counts) >= 8


def test_a_generated_shop_has_its_champions_spending_most(engine, shop_scores):
    feats, table = shop_scores
    means = engine.query(
        "SELECT rfm_segment, AVG(f.revenue) AS revenue, AVG(f.recency_days) AS recency "
        "FROM t JOIN f USING (customer_id) GROUP BY 1 ORDER BY 2 DESC",
        t=table, f=feats,
    ).to_pylist()
    assert means[0]["rfm_segment"] == "champions"
    by_segment = {row["rfm_segment"]: row for row in means}
    assert by_segment["champions"]["recency"] < by_segment["lost"]["recency"]


def test_a_generated_shop_scores_window_buyers_in_even_quintiles(engine, shop_scores):
    feats, table = shop_scores
    sizes = engine.query(
        "SELECT f_score, COUNT(*) AS n FROM t JOIN f USING (customer_id) WHERE f.window_orders > 0 "
        "GROUP BY 1 ORDER BY 1", t=table, f=feats,
    ).column("n").to_pylist()
    assert len(sizes) == 5 and max(sizes) - min(sizes) <= 1
    recency = engine.query(
        "SELECT r_score, MAX(f.recency_days) AS oldest, MIN(f.recency_days) AS newest "
        "FROM t JOIN f USING (customer_id) GROUP BY 1 ORDER BY 1 DESC", t=table, f=feats,
    ).to_pylist()
    # the quintiles do not overlap: every 5 bought at least as recently as every 4, and so on
    assert all(better["oldest"] <= worse["newest"] for better, worse in itertools.pairwise(recency))


@pytest.mark.spark
def test_spark_scores_the_generated_shop_exactly_like_duckdb(engine, spark, shop_scores):
    feats, table = shop_scores
    on_spark = rfm.score_rfm(spark, feats)
    assert on_spark.schema == rfm.OUTPUT
    assert on_spark.equals(table)
