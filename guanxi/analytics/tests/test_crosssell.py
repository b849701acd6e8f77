"""Cross-sell rules and recommendations: exact measures on hand-made baskets,
and the planted co-purchase pairs of a generated shop."""

import json

import pyarrow as pa
import pytest

from guanxi.analytics import crosssell, schema
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.samples import product_ids, shop_from_generator
from guanxi.synthetic import generate_shop

A, B, C, D, E = 1, 2, 3, 4, 5


def orders_and_lines(baskets, status=None, customers=None, days=None):
    """orders + lines from {order_id: [product ids]}; category = product // 10."""
    ids = list(baskets)
    customers = customers or {o: o for o in ids}
    days = days or {o: 100 for o in ids}
    status = status or {}
    orders = pa.table(
        {
            "order_id": ids,
            "customer_id": [customers[o] for o in ids],
            "day": [days[o] for o in ids],
            "amount": [10.0] * len(ids),
            "refunded": [0.0] * len(ids),
            "status": [status.get(o, "fulfilled") for o in ids],
            "currency": ["CNY"] * len(ids),
        }
    ).cast(schema.ORDERS)
    rows = [(o, p) for o in ids for p in baskets[o]]
    lines = pa.table(
        {
            "order_id": [o for o, _ in rows],
            "customer_id": [customers[o] for o, _ in rows],
            "day": [days[o] for o, _ in rows],
            "product_id": [p for _, p in rows],
            "category_id": [None if p is None else p // 10 for _, p in rows],
            "quantity": [1] * len(rows),
            "amount": [5.0] * len(rows),
        }
    ).cast(schema.LINES)
    return orders, lines


def returns_of(rows):
    """returns from [(customer, product)]."""
    return pa.table(
        {
            "order_id": [0] * len(rows),
            "customer_id": [c for c, _ in rows],
            "product_id": [p for _, p in rows],
            "day": [100] * len(rows),
            "amount": [1.0] * len(rows),
        }
    ).cast(schema.RETURNS)


def rules_of(rows):
    """A rules table from [(antecedent, consequent, confidence)], ranked in order."""
    rank = {}
    out = []
    for a, c, confidence in rows:
        rank[a] = rank.get(a, 0) + 1
        out.append({"antecedent": a, "consequent": c, "count": 10, "antecedent_count": 10, "consequent_count": 10,
                    "support": 0.1, "confidence": confidence, "lift": 3.0, "rank": rank[a]})
    return pa.Table.from_pylist(out, schema=crosssell.RULES)


def as_dict(rules):
    return {(r["antecedent"], r["consequent"]): r for r in rules.to_pylist()}


@pytest.fixture
def engine():
    return DuckDBEngine()


def loose(engine, orders, lines, **options):
    settings = {"min_count": 1, "min_confidence": 0.0, "min_lift": 0.0, **options}
    return crosssell.association_rules(engine, lines, orders, **settings)


def test_support_confidence_and_lift_are_exact(engine):
    # Four purchase baskets; the cancelled one and the product-less line do not count.
    orders, lines = orders_and_lines(
        {1: [A, B], 2: [A, B], 3: [A, C], 4: [B, None], 5: [A, C]}, status={5: "cancelled"}
    )
    rules = as_dict(loose(engine, orders, lines))
    ab, ac, ca = rules[(A, B)], rules[(A, C)], rules[(C, A)]
    assert (ab["count"], ab["antecedent_count"], ab["consequent_count"]) == (2, 3, 3)
    assert ab["support"] == pytest.approx(2 / 4)
    assert ab["confidence"] == pytest.approx(2 / 3)
    assert ab["lift"] == pytest.approx((2 / 3) / (3 / 4))
    assert ac["confidence"] == pytest.approx(1 / 3) and ac["lift"] == pytest.approx(4 / 3)
    assert ca["confidence"] == pytest.approx(1.0) and ca["lift"] == pytest.approx(4 / 3)
    assert set(rules) == {(A, B), (B, A), (A, C), (C, A)}


def test_category_level_counts_each_category_once_per_order(engine):
    orders, lines = orders_and_lines({1: [11, 12, 21], 2: [13, 21], 3: [31]})
    rules = as_dict(loose(engine, orders, lines, level="category"))
    assert set(rules) == {(1, 2), (2, 1)}
    assert rules[(1, 2)]["count"] == 2 and rules[(1, 2)]["support"] == pytest.approx(2 / 3)
    assert rules[(1, 2)]["lift"] == pytest.approx(1.5)


def test_thresholds_filter_rules(engine):
    orders, lines = orders_and_lines({1: [A, B], 2: [A, B], 3: [A, C], 4: [B, D], 5: [D]})
    assert set(as_dict(loose(engine, orders, lines, min_count=2))) == {(A, B), (B, A)}
    assert (A, C) not in as_dict(loose(engine, orders, lines, min_confidence=0.5))
    # Lifts: A-C 5/3, A-B 10/9, B-D 5/6.
    assert set(as_dict(loose(engine, orders, lines, min_lift=1.5))) == {(A, C), (C, A)}


def test_top_k_breaks_ties_by_consequent(engine):
    # A goes with B, C, D equally often: the smaller ids win.
    orders, lines = orders_and_lines({1: [A, D], 2: [A, C], 3: [A, B], 4: [E]})
    rules = loose(engine, orders, lines, top_k=2).to_pylist()
    of_a = [(r["consequent"], r["rank"]) for r in rules if r["antecedent"] == A]
    assert of_a == [(B, 1), (C, 2)]


def test_unknown_level_and_empty_input(engine):
    with pytest.raises(ValueError):
        crosssell.association_rules(engine, schema.LINES.empty_table(), schema.ORDERS.empty_table(), level="brand")
    rules = crosssell.association_rules(engine, schema.LINES.empty_table(), schema.ORDERS.empty_table())
    assert rules.num_rows == 0 and rules.schema == crosssell.RULES
    recs = crosssell.recommend(
        engine, schema.LINES.empty_table(), schema.RETURNS.empty_table(), schema.ORDERS.empty_table(), rules
    )
    assert recs.num_rows == 0 and recs.schema == crosssell.RECOMMENDATIONS


def recommend(engine, baskets, rules, returned=(), customers=None, days=None, **options):
    orders, lines = orders_and_lines(baskets, customers=customers, days=days)
    table = crosssell.recommend(engine, lines, returns_of(returned), orders, rules_of(rules), **options)
    return [(r["customer_id"], r["product_id"], r["rank"], r["score"], r["because_product_id"])
            for r in table.sort_by([("customer_id", "ascending"), ("rank", "ascending")]).to_pylist()]


def test_scores_sum_decayed_confidence_and_name_the_strongest_antecedent(engine):
    # Customer 7 bought A 365 days before B; both point at C, only A at D.
    rules = [(A, C, 0.8), (A, D, 0.5), (B, C, 0.3)]
    got = recommend(engine, {1: [A], 2: [B]}, rules, customers={1: 7, 2: 7}, days={1: 0, 2: 365},
                    as_of_day=365, half_life_days=365, favourite_categories=0)
    # C: 0.8 from A halved by a year, plus 0.3 from B; A's 0.4 is the larger pull.
    assert got == [(7, C, 1, pytest.approx(0.8 * 0.5 + 0.3), A), (7, D, 2, pytest.approx(0.5 * 0.5), A)]


def test_bought_and_returned_products_are_never_suggested(engine):
    rules = [(A, B, 0.9), (A, C, 0.8), (A, D, 0.7), (D, E, 0.6)]
    # Customer 1 bought A and D, returned D: D is excluded and does not pull E.
    got = recommend(engine, {1: [A], 2: [D]}, rules, returned=[(1, D)], customers={1: 1, 2: 1},
                    favourite_categories=0, as_of_day=100)
    assert [(p, because) for _, p, _, _, because in got] == [(B, A), (C, A)]


def test_equal_scores_rank_smaller_product_first_and_because_smaller_antecedent(engine):
    rules = [(A, D, 0.5), (A, C, 0.5), (B, C, 0.5), (B, D, 0.5)]
    got = recommend(engine, {1: [A, B]}, rules, favourite_categories=0, as_of_day=100)
    assert [(p, rank, because) for _, p, rank, _, because in got] == [(C, 1, A), (D, 2, A)]


def test_fallback_fills_from_favourite_categories_best_sellers(engine):
    # Category 1: 11 (3 buyers) > 12 (2) > 13 (1); category 2: 21 (2), 22 (1).
    baskets = {1: [11, 12, 21], 2: [11, 12, 21], 3: [11, 13, 22], 4: [11, 22], 5: [11]}
    customers = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
    got = recommend(engine, baskets, [(11, 14, 0.9)], customers=customers, top_n=3, as_of_day=100)
    mine = [(p, rank, score, because) for c, p, rank, score, because in got if c == 5]
    # Rule first, then category 1 best-sellers not owned, then category 2.
    assert mine == [(14, 1, pytest.approx(0.9), 11), (12, 2, 0.0, None), (13, 3, 0.0, None)]
    third = [p for c, p, *_ in got if c == 3]
    assert third == [14, 12, 21]  # favourite 1 (two products there) then favourite 2


def test_top_n_caps_and_every_buyer_is_served(engine):
    rules = [(A, B, 0.9), (A, C, 0.8), (A, D, 0.7)]
    got = recommend(engine, {1: [A], 2: [E]}, rules, top_n=2, as_of_day=100)
    # Customer 2 has no rules: the best-seller of their category they lack.
    assert [(c, p, rank) for c, p, rank, *_ in got] == [(1, B, 1), (1, C, 2), (2, A, 1)]


def test_weak_rules_and_old_purchases_can_be_left_out(engine):
    rules = [(A, B, 0.04), (C, D, 0.5)]
    days = {1: 0, 2: 300}
    common = {"customers": {1: 1, 2: 1}, "days": days, "as_of_day": 300, "favourite_categories": 0}
    assert [p for _, p, *_ in recommend(engine, {1: [A], 2: [C]}, rules, **common)] == [D]
    assert [p for _, p, *_ in recommend(engine, {1: [A], 2: [C]}, rules, min_confidence=0.0, **common)] == [D, B]
    assert [p for _, p, *_ in recommend(engine, {1: [C], 2: [E]}, rules, history_days=100, **common)] == []


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A 20,000-customer shop (seed 7): rules, recommendations and the planted pairs."""
    directory = tmp_path_factory.mktemp("crosssell")
    generate_shop(directory, 20_000, 7, progress=False)
    shop = shop_from_generator(directory)
    ids = product_ids(directory)
    pairs = [(ids[a], ids[b]) for a, b in json.loads((directory / "truth.json").read_text())["co_purchase_pairs"]]
    engine = DuckDBEngine()
    rules = crosssell.association_rules(engine, shop.lines, shop.orders)
    recs = crosssell.recommend(engine, shop.lines, shop.returns, shop.orders, rules)
    return engine, shop, pairs, rules, recs


def test_the_highest_lift_pairs_are_the_planted_ones(generated):
    _, _, pairs, rules, _ = generated
    # Observed 1.0 at k = 10 and k = 20 (all 20 planted pairs lead) for seed 7.
    assert crosssell.planted_pair_precision(rules, pairs, k=10) >= 0.9
    assert crosssell.planted_pair_precision(rules, pairs, k=20) >= 0.9


def test_buyers_of_an_anchor_are_offered_its_partner(generated):
    engine, shop, pairs, _, recs = generated
    customers, share = crosssell.partner_hit_rate(engine, shop.lines, shop.returns, shop.orders, recs, pairs)
    assert customers > 1000 and share >= 0.95  # observed 1,584 customers, 1.0
    reverse = [(b, a) for a, b in pairs]
    customers, share = crosssell.partner_hit_rate(engine, shop.lines, shop.returns, shop.orders, recs, reverse)
    assert customers > 5000 and share >= 0.75  # observed 10,771 customers, 0.835


def test_every_buyer_gets_ten_distinct_new_products(generated):
    engine, shop, _, _, recs = generated
    summary = engine.query(
        """SELECT COUNT(DISTINCT customer_id) AS customers, COUNT(*) AS n,
                  COUNT(DISTINCT customer_id * 1000 + product_id) AS distinct_pairs,
                  MIN(rank) AS low, MAX(rank) AS high FROM recs""",
        recs=recs,
    ).to_pylist()[0]
    assert summary == {"customers": 20_000, "n": 200_000, "distinct_pairs": 200_000, "low": 1, "high": 10}
    clash = engine.query(
        f"""SELECT COUNT(*) AS n FROM recs r
            JOIN lines l ON l.customer_id = r.customer_id AND l.product_id = r.product_id
            JOIN orders o ON o.order_id = l.order_id AND o.status IN {schema.PURCHASE_STATUSES}""",
        recs=recs, lines=shop.lines, orders=shop.orders,
    )
    assert clash.column("n")[0].as_py() == 0
