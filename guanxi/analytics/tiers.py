"""Key-account value tiers and a credit/risk rating per customer.

Value tiers answer "whom does an account manager call first": a value score
mixes what a customer has brought (historical revenue) with what they are
expected to bring (predicted CLV), so a big spender who is leaving and a new
customer with a bright forecast both rank high. The risk rating answers "whom
do we give payment on account, free returns, a discount": returns, refunds,
complaints and unpaid orders, each a capped share, weighted into 0-100 and
banded A (low risk) to D. Formulas, weights and edges: docs/analytics/tiers.md.

Both are plain SQL over Arrow tables in the dialect DuckDB and Spark share.
"""

from dataclasses import dataclass

import pyarrow as pa

TIER_NAMES = {"key": "Key account", "growth": "Growth", "standard": "Standard", "inactive": "Inactive"}
TIERS = tuple(TIER_NAMES)
RATINGS = ("A", "B", "C", "D")

VALUE_OUTPUT = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("clv", pa.float64()),
        ("revenue", pa.float64()),
        ("clv_rank", pa.float64()),
        ("revenue_rank", pa.float64()),
        ("value_score", pa.float64()),
        ("value_tier", pa.string()),
    ]
)
RISK_OUTPUT = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("return_rate", pa.float64()),
        ("refund_share", pa.float64()),
        ("unpaid_share", pa.float64()),
        ("complaints", pa.int64()),
        ("return_points", pa.float64()),
        ("refund_points", pa.float64()),
        ("unpaid_points", pa.float64()),
        ("complaint_points", pa.float64()),
        ("risk_score", pa.float64()),
        ("risk_rating", pa.string()),
    ]
)
COMPLAINTS = pa.schema([("customer_id", pa.int64()), ("complaints", pa.int64())])

_PPM = 1_000_000  # shares become parts per million so the tier cut is integer arithmetic


def _double(value: float) -> str:
    """A DOUBLE literal both engines read alike (a bare 0.35 is a DECIMAL)."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def value_tiers_sql(key_share: float = 0.2, growth_share: float = 0.3, inactive_clv: float = 1.0) -> str:
    """Tiers over `customer_values` (customer_id, clv, revenue); nulls count as 0.

    Inactive: revenue <= 0 and clv < inactive_clv; not ranked (null scores).
    The others: clv_rank and revenue_rank are CUME_DIST (the share of ranked
    customers with a value at or below theirs, ties sharing the higher share),
    value_score their mean. Sorted by value_score descending, ties by ascending
    customer_id, place p of n ranked customers is `key` while p <= ceil(key_share * n),
    `growth` while p <= ceil((key_share + growth_share) * n), else `standard`.
    """
    if not (0 <= key_share and 0 <= growth_share and key_share + growth_share <= 1):
        raise ValueError(f"tier shares must be >= 0 and add up to at most 1: {key_share}, {growth_share}")
    key_ppm = round(key_share * _PPM)
    growth_ppm = key_ppm + round(growth_share * _PPM)
    return f"""
        WITH v AS (
            SELECT customer_id, CAST(COALESCE(clv, 0) AS DOUBLE) AS clv,
                   CAST(COALESCE(revenue, 0) AS DOUBLE) AS revenue
            FROM customer_values
        ),
        ranked AS (
            SELECT customer_id, clv, revenue,
                   CUME_DIST() OVER (ORDER BY clv) AS clv_rank,
                   CUME_DIST() OVER (ORDER BY revenue) AS revenue_rank
            FROM v WHERE NOT (revenue <= 0 AND clv < {_double(inactive_clv)})
        ),
        placed AS (
            SELECT customer_id, clv, revenue, clv_rank, revenue_rank,
                   (clv_rank + revenue_rank) / 2 AS value_score,
                   CAST(ROW_NUMBER() OVER (ORDER BY (clv_rank + revenue_rank) / 2 DESC, customer_id) AS BIGINT)
                       AS place,
                   CAST(COUNT(*) OVER () AS BIGINT) AS ranked_customers
            FROM ranked
        )
        SELECT customer_id, clv, revenue, clv_rank, revenue_rank, value_score,
               CASE WHEN (place - 1) * {_PPM} < {key_ppm} * ranked_customers THEN 'key'
                    WHEN (place - 1) * {_PPM} < {growth_ppm} * ranked_customers THEN 'growth'
                    ELSE 'standard' END AS value_tier
        FROM placed
        UNION ALL
        SELECT customer_id, clv, revenue, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), 'inactive'
        FROM v WHERE revenue <= 0 AND clv < {_double(inactive_clv)}
    """


def value_tiers(engine, customer_values: pa.Table, key_share: float = 0.2, growth_share: float = 0.3,
                inactive_clv: float = 1.0) -> pa.Table:
    """Value score and tier per customer of `customer_values` (customer_id, clv,
    revenue), by customer_id; columns as VALUE_OUTPUT."""
    sql = value_tiers_sql(key_share, growth_share, inactive_clv) + " ORDER BY customer_id"
    return engine.query(sql, customer_values=customer_values).cast(VALUE_OUTPUT)


@dataclass(frozen=True)
class RiskPolicy:
    """Weights (adding up to 1), caps (the share or count that earns a component's
    full weight) and the lowest score of ratings B, C and D."""

    return_weight: float = 0.35
    return_cap: float = 0.5
    refund_weight: float = 0.30
    refund_cap: float = 0.5
    unpaid_weight: float = 0.20
    unpaid_cap: float = 0.5
    complaint_weight: float = 0.15
    complaint_cap: float = 3.0
    band_edges: tuple = (10.0, 25.0, 50.0)

    def __post_init__(self):
        weights = (self.return_weight, self.refund_weight, self.unpaid_weight, self.complaint_weight)
        if min(weights) < 0 or abs(sum(weights) - 1) > 1e-9:
            raise ValueError(f"risk weights must be >= 0 and add up to 1: {weights}")
        if min(self.return_cap, self.refund_cap, self.unpaid_cap, self.complaint_cap) <= 0:
            raise ValueError("risk caps must be positive")
        b, c, d = self.band_edges
        if not 0 < b < c < d <= 100:
            raise ValueError(f"risk band edges must rise within (0, 100]: {self.band_edges}")


DEFAULT_POLICY = RiskPolicy()


def _points(share: str, weight: float, cap: float) -> str:
    """100 * weight * min(share / cap, 1): the component's part of the score."""
    scaled = f"{share} / {_double(cap)}"
    return f"{_double(100 * weight)} * CASE WHEN {scaled} > 1 THEN {_double(1)} ELSE {scaled} END"


def risk_sql(policy: RiskPolicy = DEFAULT_POLICY, relation: str = "features") -> str:
    """The risk components, score and rating of every row of `relation` (a
    `customer_features` table), complaints from `complaints` (customer_id, complaints)."""
    b, c, d = policy.band_edges
    return f"""
        WITH c AS (
            SELECT customer_id, CAST(SUM(complaints) AS BIGINT) AS complaints FROM complaints GROUP BY customer_id
        ),
        shares AS (
            SELECT f.customer_id,
                   CASE WHEN f.orders > 0 THEN CAST(f.returned_items AS DOUBLE) / f.orders ELSE {_double(0)} END
                       AS return_rate,
                   CASE WHEN f.revenue + f.refunds > 0 THEN f.refunds / (f.revenue + f.refunds) ELSE {_double(0)} END
                       AS refund_share,
                   CASE WHEN f.orders + f.unpaid_orders > 0
                        THEN CAST(f.unpaid_orders AS DOUBLE) / (f.orders + f.unpaid_orders) ELSE {_double(0)} END
                       AS unpaid_share,
                   COALESCE(c.complaints, 0) AS complaints
            FROM {relation} f LEFT JOIN c ON c.customer_id = f.customer_id
        ),
        points AS (
            SELECT customer_id, return_rate, refund_share, unpaid_share, complaints,
                   {_points("return_rate", policy.return_weight, policy.return_cap)} AS return_points,
                   {_points("refund_share", policy.refund_weight, policy.refund_cap)} AS refund_points,
                   {_points("unpaid_share", policy.unpaid_weight, policy.unpaid_cap)} AS unpaid_points,
                   {_points("CAST(complaints AS DOUBLE)", policy.complaint_weight, policy.complaint_cap)}
                       AS complaint_points
            FROM shares
        ),
        scored AS (
            SELECT *, return_points + refund_points + unpaid_points + complaint_points AS risk_score FROM points
        )
        SELECT *,
               CASE WHEN risk_score < {_double(b)} THEN 'A' WHEN risk_score < {_double(c)} THEN 'B'
                    WHEN risk_score < {_double(d)} THEN 'C' ELSE 'D' END AS risk_rating
        FROM scored
    """


def risk_rating(engine, features: pa.Table, complaints: pa.Table | None = None,
                policy: RiskPolicy = DEFAULT_POLICY) -> pa.Table:
    """Risk components, score (0-100) and rating A-D per customer of `features`
    (a `customer_features` table), by customer_id; columns as RISK_OUTPUT.
    `complaints` (customer_id, complaints) may be None or miss customers: 0."""
    if complaints is None:
        complaints = COMPLAINTS.empty_table()
    sql = risk_sql(policy) + " ORDER BY customer_id"
    return engine.query(sql, features=features, complaints=complaints).cast(RISK_OUTPUT)
