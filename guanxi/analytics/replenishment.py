"""Replenishment: categories people run out of and buy again on a rhythm
(tea, diapers, skincare), and when each customer is due for their next one.

A category's repurchase interval is the median number of days between
consecutive purchase days of that category by the same customer (two orders on
one day are one purchase). A category is replenishable when enough customers
came back for it and they come back *regularly*: for each customer with at
least two intervals, the spread of their intervals (standard deviation over
mean, the coefficient of variation) is measured, and the median of those must be
at most `max_cv`. Purchases at random moments (a Poisson process) give a median
near 0.8; a household restocking every 30 +- 5 days gives about 0.15. See
docs/analytics/occasions.md.
"""

import pyarrow as pa
import pyarrow.compute as pc

from guanxi.analytics.schema import PURCHASE_STATUSES

INTERVALS = pa.schema(
    [
        ("category_id", pa.int64()),
        ("buyers", pa.int64()),
        ("repeat_customers", pa.int64()),
        ("intervals", pa.int64()),
        ("median_interval_days", pa.float64()),
        ("measured_customers", pa.int64()),
        ("median_cv", pa.float64()),
        ("replenishable", pa.bool_()),
    ]
)
DUE = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("category_id", pa.int64()),
        ("last_day", pa.int32()),
        ("interval_days", pa.float64()),
        ("due_day", pa.int32()),
    ]
)

_PURCHASE = "o.status IN ({})".format(", ".join(f"'{s}'" for s in PURCHASE_STATUSES))


def gaps_sql(as_of_day: int | None, categories: str = "") -> str:
    """CTEs `bought` and `gaps`: each customer's purchase days of a category
    (two orders on one day are one purchase) with the gap since their previous
    one (null for the first), up to `as_of_day`. `categories` names a relation
    of category_id to restrict to."""
    until = "" if as_of_day is None else f" AND l.day <= {int(as_of_day)}"
    only = f" AND l.category_id IN (SELECT category_id FROM {categories})" if categories else ""
    return f"""
        bought AS (
            SELECT DISTINCT l.customer_id, l.category_id, l.day
            FROM lines l
            WHERE l.category_id IS NOT NULL{until}{only}
              AND l.order_id IN (SELECT o.order_id FROM orders o WHERE {_PURCHASE})
        ),
        gaps AS (
            SELECT customer_id, category_id, day,
                   day - LAG(day) OVER (PARTITION BY customer_id, category_id ORDER BY day) AS gap
            FROM bought
        )
    """


def categories_sql(min_repeat_customers, min_measured_customers, max_cv) -> str:
    """CTEs after `gaps_sql`, ending in `categories`: one row per category
    bought by anyone, columns as `INTERVALS`. The spread of a customer's
    intervals is their standard deviation over their mean."""
    return f"""
        habit AS (
            SELECT customer_id, category_id, COUNT(gap) AS intervals, STDDEV_SAMP(gap) / AVG(gap) AS cv
            FROM gaps GROUP BY customer_id, category_id
        ),
        pooled AS (
            SELECT category_id, COUNT(gap) AS intervals, CAST(MEDIAN(gap) AS DOUBLE) AS median_interval_days
            FROM gaps GROUP BY category_id
        ),
        spread AS (
            SELECT category_id, COUNT(*) AS buyers,
                   SUM(CASE WHEN intervals >= 1 THEN 1 ELSE 0 END) AS repeat_customers,
                   SUM(CASE WHEN intervals >= 2 THEN 1 ELSE 0 END) AS measured_customers,
                   CAST(MEDIAN(CASE WHEN intervals >= 2 THEN cv END) AS DOUBLE) AS median_cv
            FROM habit GROUP BY category_id
        ),
        categories AS (
            SELECT s.category_id, s.buyers, s.repeat_customers, p.intervals, p.median_interval_days,
                   s.measured_customers, s.median_cv,
                   COALESCE(s.repeat_customers >= {int(min_repeat_customers)}
                            AND s.measured_customers >= {int(min_measured_customers)}
                            AND s.median_cv <= {float(max_cv)}, FALSE) AS replenishable
            FROM spread s JOIN pooled p ON p.category_id = s.category_id
        )
    """


def repurchase_intervals(
    engine,
    lines: pa.Table,
    orders: pa.Table,
    as_of_day: int | None = None,
    *,
    min_repeat_customers: int = 30,
    min_measured_customers: int = 10,
    max_cv: float = 0.5,
) -> pa.Table:
    """Per category: buyers, repeat_customers (at least one interval),
    intervals and their median_interval_days (null without repeats),
    measured_customers (two or more intervals), median_cv, replenishable.

    Replenishable = at least `min_repeat_customers` repeat customers, at least
    `min_measured_customers` with a measurable spread, and a median spread of
    at most `max_cv`."""
    categories = categories_sql(min_repeat_customers, min_measured_customers, max_cv)
    sql = f"WITH {gaps_sql(as_of_day)}, {categories} SELECT * FROM categories ORDER BY category_id"
    return engine.query(sql, lines=lines, orders=orders).cast(INTERVALS)


def replenishment_due(
    engine,
    lines: pa.Table,
    orders: pa.Table,
    as_of_day: int,
    *,
    intervals: pa.Table | None = None,
    horizon_days: int | None = 30,
    lapse_intervals: float | None = 3.0,
    min_repeat_customers: int = 30,
    min_measured_customers: int = 10,
    max_cv: float = 0.5,
) -> pa.Table:
    """Per customer and replenishable category they bought: columns as `DUE`,
    sorted by customer and category.

    interval_days is the customer's own median interval when they have two
    or more, else the category's; due_day = last_day + interval_days rounded.
    Rows due after as_of_day + `horizon_days` are left out, and so are lapsed
    ones: more than `lapse_intervals` intervals since the last purchase (they
    buy it elsewhere now). None switches either filter off.

    `intervals` is `repurchase_intervals` for the same as_of_day, if already
    computed (else it is, with the thresholds of `repurchase_intervals`): only
    the replenishable categories' lines are read again.
    """
    as_of = int(as_of_day)
    if intervals is None:
        intervals = repurchase_intervals(
            engine, lines, orders, as_of,
            min_repeat_customers=min_repeat_customers, min_measured_customers=min_measured_customers, max_cv=max_cv,
        )
    regular = intervals.filter(pc.field("replenishable")).select(["category_id", "median_interval_days"])
    if regular.num_rows == 0:
        return DUE.empty_table()
    keep = ["TRUE"]
    if horizon_days is not None:
        keep.append(f"due_day <= {as_of + int(horizon_days)}")
    if lapse_intervals is not None:
        keep.append(f"{as_of} - last_day <= {float(lapse_intervals)} * interval_days")
    sql = f"""
        WITH {gaps_sql(as_of, "regular")},
        habit AS (
            SELECT customer_id, category_id, MAX(day) AS last_day, COUNT(gap) AS intervals,
                   CAST(MEDIAN(gap) AS DOUBLE) AS own_median
            FROM gaps GROUP BY customer_id, category_id
        ),
        due AS (
            SELECT h.customer_id, h.category_id, h.last_day,
                   CASE WHEN h.intervals >= 2 THEN h.own_median ELSE c.median_interval_days END AS interval_days
            FROM habit h JOIN regular c ON c.category_id = h.category_id
        )
        SELECT * FROM (
            SELECT customer_id, category_id, last_day, interval_days,
                   CAST(last_day + ROUND(interval_days) AS INTEGER) AS due_day
            FROM due
        ) WHERE {" AND ".join(keep)}
        ORDER BY customer_id, category_id
    """
    return engine.query(sql, lines=lines, orders=orders, regular=regular).cast(DUE)
