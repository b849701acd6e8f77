"""RFM scores and segments: who buys recently, often and much, relative to the rest.

Recency (`recency_days`), frequency (`window_orders`) and monetary value
(`window_revenue`, net of refunds) come from `features.customer_features`, whose
`window_days` sets the look-back window. Each becomes a quintile score 1-5
(5 = best) with NTILE(5), and the pair (R, F+M) picks one named segment from
`SEGMENT_RULES`. The SQL is plain enough to run unchanged on DuckDB and Spark.

Scoring, precisely (docs/analytics/rfm.md):
- R ranks the customers who ever bought, F and M the customers who bought in
  the window; the others get 1, so "bought nothing" is always the lowest score;
- the ranked customers are sorted best first (recency ascending, orders and
  revenue descending), equal values in ascending customer_id, so the smaller id
  wins a tie; NTILE(5) deals that list into five groups whose sizes differ by at
  most one, the extra rows going to the best groups; score = 6 - group.
"""

import pyarrow as pa

# (segment, lowest R, highest R, lowest F+M, highest F+M); the rectangles tile
# the 5 x 9 grid of R (1-5) and F+M (2-10) exactly once (tests check all 125).
SEGMENT_RULES = (
    ("champions", 4, 5, 8, 10),
    ("loyal", 4, 5, 6, 7),
    ("loyal", 3, 3, 6, 10),
    ("potential_loyalist", 4, 5, 4, 5),
    ("new", 5, 5, 2, 3),
    ("promising", 4, 4, 2, 3),
    ("need_attention", 3, 3, 4, 5),
    ("about_to_sleep", 3, 3, 2, 3),
    ("at_risk", 2, 2, 6, 10),
    ("at_risk", 1, 1, 6, 7),
    ("cant_lose", 1, 1, 8, 10),
    ("hibernating", 2, 2, 2, 5),
    ("hibernating", 1, 1, 4, 5),
    ("lost", 1, 1, 2, 3),
)

# Best to worst, the order the UI lists them in.
SEGMENT_NAMES = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalist": "Potential loyalist",
    "new": "New",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose": "Can't lose them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}
SEGMENTS = tuple(SEGMENT_NAMES)

OUTPUT = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("r_score", pa.int64()),
        ("f_score", pa.int64()),
        ("m_score", pa.int64()),
        ("rfm_segment", pa.string()),
    ]
)


def segment_of(r: int, f: int, m: int) -> str:
    """The segment of one score triple, from the same rules as the SQL (for callers
    that hold scores already, e.g. a what-if in the UI)."""
    for segment, r_low, r_high, fm_low, fm_high in SEGMENT_RULES:
        if r_low <= r <= r_high and fm_low <= f + m <= fm_high:
            return segment
    raise ValueError(f"RFM scores out of range: {r}, {f}, {m}")


def segment_case_sql(r: str = "r_score", f: str = "f_score", m: str = "m_score") -> str:
    """A CASE expression naming the segment of the score columns `r`, `f`, `m`."""
    whens = "\n".join(
        f"            WHEN {r} BETWEEN {r_low} AND {r_high} AND {f} + {m} BETWEEN {fm_low} AND {fm_high}"
        f" THEN '{segment}'"
        for segment, r_low, r_high, fm_low, fm_high in SEGMENT_RULES
    )
    return f"CASE\n{whens}\n        END"


def _quintile(order_by: str, among: str) -> str:
    """Score 5 for the best fifth of `order_by` (best first), 1 for the worst,
    ranked among the rows with the same value of `among`."""
    return f"6 - NTILE(5) OVER (PARTITION BY {among} ORDER BY {order_by}, customer_id)"


def scores_sql(relation: str = "features") -> str:
    """customer_id, r_score, f_score, m_score for every row of `relation`.

    R ranks the customers who ever bought, F and M those who bought in the
    window: the partitions keep non-buyers, who get 1 anyway, from taking up
    the low quintiles (a third of a shop's customers may not have bought in a
    year, and would otherwise push every buyer to 3 or more).
    """
    bought = "CASE WHEN recency_days IS NULL THEN 0 ELSE 1 END"
    bought_in_window = "CASE WHEN COALESCE(window_orders, 0) > 0 THEN 1 ELSE 0 END"
    return f"""
        SELECT customer_id,
               CAST(CASE WHEN recency_days IS NULL THEN 1
                         ELSE {_quintile("recency_days", bought)} END AS BIGINT) AS r_score,
               CAST(CASE WHEN COALESCE(window_orders, 0) = 0 THEN 1
                         ELSE {_quintile("window_orders DESC", bought_in_window)} END AS BIGINT) AS f_score,
               CAST(CASE WHEN COALESCE(window_orders, 0) = 0 THEN 1
                         ELSE {_quintile("window_revenue DESC", bought_in_window)} END AS BIGINT) AS m_score
        FROM {relation}
    """


def rfm_sql(relation: str = "features") -> str:
    """The RFM scores and segment of every customer in `relation` (a
    `customer_features` table): customer_id, r_score, f_score, m_score, rfm_segment."""
    return f"""
        SELECT customer_id, r_score, f_score, m_score,
               {segment_case_sql()} AS rfm_segment
        FROM ({scores_sql(relation)}) scores
    """


def score_rfm(engine, features: pa.Table) -> pa.Table:
    """RFM scores and segments of a `customer_features` table, by customer_id."""
    return engine.query(rfm_sql() + " ORDER BY customer_id", features=features).cast(OUTPUT)
