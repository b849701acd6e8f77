"""The dashboard's figures, computed once per analysis so a page never scans orders.

`dashboard_figures(engine, shop, scores, as_of_day, rfm_window_days)` returns a
JSON-ready dict (stored in the run's report under "dashboard"; the shape is in
docs/dashboards.md). Steps:
1. the reporting periods (`periods`): the last 7, 30, 90 and 365 days, each of the
   last 12 calendar months and each calendar year with purchases, all ending at
   the as-of day at the latest; each with the period before it and the one
   before that (the previous period's retention needs it), as day windows;
2. per window, exact distinct counts of customers, active, new, repeat and
   retained buyers from the purchase days (one range join), and orders and
   revenue per currency from the daily totals;
3. the top products of each period per currency, the monthly revenue per
   currency, the RFM grid (counts, window revenue per currency), and per currency
   the CLV distribution of the customers who mostly buy in it.

Money stays in the currency it was recorded in (whole cents, summed exactly);
the reports app converts to the reporting currency when it shows it.
"""

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from guanxi.analytics.cohorts import month_label, month_numbers
from guanxi.analytics.schema import PURCHASE_STATUSES, day_date, day_number

ROLLING_DAYS = (7, 30, 90, 365)
MONTHS = 12
# Candidates kept per period and currency; the page ranks them after conversion.
TOP_PRODUCTS = 25
_PURCHASE = "status IN ({})".format(", ".join(f"'{s}'" for s in PURCHASE_STATUSES))


@dataclass(frozen=True)
class Period:
    """A reporting period: its key ("30d", "2026-10", "2026"), its kind and three
    windows (start_day, end_day): the period, the one before, the one before that."""

    key: str
    kind: str  # rolling | month | year
    windows: tuple

    @property
    def partial(self) -> bool:
        """A calendar month or year still running on the as-of day."""
        start, end = self.windows[0]
        if self.kind == "month":
            return day_date(end).day != _month_days(day_date(start))
        return self.kind == "year" and day_date(end) != date(day_date(start).year, 12, 31)


def _month_days(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _months_back(year: int, month: int, back: int) -> tuple[int, int]:
    index = year * 12 + month - 1 - back
    return index // 12, index % 12 + 1


def _month_window(year: int, month: int, through: int | None) -> tuple[int, int]:
    """Day 1 to day `through` (capped at the month's end; None: the whole month)."""
    last = calendar.monthrange(year, month)[1]
    return day_number(date(year, month, 1)), day_number(date(year, month, min(through or last, last)))


def _year_window(year: int, through: tuple[int, int] | None) -> tuple[int, int]:
    """1 January to (month, day) of `through` (29 February becomes the 28th), or the whole year."""
    month, day = through or (12, 31)
    return day_number(date(year, 1, 1)), day_number(date(year, month, min(day, calendar.monthrange(year, month)[1])))


def periods(as_of_day: int, first_day: int | None) -> list[Period]:
    """The reporting periods ending at `as_of_day`: rolling windows, then the
    calendar months and years since `first_day` (the first purchase), newest first.
    A month or year still running compares with the same days of the one before
    (month to date, year to date)."""
    found = [Period(f"{n}d", "rolling", tuple((as_of_day - (k + 1) * n + 1, as_of_day - k * n) for k in range(3)))
             for n in ROLLING_DAYS]
    if first_day is None or first_day > as_of_day:
        return found
    as_of, first = day_date(as_of_day), day_date(first_day)
    month_through = None if as_of.day == _month_days(as_of) else as_of.day
    for back in range(MONTHS):
        year, month = _months_back(as_of.year, as_of.month, back)
        if (year, month) < (first.year, first.month):
            break
        through = month_through if back == 0 else None
        windows = tuple(_month_window(*_months_back(year, month, k), through) for k in range(3))
        found.append(Period(f"{year:04d}-{month:02d}", "month", windows))
    year_through = None if (as_of.month, as_of.day) == (12, 31) else (as_of.month, as_of.day)
    for year in range(as_of.year, first.year - 1, -1):
        through = year_through if year == as_of.year else None
        found.append(Period(f"{year:04d}", "year", tuple(_year_window(year - k, through) for k in range(3))))
    return found


def _spans(found: list[Period]) -> tuple[pa.Table, pa.Table, dict]:
    """The distinct windows (span_id, start_day, end_day), the (span_id, base_id)
    pairs whose retention is needed (a window and the one before it; the same
    window can follow two different ones), and (start, end) -> span_id."""
    ids: dict = {}
    for period in found:
        for window in period.windows:
            ids.setdefault(window, len(ids))
    pairs = sorted({(ids[p.windows[k]], ids[p.windows[k + 1]]) for p in found for k in range(2)})
    spans = pa.table({
        "span_id": pa.array(list(ids.values()), pa.int64()),
        "start_day": pa.array([w[0] for w in ids], pa.int32()),
        "end_day": pa.array([w[1] for w in ids], pa.int32()),
    })
    bases = pa.table({"span_id": pa.array([p[0] for p in pairs], pa.int64()),
                      "base_id": pa.array([p[1] for p in pairs], pa.int64())})
    return spans, bases, ids


# Every buyer count of every window in one statement (DuckDB keeps the large
# intermediate tables to itself). buys: one row per customer and purchase day;
# active: the (window, customer) pairs, found by an equi-join on the day through
# `span_days` (one row per day of each window, a few thousand rows), far cheaper
# than a range join on millions of rows.
COUNTS_SQL = """
    WITH buys AS (
        SELECT customer_id, day FROM orders WHERE {purchase} AND day <= {as_of} GROUP BY customer_id, day
    ),
    firsts AS (SELECT customer_id, MIN(day) AS first_day FROM buys GROUP BY customer_id),
    seconds AS (
        SELECT b.customer_id, MIN(b.day) AS second_day
        FROM buys b JOIN firsts f ON f.customer_id = b.customer_id AND b.day > f.first_day
        GROUP BY b.customer_id
    ),
    buyers AS (
        SELECT f.customer_id, f.first_day, s.second_day FROM firsts f LEFT JOIN seconds s ON s.customer_id = f.customer_id
    ),
    active AS (SELECT DISTINCT m.span_id, b.customer_id FROM buys b JOIN span_days m ON m.day = b.day),
    per_span AS (
        SELECT a.span_id, CAST(COUNT(*) AS BIGINT) AS active,
               CAST(SUM(CASE WHEN b.second_day <= w.end_day THEN 1 ELSE 0 END) AS BIGINT) AS repeat_buyers
        FROM active a JOIN spans w ON w.span_id = a.span_id
        JOIN buyers b ON b.customer_id = a.customer_id
        GROUP BY a.span_id
    ),
    -- Buyers of a window who had bought in the window before it too.
    retained AS (
        SELECT p.span_id, p.base_id, CAST(COUNT(b.customer_id) AS BIGINT) AS retained
        FROM bases p
        LEFT JOIN active a ON a.span_id = p.span_id
        LEFT JOIN active b ON b.span_id = p.base_id AND b.customer_id = a.customer_id
        GROUP BY p.span_id, p.base_id
    ),
    first_days AS (SELECT first_day AS day, CAST(COUNT(*) AS BIGINT) AS n FROM buyers GROUP BY first_day),
    new AS (
        SELECT w.span_id, CAST(SUM(f.n) AS BIGINT) AS new
        FROM spans w JOIN first_days f ON f.day >= w.start_day AND f.day <= w.end_day GROUP BY w.span_id
    ),
    known_days AS (
        SELECT COALESCE(CASE WHEN c.created_day <= b.first_day THEN c.created_day ELSE b.first_day END,
                        c.created_day, b.first_day) AS day
        FROM customers c FULL OUTER JOIN buyers b ON b.customer_id = c.customer_id
    ),
    known_hist AS (SELECT day, CAST(COUNT(*) AS BIGINT) AS n FROM known_days WHERE day IS NOT NULL GROUP BY day),
    known AS (
        SELECT w.span_id, CAST(SUM(k.n) AS BIGINT) AS customers
        FROM spans w JOIN known_hist k ON k.day <= w.end_day GROUP BY w.span_id
    )
    SELECT w.span_id, COALESCE(k.customers, 0) AS customers, COALESCE(p.active, 0) AS active,
           COALESCE(n.new, 0) AS new, COALESCE(p.repeat_buyers, 0) AS repeat_buyers,
           r.base_id, COALESCE(r.retained, 0) AS retained
    FROM spans w
    LEFT JOIN per_span p ON p.span_id = w.span_id
    LEFT JOIN new n ON n.span_id = w.span_id
    LEFT JOIN known k ON k.span_id = w.span_id
    LEFT JOIN retained r ON r.span_id = w.span_id
    ORDER BY w.span_id
"""

# Purchase orders per day and currency, net of refunds in whole cents (exact in any order).
DAILY_SQL = """
    SELECT day, currency, CAST(COUNT(*) AS BIGINT) AS orders,
           CAST(SUM(CAST(ROUND((amount - refunded) * 100) AS BIGINT)) AS BIGINT) AS cents
    FROM orders WHERE {purchase} AND day <= {as_of} GROUP BY day, currency
"""

MONEY_SQL = """
    SELECT w.span_id, d.currency, CAST(SUM(d.orders) AS BIGINT) AS orders, CAST(SUM(d.cents) AS BIGINT) AS cents
    FROM spans w JOIN daily d ON d.day >= w.start_day AND d.day <= w.end_day
    GROUP BY w.span_id, d.currency ORDER BY w.span_id, d.currency
"""


def _span_days(spans: pa.Table) -> pa.Table:
    """(span_id, day) for every day of every window."""
    starts, ends = spans.column("start_day").to_numpy(), spans.column("end_day").to_numpy()
    lengths = ends - starts + 1
    ids = np.repeat(spans.column("span_id").to_numpy(), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pa.table({"span_id": ids, "day": (np.repeat(starts, lengths) + offsets).astype(np.int32)})


def _kpi_counts(engine, orders, customers, spans, bases, as_of_day) -> tuple[dict, dict]:
    """span_id -> {customers, active, new, repeat_buyers}; (span_id, base_id) -> retained."""
    sql = COUNTS_SQL.format(purchase=_PURCHASE, as_of=as_of_day)
    counts, retained = {}, {}
    rows = engine.query(sql, orders=orders, customers=customers, spans=spans, bases=bases,
                        span_days=_span_days(spans)).to_pylist()
    for row in rows:
        span, base, kept = row.pop("span_id"), row.pop("base_id"), row.pop("retained")
        counts[span] = row
        if base is not None:
            retained[span, base] = kept
    return counts, retained


def _money(engine, daily, spans) -> dict:
    """span_id -> {"orders": {currency: n}, "revenue": {currency: amount}}."""
    money: dict = {}
    for row in engine.query(MONEY_SQL, daily=daily, spans=spans).to_pylist():
        entry = money.setdefault(row["span_id"], {"orders": {}, "revenue": {}})
        entry["orders"][row["currency"]] = row["orders"]
        entry["revenue"][row["currency"]] = row["cents"] / 100
    return money


TOP_PRODUCTS_SQL = """
    WITH bought AS (
        SELECT l.product_id, o.currency, l.day, CAST(SUM(l.quantity) AS BIGINT) AS units,
               CAST(SUM(CAST(ROUND(l.amount * 100) AS BIGINT)) AS BIGINT) AS cents
        FROM lines l JOIN (SELECT order_id, currency FROM orders WHERE {purchase}) o ON o.order_id = l.order_id
        WHERE l.product_id IS NOT NULL AND l.day >= {since} AND l.day <= {as_of}
        GROUP BY l.product_id, o.currency, l.day
    ),
    per AS (
        SELECT m.span_id, b.product_id, b.currency, CAST(SUM(b.units) AS BIGINT) AS units,
               CAST(SUM(b.cents) AS BIGINT) AS cents
        FROM span_days m JOIN bought b ON b.day = m.day
        GROUP BY m.span_id, b.product_id, b.currency
    ),
    ranked AS (
        SELECT span_id, product_id,
               ROW_NUMBER() OVER (PARTITION BY span_id, currency ORDER BY cents DESC, product_id) AS place
        FROM per
    ),
    chosen AS (SELECT DISTINCT span_id, product_id FROM ranked WHERE place <= {top})
    SELECT p.span_id, p.product_id, p.currency, p.units, p.cents
    FROM per p JOIN chosen c ON c.span_id = p.span_id AND c.product_id = p.product_id
    ORDER BY p.span_id, p.product_id, p.currency
"""


def _top_products(engine, shop, spans, as_of_day) -> dict:
    """span_id -> [{product_id, units, revenue{currency: amount}}] (line amounts of purchase
    orders, before refunds): the top TOP_PRODUCTS by revenue of each currency."""
    since = pc.min(spans.column("start_day")).as_py()
    sql = TOP_PRODUCTS_SQL.format(purchase=_PURCHASE, since=since, as_of=as_of_day, top=TOP_PRODUCTS)
    found: dict = {}
    for row in engine.query(sql, lines=shop.lines, orders=shop.orders, span_days=_span_days(spans)).to_pylist():
        products = found.setdefault(row["span_id"], {})
        entry = products.setdefault(row["product_id"], {"product_id": row["product_id"], "units": 0, "revenue": {}})
        entry["units"] += row["units"]
        entry["revenue"][row["currency"]] = row["cents"] / 100
    return {window: list(products.values()) for window, products in found.items()}


def _monthly(daily: pa.Table) -> dict:
    """Orders and revenue per calendar month and currency, every month from the first with purchases."""
    if daily.num_rows == 0:
        return {"months": [], "orders": {}, "revenue": {}}
    months = month_numbers(daily.column("day")).to_numpy()
    first, last = int(months.min()), int(months.max())
    orders, revenue = {}, {}
    for currency in sorted(set(daily.column("currency").to_pylist())):
        mask = pc.equal(daily.column("currency"), currency).to_numpy(zero_copy_only=False)
        index = months[mask] - first
        orders[currency] = np.bincount(index, daily.column("orders").to_numpy()[mask], last - first + 1)
        cents = np.bincount(index, daily.column("cents").to_numpy()[mask].astype(np.float64), last - first + 1)
        revenue[currency] = [round(float(value) / 100, 2) for value in cents]
        orders[currency] = [int(value) for value in orders[currency]]
    return {"months": [month_label(m) for m in range(first, last + 1)], "orders": orders, "revenue": revenue}


RFM_COUNTS_SQL = """
    SELECT r_score, f_score, CAST(COUNT(*) AS BIGINT) AS customers FROM scores
    WHERE r_score IS NOT NULL AND f_score IS NOT NULL GROUP BY r_score, f_score
"""
# Net spend per customer and currency, in cents: all time, and in the RFM window.
SPEND_SQL = """
    SELECT customer_id, currency,
           CAST(SUM(CAST(ROUND((amount - refunded) * 100) AS BIGINT)) AS BIGINT) AS cents,
           CAST(SUM(CASE WHEN day > {since} THEN CAST(ROUND((amount - refunded) * 100) AS BIGINT) ELSE 0 END)
                AS BIGINT) AS window_cents
    FROM orders WHERE {purchase} AND day <= {as_of} GROUP BY customer_id, currency
"""
RFM_REVENUE_SQL = """
    SELECT s.r_score, s.f_score, p.currency, CAST(SUM(p.window_cents) AS BIGINT) AS cents
    FROM spend p JOIN scores s ON s.customer_id = p.customer_id
    WHERE s.r_score IS NOT NULL AND s.f_score IS NOT NULL AND p.window_cents <> 0
    GROUP BY s.r_score, s.f_score, p.currency
"""


def _rfm_grid(engine, spend, scores) -> dict:
    """Customers per (R, F) cell (rows R 1-5, columns F 1-5) and their revenue of
    the RFM window per currency (the window the scores were computed on), so the
    page can show each cell's mean in any reporting currency."""
    cells = scores.select(["customer_id", "r_score", "f_score"])
    counts = [[0] * 5 for _ in range(5)]
    for row in engine.query(RFM_COUNTS_SQL, scores=cells).to_pylist():
        counts[row["r_score"] - 1][row["f_score"] - 1] = row["customers"]
    revenue: dict = {}
    for row in engine.query(RFM_REVENUE_SQL, spend=spend, scores=cells).to_pylist():
        grid = revenue.setdefault(row["currency"], [[0.0] * 5 for _ in range(5)])
        grid[row["r_score"] - 1][row["f_score"] - 1] = row["cents"] / 100
    return {"counts": counts, "revenue": revenue}


MAIN_CURRENCY_SQL = """
    WITH ranked AS (
        SELECT customer_id, currency,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY cents DESC, currency) AS place
        FROM spend
    )
    SELECT s.customer_id, s.clv, r.currency
    FROM scores s JOIN ranked r ON r.customer_id = s.customer_id AND r.place = 1
    WHERE s.clv IS NOT NULL
"""


def clv_edges(values: np.ndarray) -> list[float]:
    """Histogram edges 0, then 1-2-5 steps (…, 10, 20, 50, 100, …) from the step
    at or below the 1st percentile to the first step above the largest value."""
    positive = values[values > 0]
    if positive.size == 0:
        return [0.0, 1.0]
    low, high = float(np.quantile(positive, 0.01)), float(positive.max())
    steps = [m * 10.0 ** k for k in range(-2, 12) for m in (1, 2, 5)]
    start = max([s for s in steps if s <= low], default=steps[0])
    edges = [0.0] + [s for s in steps if start <= s <= high]
    edges.append(next(s for s in steps if s > high))
    return edges


def _clv(engine, spend, scores) -> dict:
    """Per currency: customers with a CLV, its total, and the histogram (edges,
    counts, the last bin closed). A customer counts in the currency they spent
    most in (their CLV is computed from all their orders)."""
    table = engine.query(MAIN_CURRENCY_SQL, spend=spend, scores=scores.select(["customer_id", "clv"]))
    result = {}
    for currency in sorted(set(table.column("currency").to_pylist())):
        values = table.filter(pc.equal(table.column("currency"), currency)).column("clv").to_numpy()
        edges = clv_edges(values)
        counts, _ = np.histogram(np.clip(values, 0, None), bins=edges)
        result[currency] = {"customers": int(values.size), "total": round(float(values.sum()), 2),
                            "edges": edges, "counts": [int(c) for c in counts]}
    return result


def _window_entry(window, counts, retained, base, money) -> dict:
    """One window's figures; `retained` of the `base_active` buyers of the window before it."""
    start, end = window
    entry = {"start": day_date(start).isoformat(), "end": day_date(end).isoformat(), **counts,
             "retained": retained, "base_active": base["active"]}
    entry.update(money or {"orders": {}, "revenue": {}})
    return entry


def _period_entries(engine, shop, orders, daily, found, as_of_day) -> list[dict]:
    spans, bases, ids = _spans(found)
    counts, retained = _kpi_counts(engine, orders, shop.customers, spans, bases, as_of_day)
    money = _money(engine, daily, spans)
    current = spans.filter(pc.is_in(spans.column("span_id"), pa.array([ids[p.windows[0]] for p in found], pa.int64())))
    top = _top_products(engine, shop, current, as_of_day)
    entries = []
    for period in found:
        this, before, earlier = (ids[w] for w in period.windows)
        entries.append({
            "key": period.key, "kind": period.kind, "partial": period.partial,
            "current": _window_entry(period.windows[0], counts[this], retained[this, before], counts[before],
                                     money.get(this)),
            "previous": _window_entry(period.windows[1], counts[before], retained[before, earlier], counts[earlier],
                                      money.get(before)),
            "top_products": top.get(this, []),
        })
    return entries


def dashboard_figures(engine, shop, scores: pa.Table, as_of_day: int, rfm_window_days: int = 365) -> dict:
    """Every figure of the dashboard (module docstring), as plain JSON data."""
    orders = shop.orders.filter(pc.less_equal(shop.orders.column("day"), as_of_day))
    daily = engine.query(DAILY_SQL.format(purchase=_PURCHASE, as_of=as_of_day), orders=orders)
    first_day = pc.min(daily.column("day")).as_py() if daily.num_rows else None
    found = periods(as_of_day, first_day)
    spend = engine.query(SPEND_SQL.format(purchase=_PURCHASE, since=as_of_day - rfm_window_days, as_of=as_of_day),
                         orders=orders)
    return {
        "as_of": day_date(as_of_day).isoformat(),
        "currencies": sorted(set(daily.column("currency").to_pylist())),
        "periods": _period_entries(engine, shop, orders, daily, found, as_of_day),
        "monthly": _monthly(daily),
        "rfm_grid": _rfm_grid(engine, spend, scores),
        "clv": _clv(engine, spend, scores),
    }
