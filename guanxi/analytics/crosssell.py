"""Cross-sell: which products (or categories) are bought together, and what to
suggest to each customer next.

Everything is set-based SQL run by the engine (DuckDB's dialect: ARG_MAX over
a struct key), so it scales to millions of orders: a basket is one order with a
purchase status (`schema.PURCHASE_STATUSES`), pairs come from a self-join of
the baskets, and the per-customer candidates are bounded (the best rules of
each purchased product) so the join grows with purchase lines, not with
customers x catalogue. See docs/analytics/crosssell.md.

Measures of a rule "antecedent -> consequent" over N baskets:
support = n(A and B) / N, confidence = n(A and B) / n(A),
lift = confidence / (n(B) / N). Lift is symmetric, confidence is not.
"""

import pyarrow as pa

from guanxi.analytics.schema import PURCHASE_STATUSES

LEVELS = {"product": "product_id", "category": "category_id"}
# A product rule must at least double the consequent's odds to beat a best-seller
# suggestion; categories are broad, so any positive association counts.
DEFAULT_MIN_LIFT = {"product": 2.0, "category": 1.0}

_PURCHASE = "o.status IN ({})".format(", ".join(f"'{s}'" for s in PURCHASE_STATUSES))

RULES = pa.schema(
    [
        ("antecedent", pa.int64()),
        ("consequent", pa.int64()),
        ("count", pa.int64()),
        ("antecedent_count", pa.int64()),
        ("consequent_count", pa.int64()),
        ("support", pa.float64()),
        ("confidence", pa.float64()),
        ("lift", pa.float64()),
        ("rank", pa.int32()),
    ]
)

RECOMMENDATIONS = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("product_id", pa.int64()),
        ("rank", pa.int32()),
        ("score", pa.float64()),
        ("because_product_id", pa.int64()),
    ]
)


def _day_filter(alias: str, as_of_day: int | None) -> str:
    return "" if as_of_day is None else f" AND {alias}.day <= {int(as_of_day)}"


def baskets_sql(level: str = "product", as_of_day: int | None = None) -> str:
    """One row per purchase order and distinct item in it: order_id, item.

    Lines without a product (or category) are left out: they cannot be
    recommended, and an order made only of them is no basket.
    """
    column = LEVELS[level]
    return f"""
        SELECT DISTINCT l.order_id, l.{column} AS item
        FROM lines l
        WHERE l.{column} IS NOT NULL{_day_filter("l", as_of_day)}
          AND l.order_id IN (SELECT o.order_id FROM orders o WHERE {_PURCHASE})
    """


def rules_sql(level, min_count, min_confidence, min_lift, top_k, as_of_day=None) -> str:
    """Rules ranked within each antecedent by confidence (then lift, then the
    smaller consequent id, so ties always break the same way); the top `top_k`
    are kept. Confidence ranks what a buyer of A most often also takes; the lift
    floor drops pairs that are merely both popular.

    Pairs are counted once per unordered pair (x < y) and then read both ways:
    half the join of counting each direction."""
    return f"""
        WITH b AS ({baskets_sql(level, as_of_day)}),
        n AS (SELECT CAST(COUNT(DISTINCT order_id) AS DOUBLE) AS baskets FROM b),
        item AS (SELECT item, COUNT(*) AS orders FROM b GROUP BY item),
        together AS (
            SELECT x.item AS low, y.item AS high, COUNT(*) AS count
            FROM b x JOIN b y ON x.order_id = y.order_id AND x.item < y.item
            GROUP BY x.item, y.item
            HAVING COUNT(*) >= {int(min_count)}
        ),
        pair AS (
            SELECT low AS antecedent, high AS consequent, count FROM together
            UNION ALL
            SELECT high AS antecedent, low AS consequent, count FROM together
        ),
        measured AS (
            SELECT p.antecedent, p.consequent, p.count,
                   a.orders AS antecedent_count, c.orders AS consequent_count,
                   p.count / n.baskets AS support,
                   CAST(p.count AS DOUBLE) / a.orders AS confidence,
                   p.count * n.baskets / (CAST(a.orders AS DOUBLE) * c.orders) AS lift
            FROM pair p
            JOIN item a ON a.item = p.antecedent
            JOIN item c ON c.item = p.consequent
            CROSS JOIN n
        ),
        ranked AS (
            SELECT *, ROW_NUMBER() OVER (
                PARTITION BY antecedent ORDER BY confidence DESC, lift DESC, consequent
            ) AS rank
            FROM measured
            WHERE confidence >= {float(min_confidence)} AND lift >= {float(min_lift)}
        )
        SELECT antecedent, consequent, count, antecedent_count, consequent_count,
               support, confidence, lift, rank
        FROM ranked WHERE rank <= {int(top_k)}
        ORDER BY antecedent, rank
    """


def association_rules(
    engine,
    lines: pa.Table,
    orders: pa.Table,
    level: str = "product",
    *,
    min_count: int = 10,
    min_confidence: float = 0.01,
    min_lift: float | None = None,
    top_k: int = 10,
    as_of_day: int | None = None,
) -> pa.Table:
    """Ordered pairs (antecedent, consequent) of products or categories bought in
    the same order; columns as `RULES`, sorted by antecedent and rank.

    `min_count` keeps a rule only when the pair was seen in that many baskets
    (below it lift is noise); `min_lift` defaults to `DEFAULT_MIN_LIFT` of the
    level; `top_k` keeps the best consequents per antecedent; `as_of_day`
    ignores later lines (backtests)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {sorted(LEVELS)}, not {level!r}")
    min_lift = DEFAULT_MIN_LIFT[level] if min_lift is None else min_lift
    sql = rules_sql(level, min_count, min_confidence, min_lift, top_k, as_of_day)
    return engine.query(sql, lines=lines, orders=orders).cast(RULES)


def _purchased_sql(as_of_day) -> str:
    """Purchase lines naming a product: customer_id, product_id, category_id, day.

    Lines, not distinct products: grouping ten million lines by customer and
    product costs more than carrying the few repeats along."""
    return f"""
        SELECT l.customer_id, l.product_id, l.category_id, l.day
        FROM lines l
        WHERE l.product_id IS NOT NULL{_day_filter("l", as_of_day)}
          AND l.order_id IN (SELECT o.order_id FROM orders o WHERE {_PURCHASE})
    """


def recommend_sql(
    top_n, as_of_day, half_life_days, history_days, rules_per_product, favourite_categories, min_confidence=0.0
) -> str:
    """Rule recommendations first, then best-sellers of favourite categories.

    score(customer, p) = sum over the customer's purchases of a product a of
    confidence(a -> p) * 0.5 ** (days since that purchase / half-life): the
    chance-like pull of what they bought, growing with repeat purchases and
    fading as purchases age.
    """
    as_of = "(SELECT MAX(day) FROM bought)" if as_of_day is None else str(int(as_of_day))
    since = "" if history_days is None else f" AND b.day > {as_of} - {int(history_days)}"
    return f"""
        WITH bought AS ({_purchased_sql(as_of_day)}),
        returned AS (
            SELECT DISTINCT customer_id, product_id FROM returns
            WHERE product_id IS NOT NULL{_day_filter("returns", as_of_day)}
        ),
        owned AS (
            SELECT customer_id, product_id FROM bought
            UNION ALL
            SELECT customer_id, product_id FROM returned
        ),
        pull AS (
            SELECT b.customer_id, r.consequent AS product_id, r.antecedent,
                   r.confidence * POWER(0.5, ({as_of} - b.day) / {float(half_life_days)}) AS weight
            FROM bought b
            JOIN rules r ON r.antecedent = b.product_id AND r.rank <= {int(rules_per_product)}
                AND r.confidence >= {float(min_confidence)}
            LEFT JOIN returned x ON x.customer_id = b.customer_id AND x.product_id = b.product_id
            WHERE x.product_id IS NULL{since}
        ),
        scored AS (
            SELECT p.customer_id, p.product_id, SUM(p.weight) AS score,
                   ARG_MAX(p.antecedent, (p.weight, -p.antecedent)) AS because_product_id
            FROM pull p
            LEFT JOIN owned o ON o.customer_id = p.customer_id AND o.product_id = p.product_id
            WHERE o.product_id IS NULL
            GROUP BY p.customer_id, p.product_id
        ),
        by_rules AS (
            SELECT * FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY score DESC, product_id) AS rank
                FROM scored
            ) WHERE rank <= {int(top_n)}
        ),
        {_fallback_sql(top_n, favourite_categories)}
        SELECT customer_id, product_id, rank, score, because_product_id FROM by_rules
        UNION ALL
        SELECT customer_id, product_id, rank, 0.0 AS score, CAST(NULL AS BIGINT) AS because_product_id FROM filled
    """


def _fallback_sql(top_n, favourite_categories) -> str:
    """CTEs ending in `filled`: the slots rules left empty, taken from the
    best-sellers (most purchase lines) of the customer's favourite categories
    (most purchase lines there, then the latest purchase), in that order.

    Only customers short of `top_n` are expanded; each favourite category only
    down to the slots to fill plus what could be excluded there (lines bought
    in that category, returns, rule picks), and a later favourite only when the
    earlier ones surely cannot fill the slots (`room_before`), so the expansion
    stays close to the rows it yields."""
    return f"""
        got AS (SELECT customer_id, COUNT(*) AS n FROM by_rules GROUP BY customer_id),
        returned_n AS (SELECT customer_id, COUNT(*) AS n FROM returned GROUP BY customer_id),
        sellers AS (
            SELECT category_id, product_id, ROW_NUMBER() OVER (
                PARTITION BY category_id ORDER BY COUNT(*) DESC, product_id
            ) AS seller_rank
            FROM bought WHERE category_id IS NOT NULL GROUP BY category_id, product_id
        ),
        taste AS (
            SELECT customer_id, category_id, COUNT(*) AS bought_here, ROW_NUMBER() OVER (
                PARTITION BY customer_id ORDER BY COUNT(*) DESC, MAX(day) DESC, category_id
            ) AS favourite_rank
            FROM bought WHERE category_id IS NOT NULL
            GROUP BY customer_id, category_id
        ),
        room AS (SELECT category_id, COUNT(*) AS size FROM sellers GROUP BY category_id),
        favourite AS (
            SELECT t.customer_id, t.category_id, t.favourite_rank, COALESCE(g.n, 0) AS got,
                   {int(top_n)} + t.bought_here + COALESCE(r.n, 0) AS depth,
                   COALESCE(SUM(m.size - t.bought_here) OVER (
                       PARTITION BY t.customer_id ORDER BY t.favourite_rank
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ), 0) - COALESCE(r.n, 0) AS room_before
            FROM taste t
            JOIN room m ON m.category_id = t.category_id
            LEFT JOIN got g ON g.customer_id = t.customer_id
            LEFT JOIN returned_n r ON r.customer_id = t.customer_id
            WHERE t.favourite_rank <= {int(favourite_categories)} AND COALESCE(g.n, 0) < {int(top_n)}
        ),
        offered AS (
            SELECT f.customer_id, s.product_id, f.got, f.favourite_rank, s.seller_rank
            FROM favourite f
            JOIN sellers s ON s.category_id = f.category_id AND s.seller_rank <= f.depth
                AND f.room_before < {int(top_n)}
            LEFT JOIN owned o ON o.customer_id = f.customer_id AND o.product_id = s.product_id
            LEFT JOIN by_rules r ON r.customer_id = f.customer_id AND r.product_id = s.product_id
            WHERE o.product_id IS NULL AND r.product_id IS NULL
        ),
        filled AS (
            SELECT * FROM (
                SELECT customer_id, product_id, got + ROW_NUMBER() OVER (
                    PARTITION BY customer_id ORDER BY favourite_rank, seller_rank
                ) AS rank
                FROM offered
            ) WHERE rank <= {int(top_n)}
        )
    """


def recommend(
    engine,
    lines: pa.Table,
    returns: pa.Table,
    orders: pa.Table,
    rules: pa.Table,
    top_n: int = 10,
    *,
    as_of_day: int | None = None,
    half_life_days: float = 365.0,
    history_days: int | None = None,
    rules_per_product: int = 10,
    min_confidence: float = 0.05,
    favourite_categories: int = 2,
) -> pa.Table:
    """Up to `top_n` products for every customer with a purchase; columns as
    `RECOMMENDATIONS`, in no particular order (sort by customer_id, rank).

    `rules` are product-level rules from `association_rules`. Products the
    customer bought or returned are never suggested, and returned products do
    not count as antecedents. Each purchase line (of the last `history_days`
    days, or all) brings its product's `rules_per_product` best rules of at
    least `min_confidence`, so the candidates are at most lines x
    rules_per_product; a weaker rule is no better a suggestion than a
    best-seller of the customer's favourite category, and far more numerous.
    `as_of_day` (default: the last purchase day) is when recency is measured;
    later lines and returns are ignored. Rows with a null
    `because_product_id` are fallbacks (score 0).
    """
    sql = recommend_sql(
        top_n, as_of_day, half_life_days, history_days, rules_per_product, favourite_categories, min_confidence
    )
    rules = rules.select(["antecedent", "consequent", "confidence", "rank"])
    table = engine.query(sql, lines=lines, returns=returns, orders=orders, rules=rules)
    return table.cast(RECOMMENDATIONS)


def planted_pair_precision(rules: pa.Table, pairs, k: int = 10) -> float:
    """Share of the `k` highest-lift product pairs that are known pairs.

    Lift is symmetric, so each unordered pair is counted once (ties: more
    baskets first, then ids); `pairs` are (anchor, partner) product ids and
    match in either direction. Used against the generator's planted pairs."""
    known = {frozenset(pair) for pair in pairs}
    ranked = sorted(rules.to_pylist(), key=lambda r: (-r["lift"], -r["count"], r["antecedent"], r["consequent"]))
    top = list(dict.fromkeys(frozenset((r["antecedent"], r["consequent"])) for r in ranked))[:k]
    return sum(pair in known for pair in top) / len(top) if top else 0.0


def partner_hit_rate(engine, lines, returns, orders, recommendations, pairs) -> tuple:
    """(customers, share): customers who bought an anchor but neither bought nor
    returned its partner (nor returned the anchor), and the share of them whose
    recommendations hold the partner. `pairs` are (anchor, partner) ids."""
    known = pa.table({"anchor": [a for a, _ in pairs], "partner": [b for _, b in pairs]}).cast(
        pa.schema([("anchor", pa.int64()), ("partner", pa.int64())])
    )
    sql = f"""
        WITH bought AS (SELECT DISTINCT customer_id, product_id FROM ({_purchased_sql(None)})),
        returned AS (SELECT DISTINCT customer_id, product_id FROM returns),
        owned AS (SELECT customer_id, product_id FROM bought UNION SELECT customer_id, product_id FROM returned),
        eligible AS (
            SELECT DISTINCT b.customer_id, k.partner
            FROM bought b JOIN known k ON k.anchor = b.product_id
            LEFT JOIN owned o ON o.customer_id = b.customer_id AND o.product_id = k.partner
            LEFT JOIN returned r ON r.customer_id = b.customer_id AND r.product_id = k.anchor
            WHERE o.product_id IS NULL AND r.product_id IS NULL
        )
        SELECT COUNT(*) AS customers, AVG(CASE WHEN s.product_id IS NULL THEN 0.0 ELSE 1.0 END) AS share
        FROM eligible e
        LEFT JOIN recommendations s ON s.customer_id = e.customer_id AND s.product_id = e.partner
    """
    tables = {"lines": lines, "returns": returns, "orders": orders, "recommendations": recommendations, "known": known}
    row = engine.query(sql, **tables).to_pylist()[0]
    return row["customers"], row["share"] or 0.0
