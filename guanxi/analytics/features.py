"""The per-customer feature pipeline: one row per customer from the orders.

Written as SQL in the dialect DuckDB and Spark share (integer day numbers, no
engine-specific functions), so the same text runs in process or on a cluster
(`engine.SparkEngine`) and gives the same numbers: `tests/test_spark.py`.

Purchases are counted per customer-day (two orders on one day are one
transaction, as in Fader, Hardie & Lee 2005), on revenue net of refunds.
"""

import pyarrow as pa

from guanxi.analytics.schema import PURCHASE_STATUSES, UNPAID_STATUS

TIME_UNITS = {"days": 1, "weeks": 7}

_PURCHASE = "status IN ({})".format(", ".join(f"'{s}'" for s in PURCHASE_STATUSES))


def purchase_days_sql(end_day: int) -> str:
    """One row per customer and day with a purchase up to `end_day` (inclusive):
    customer_id, day, value (net of refunds), orders."""
    return f"""
        SELECT customer_id, day,
               CAST(SUM(amount - refunded) AS DOUBLE) AS value,
               CAST(COUNT(*) AS BIGINT) AS orders
        FROM orders
        WHERE {_PURCHASE} AND day <= {int(end_day)}
        GROUP BY customer_id, day
    """


def summary_sql(end_day: int, time_unit: str = "days") -> str:
    """The BG/NBD and Gamma-Gamma summary per customer with a purchase by `end_day`.

    frequency = repeat purchase days; recency = first to last purchase day;
    T = first purchase day to the end of `end_day`'s day (both in `time_unit`);
    monetary = mean net value of the repeat days whose value is positive, over
    spend_count of them (Gamma-Gamma leaves out non-positive amounts).
    """
    unit = TIME_UNITS[time_unit]
    return f"""
        WITH d AS ({purchase_days_sql(end_day)}),
        f AS (SELECT customer_id, MIN(day) AS first_day FROM d GROUP BY customer_id)
        SELECT d.customer_id,
               CAST(COUNT(*) - 1 AS BIGINT) AS frequency,
               CAST(MAX(d.day) - MIN(d.day) AS DOUBLE) / {unit} AS recency,
               CAST({int(end_day)} - MIN(d.day) AS DOUBLE) / {unit} AS T,
               CAST(SUM(CASE WHEN d.day > f.first_day AND d.value > 0 THEN 1 ELSE 0 END) AS BIGINT) AS spend_count,
               COALESCE(CAST(SUM(CASE WHEN d.day > f.first_day AND d.value > 0 THEN d.value ELSE 0 END) AS DOUBLE)
                        / NULLIF(SUM(CASE WHEN d.day > f.first_day AND d.value > 0 THEN 1 ELSE 0 END), 0), 0.0) AS monetary
        FROM d JOIN f ON f.customer_id = d.customer_id
        GROUP BY d.customer_id
    """


def features_sql(as_of_day: int, window_days: int = 365) -> str:
    """Everything the scores need about each customer who ever ordered, as of a day.

    Columns: customer_id, first_day, last_day, previous_day (the purchase day
    before the last, null for one-time buyers), purchase_days, orders, revenue
    (net), refunds, window_orders, window_revenue (the last `window_days` days),
    recency_days (days since the last purchase), unpaid_orders, cancelled_orders,
    returned_items (returns booked up to as_of).
    """
    as_of = int(as_of_day)
    since = as_of - int(window_days) + 1
    return f"""
        WITH d AS ({purchase_days_sql(as_of)}),
        ranked AS (
            SELECT customer_id, day, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY day DESC) AS back
            FROM d
        ),
        per_day AS (
            SELECT customer_id,
                   MIN(day) AS first_day, MAX(day) AS last_day,
                   CAST(COUNT(*) AS BIGINT) AS purchase_days
            FROM d GROUP BY customer_id
        ),
        prev AS (SELECT customer_id, day AS previous_day FROM ranked WHERE back = 2),
        per_order AS (
            SELECT customer_id,
                   CAST(SUM(CASE WHEN {_PURCHASE} THEN 1 ELSE 0 END) AS BIGINT) AS orders,
                   CAST(SUM(CASE WHEN {_PURCHASE} THEN amount - refunded ELSE 0 END) AS DOUBLE) AS revenue,
                   CAST(SUM(CASE WHEN {_PURCHASE} THEN refunded ELSE 0 END) AS DOUBLE) AS refunds,
                   CAST(SUM(CASE WHEN {_PURCHASE} AND day >= {since} THEN 1 ELSE 0 END) AS BIGINT) AS window_orders,
                   CAST(SUM(CASE WHEN {_PURCHASE} AND day >= {since} THEN amount - refunded ELSE 0 END) AS DOUBLE)
                       AS window_revenue,
                   CAST(SUM(CASE WHEN status = '{UNPAID_STATUS}' THEN 1 ELSE 0 END) AS BIGINT) AS unpaid_orders,
                   CAST(SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancelled_orders
            FROM orders WHERE day <= {as_of} GROUP BY customer_id
        ),
        ret AS (
            SELECT customer_id, CAST(COUNT(*) AS BIGINT) AS returned_items
            FROM returns WHERE day <= {as_of} GROUP BY customer_id
        )
        SELECT o.customer_id,
               p.first_day, p.last_day, prev.previous_day,
               COALESCE(p.purchase_days, 0) AS purchase_days,
               o.orders, o.revenue, o.refunds, o.window_orders, o.window_revenue,
               CAST({as_of} - p.last_day AS BIGINT) AS recency_days,
               o.unpaid_orders, o.cancelled_orders,
               COALESCE(ret.returned_items, 0) AS returned_items
        FROM per_order o
        LEFT JOIN per_day p ON p.customer_id = o.customer_id
        LEFT JOIN prev ON prev.customer_id = o.customer_id
        LEFT JOIN ret ON ret.customer_id = o.customer_id
    """


def purchase_days(engine, orders: pa.Table, end_day: int) -> pa.Table:
    return engine.query(purchase_days_sql(end_day) + " ORDER BY customer_id, day", orders=orders)


def customer_summary(engine, orders: pa.Table, end_day: int, time_unit: str = "days") -> pa.Table:
    """customer_id, frequency, recency, T, spend_count, monetary (see summary_sql)."""
    return engine.query(summary_sql(end_day, time_unit) + " ORDER BY customer_id", orders=orders)


def customer_features(engine, orders: pa.Table, returns: pa.Table, as_of_day: int, window_days: int = 365) -> pa.Table:
    return engine.query(features_sql(as_of_day, window_days) + " ORDER BY customer_id", orders=orders, returns=returns)
