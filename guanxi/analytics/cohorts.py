"""Monthly acquisition cohorts: how many of the customers won in a month keep buying.

A customer's cohort is the calendar month of their first purchase; period p is
the p-th month after it (0 = the acquisition month). Per cohort and period:
cohort size, customers who purchased in that period, their share (retention)
and the cohort's revenue in the period, net of refunds. Every period from 0 to
the last month with orders is listed, quiet months included, so a chart's grid
has no holes (docs/analytics/cohorts.md).

Months come from the day numbers with Arrow's calendar kernels (day numbers are
days since 1970-01-01, exactly Arrow's date32), so the SQL itself is plain and
runs on either engine.
"""

import pyarrow as pa
import pyarrow.compute as pc

from guanxi.analytics.schema import PURCHASE_STATUSES

OUTPUT = pa.schema(
    [
        ("cohort", pa.string()),
        ("period", pa.int64()),
        ("customers", pa.int64()),
        ("active", pa.int64()),
        ("retention", pa.float64()),
        ("revenue", pa.float64()),
    ]
)


def month_numbers(days: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Months since January 1970 (0 = 1970-01) of day numbers."""
    dates = pc.cast(days, pa.date32())
    return pc.add(pc.multiply(pc.subtract(pc.year(dates), 1970), 12), pc.subtract(pc.month(dates), 1))


def month_label(month: int) -> str:
    """'YYYY-MM' of a month number."""
    year, month_index = divmod(int(month), 12)
    return f"{1970 + year:04d}-{month_index + 1:02d}"


def _purchases(orders: pa.Table, as_of_day: int | None) -> pa.Table:
    """customer_id, month, cents (net of refunds) of the purchase orders up to
    `as_of_day`. Whole cents add up exactly in any order, so both engines give
    the same revenue to the cent."""
    keep = pc.is_in(orders.column("status"), value_set=pa.array(PURCHASE_STATUSES))
    if as_of_day is not None:
        keep = pc.and_(keep, pc.less_equal(orders.column("day"), int(as_of_day)))
    bought = orders.filter(keep)
    net = pc.subtract(bought.column("amount"), bought.column("refunded"))
    return pa.table(
        {
            "customer_id": bought.column("customer_id"),
            "month": pc.cast(month_numbers(bought.column("day")), pa.int64()),
            "cents": pc.cast(pc.round(pc.multiply(net, 100)), pa.int64()),
        }
    )


def cohort_sql(last_month: int) -> str:
    """The cohort grid over `purchases` (customer_id, month, cents) and `periods`
    (period 0..): cohort month, period, customers, active, retention, revenue."""
    return f"""
        WITH monthly AS (
            SELECT customer_id, month, SUM(cents) AS cents FROM purchases GROUP BY customer_id, month
        ),
        firsts AS (
            SELECT customer_id, MIN(month) AS cohort FROM monthly GROUP BY customer_id
        ),
        sizes AS (
            SELECT cohort, CAST(COUNT(*) AS BIGINT) AS customers FROM firsts GROUP BY cohort
        ),
        activity AS (
            SELECT f.cohort, m.month - f.cohort AS period,
                   CAST(COUNT(*) AS BIGINT) AS active,
                   CAST(SUM(m.cents) AS BIGINT) AS cents
            FROM monthly m JOIN firsts f ON f.customer_id = m.customer_id
            GROUP BY f.cohort, m.month - f.cohort
        )
        SELECT s.cohort, CAST(g.period AS BIGINT) AS period, s.customers,
               COALESCE(a.active, 0) AS active,
               CAST(COALESCE(a.active, 0) AS DOUBLE) / s.customers AS retention,
               CAST(COALESCE(a.cents, 0) AS DOUBLE) / 100 AS revenue
        FROM sizes s
        JOIN periods g ON g.period <= {int(last_month)} - s.cohort
        LEFT JOIN activity a ON a.cohort = s.cohort AND a.period = g.period
        ORDER BY s.cohort, g.period
    """


def monthly_cohorts(engine, orders: pa.Table, as_of_day: int | None = None) -> pa.Table:
    """The cohort table (see OUTPUT) of an orders table: purchases up to
    `as_of_day`, periods running to its month (with None: all purchases, up to
    the month of the latest)."""
    purchases = _purchases(orders, as_of_day)
    if purchases.num_rows == 0:
        return OUTPUT.empty_table()
    first, last = (value.as_py() for value in pc.min_max(purchases.column("month")).values())
    if as_of_day is not None:
        last = month_numbers(pa.array([int(as_of_day)], pa.int32()))[0].as_py()
    periods = pa.table({"period": pa.array(range(last - first + 1), pa.int64())})
    grid = engine.query(cohort_sql(last), purchases=purchases, periods=periods)
    labels = [month_label(month) for month in grid.column("cohort").to_pylist()]
    return grid.set_column(0, "cohort", pa.array(labels, pa.string())).cast(OUTPUT)


def cohorts_for_storage(table: pa.Table) -> dict:
    """The cohort table as JSON-ready nesting, one entry per cohort with lists
    indexed by period (the shape a heat-map chart reads), money to cents and
    retention to 4 decimals:

    {"periods": 3, "cohorts": [{"cohort": "2025-01", "customers": 120,
      "active": [120, 31, 20], "retention": [1.0, 0.2583, 0.1667],
      "revenue": [9120.5, 2210.0, 1400.25]}, ...]}
    """
    cohorts: dict[str, dict] = {}
    for row in table.to_pylist():
        entry = cohorts.setdefault(
            row["cohort"],
            {"cohort": row["cohort"], "customers": row["customers"], "active": [], "retention": [], "revenue": []},
        )
        entry["active"].append(row["active"])
        entry["retention"].append(round(row["retention"], 4))
        entry["revenue"].append(round(row["revenue"], 2))
    longest = max((len(entry["active"]) for entry in cohorts.values()), default=0)
    return {"periods": longest, "cohorts": list(cohorts.values())}
