"""The dashboard's pre-aggregated figures: exact KPIs of a hand-made shop (period
boundaries, the previous period, retention, repeat rate, several currencies),
the period calendar, the RFM grid, the CLV histogram and a generated shop."""

import json
from datetime import date

import pyarrow as pa
import pytest

from guanxi.analytics import dashboard, pipeline
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import (
    CUSTOMERS,
    LINES,
    ORDERS,
    PRODUCTS,
    RETURNS,
    Shop,
    day_number,
)
from guanxi.synthetic import generate_shop

D = day_number
AS_OF = D(date(2025, 3, 31))

# (order_id, customer, day, amount, status, refunded, currency, [(product, quantity, line amount)])
ORDER_ROWS = [
    (1, 1, date(2025, 1, 10), 100.0, "paid", 0.0, "CNY", [(10, 2, 100.0)]),
    (2, 1, date(2025, 3, 5), 50.0, "fulfilled", 0.0, "CNY", [(11, 1, 50.0)]),
    (3, 1, date(2025, 3, 5), 20.0, "paid", 0.0, "CNY", [(10, 1, 20.0)]),  # same day: one purchase day
    (4, 2, date(2025, 2, 20), 30.0, "paid", 0.0, "USD", [(11, 3, 30.0)]),
    (5, 2, date(2025, 3, 20), 40.0, "refunded", 40.0, "USD", [(12, 1, 40.0)]),  # bought, then all refunded
    (6, 3, date(2025, 3, 10), 500.0, "pending", 0.0, "CNY", [(12, 5, 500.0)]),  # unpaid: no purchase
    (7, 3, date(2025, 3, 25), 60.0, "cancelled", 0.0, "CNY", []),
    (8, 4, date(2024, 12, 15), 80.0, "partially_refunded", 30.0, "CNY", [(10, 1, 80.0)]),
    (9, 5, date(2025, 4, 2), 99.0, "paid", 0.0, "CNY", [(10, 1, 99.0)]),  # after the as-of day
]
# Customer 4 was imported later without a sign-up date: known from the first order.
CREATED = {1: date(2024, 12, 1), 2: date(2025, 2, 20), 3: date(2025, 3, 1), 4: date(2025, 6, 1), 5: date(2025, 3, 31)}


def make_shop(rows=ORDER_ROWS, created=CREATED) -> Shop:
    orders = pa.Table.from_pylist(
        [{"order_id": o, "customer_id": c, "day": D(d), "amount": a, "refunded": r, "status": s, "currency": cur}
         for o, c, d, a, s, r, cur, _ in rows], schema=ORDERS)
    lines = pa.Table.from_pylist(
        [{"order_id": o, "customer_id": c, "day": D(d), "product_id": p, "category_id": None, "quantity": q,
          "amount": amount} for o, c, d, _, s, _, _, items in rows if s != "cancelled" for p, q, amount in items],
        schema=LINES)
    customers = pa.Table.from_pylist(
        [{"customer_id": c, "created_day": D(d), "birthday": None, "country": "CN"} for c, d in created.items()],
        schema=CUSTOMERS)
    return Shop(orders, lines, RETURNS.empty_table(), customers, PRODUCTS.empty_table())


SCORES = pa.table({
    "customer_id": pa.array([1, 2, 3, 4], pa.int64()),
    "r_score": pa.array([5, 5, 1, 1], pa.int64()),
    "f_score": pa.array([5, 4, 1, 1], pa.int64()),
    "clv": pa.array([250.0, 12.0, None, 0.5], pa.float64()),
})


@pytest.fixture(scope="module")
def figures():
    return dashboard.dashboard_figures(DuckDBEngine(), make_shop(), SCORES, AS_OF)


def period(figures, key):
    return next(p for p in figures["periods"] if p["key"] == key)


def kpis(entry):
    return {k: entry[k] for k in ("start", "end", "customers", "active", "new", "repeat_buyers", "retained",
                                  "base_active", "orders", "revenue")}


def test_the_periods_end_at_the_as_of_day_and_reach_back_to_the_first_purchase(figures):
    assert [p["key"] for p in figures["periods"]] == [
        "7d", "30d", "90d", "365d", "2025-03", "2025-02", "2025-01", "2024-12", "2025", "2024"]
    assert figures["as_of"] == "2025-03-31"
    assert figures["currencies"] == ["CNY", "USD"]


def test_a_calendar_month_counts_buyers_new_repeat_and_retained_exactly(figures):
    march = period(figures, "2025-03")
    assert march["partial"] is False
    assert kpis(march["current"]) == {
        "start": "2025-03-01", "end": "2025-03-31",
        "customers": 5,  # everyone known by the 31st, customer 4 through the December order
        "active": 2,  # customers 1 and 2; 3 only had an unpaid and a cancelled order
        "new": 0,
        "repeat_buyers": 2,  # both had bought on an earlier day
        "retained": 1, "base_active": 1,  # February's one buyer (customer 2) came back
        "orders": {"CNY": 2, "USD": 1},
        "revenue": {"CNY": 70.0, "USD": 0.0},  # the USD order was refunded in full
    }
    assert kpis(march["previous"]) == {
        "start": "2025-02-01", "end": "2025-02-28", "customers": 3, "active": 1, "new": 1,
        "repeat_buyers": 0,  # customer 2's second purchase came in March
        "retained": 0, "base_active": 1,  # January's buyer (customer 1) did not buy in February
        "orders": {"USD": 1}, "revenue": {"USD": 30.0},
    }
    december = period(figures, "2024-12")["current"]
    assert (december["customers"], december["active"], december["new"], december["revenue"]) == (2, 1, 1, {"CNY": 50.0})


def test_rolling_windows_compare_with_the_same_number_of_days_before(figures):
    week = period(figures, "7d")
    assert (week["current"]["start"], week["current"]["end"]) == ("2025-03-25", "2025-03-31")
    assert (week["previous"]["start"], week["previous"]["end"]) == ("2025-03-18", "2025-03-24")
    assert (week["current"]["active"], week["current"]["retained"], week["current"]["orders"]) == (0, 0, {})
    assert (week["previous"]["active"], week["previous"]["repeat_buyers"]) == (1, 1)
    month = period(figures, "30d")
    assert (month["previous"]["start"], month["previous"]["end"]) == ("2025-01-31", "2025-03-01")
    assert kpis(month["current"])["active"] == 2 and month["current"]["retained"] == 1


def test_a_year_still_running_compares_with_the_same_days_of_the_year_before(figures):
    year = period(figures, "2025")
    assert year["partial"] is True
    assert kpis(year["current"]) == {
        "start": "2025-01-01", "end": "2025-03-31", "customers": 5, "active": 2, "new": 2, "repeat_buyers": 2,
        "retained": 0, "base_active": 0, "orders": {"CNY": 3, "USD": 2}, "revenue": {"CNY": 170.0, "USD": 30.0}}
    assert kpis(year["previous"]) == {
        "start": "2024-01-01", "end": "2024-03-31", "customers": 0, "active": 0, "new": 0, "repeat_buyers": 0,
        "retained": 0, "base_active": 0, "orders": {}, "revenue": {}}
    assert period(figures, "2024")["current"]["end"] == "2024-12-31"


def test_top_products_rank_line_revenue_per_currency_and_count_units(figures):
    assert period(figures, "2025-03")["top_products"] == [
        {"product_id": 10, "units": 1, "revenue": {"CNY": 20.0}},
        {"product_id": 11, "units": 1, "revenue": {"CNY": 50.0}},
        {"product_id": 12, "units": 1, "revenue": {"USD": 40.0}},  # the pending order's 5 units do not count
    ]


def test_monthly_revenue_runs_per_currency_without_holes(figures):
    assert figures["monthly"] == {
        "months": ["2024-12", "2025-01", "2025-02", "2025-03"],
        "orders": {"CNY": [1, 1, 0, 2], "USD": [0, 0, 1, 1]},
        "revenue": {"CNY": [50.0, 100.0, 0.0, 70.0], "USD": [0.0, 0.0, 30.0, 0.0]},
    }


def test_the_rfm_grid_counts_customers_and_their_window_revenue_per_currency(figures):
    grid = figures["rfm_grid"]
    assert grid["counts"][0][0] == 2 and grid["counts"][4][4] == 1 and grid["counts"][4][3] == 1
    assert sum(map(sum, grid["counts"])) == 4
    assert grid["revenue"]["CNY"][4][4] == 170.0 and grid["revenue"]["CNY"][0][0] == 50.0
    assert grid["revenue"]["USD"][4][3] == 30.0
    assert sum(map(sum, grid["revenue"]["USD"])) == 30.0


def test_clv_is_histogrammed_in_the_currency_each_customer_spends_most_in(figures):
    assert figures["clv"] == {
        "CNY": {"customers": 2, "total": 250.5, "edges": [0.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0],
                "counts": [1, 0, 0, 0, 0, 0, 0, 1]},
        "USD": {"customers": 1, "total": 12.0, "edges": [0.0, 10.0, 20.0], "counts": [0, 1]},
    }


def test_clv_bins_step_1_2_5_from_the_first_percentile():
    import numpy as np

    assert dashboard.clv_edges(np.array([0.0, 0.0])) == [0.0, 1.0]
    assert dashboard.clv_edges(np.array([3.0, 40.0, 1000.0])) == [0.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0,
                                                                  500.0, 1000.0, 2000.0]


def test_a_month_to_date_compares_with_the_same_days_of_the_month_before():
    found = {p.key: p for p in dashboard.periods(D(date(2025, 3, 30)), D(date(2024, 11, 5)))}
    march = found["2025-03"]
    assert march.partial
    assert march.windows == ((D(date(2025, 3, 1)), D(date(2025, 3, 30))),
                             (D(date(2025, 2, 1)), D(date(2025, 2, 28))),  # capped at February's end
                             (D(date(2025, 1, 1)), D(date(2025, 1, 30))))
    assert not found["2025-02"].partial and found["2025-02"].windows[1] == (D(date(2025, 1, 1)), D(date(2025, 1, 31)))
    assert list(found)[4:] == ["2025-03", "2025-02", "2025-01", "2024-12", "2024-11", "2025", "2024"]


def test_the_29th_of_february_compares_with_the_28th_a_year_before():
    found = {p.key: p for p in dashboard.periods(D(date(2024, 2, 29)), D(date(2023, 6, 1)))}
    assert found["2024"].windows[1] == (D(date(2023, 1, 1)), D(date(2023, 2, 28)))
    assert not found["2024-02"].partial  # the 29th is February's last day in 2024


def test_one_window_following_two_different_windows_keeps_both_retentions():
    # As of 31 January, January is both a full month (after December) and the year
    # to date (after 1-31 January 2024): same days, two different previous periods.
    rows = [(1, 1, date(2024, 1, 5), 10.0, "paid", 0.0, "CNY", []),
            (2, 2, date(2024, 12, 5), 10.0, "paid", 0.0, "CNY", []),
            (3, 1, date(2025, 1, 7), 10.0, "paid", 0.0, "CNY", []),
            (4, 2, date(2025, 1, 8), 10.0, "paid", 0.0, "CNY", []),
            (5, 3, date(2024, 1, 20), 10.0, "paid", 0.0, "CNY", []),
            (6, 3, date(2025, 1, 9), 10.0, "paid", 0.0, "CNY", [])]
    shop = make_shop(rows, {1: date(2024, 1, 1), 2: date(2024, 1, 1), 3: date(2024, 1, 1)})
    figures = dashboard.dashboard_figures(DuckDBEngine(), shop, SCORES.slice(0, 0), D(date(2025, 1, 31)))
    january, year = period(figures, "2025-01")["current"], period(figures, "2025")["current"]
    assert (january["start"], january["end"]) == (year["start"], year["end"])
    assert (january["active"], january["retained"], january["base_active"]) == (3, 1, 1)  # December: customer 2
    assert (year["active"], year["retained"], year["base_active"]) == (3, 2, 2)  # January 2024: customers 1 and 3
    assert period(figures, "2025")["previous"]["active"] == 2
    assert period(figures, "2025-01")["previous"]["active"] == 1


def test_a_shop_without_purchases_has_rolling_periods_of_zeros():
    shop = make_shop([], {1: date(2025, 1, 1)})
    figures = dashboard.dashboard_figures(DuckDBEngine(), shop, SCORES.slice(0, 0), AS_OF)
    assert [p["key"] for p in figures["periods"]] == ["7d", "30d", "90d", "365d"]
    assert kpis(period(figures, "365d")["current"])["customers"] == 1
    assert figures["monthly"] == {"months": [], "orders": {}, "revenue": {}}
    assert figures["clv"] == {} and figures["currencies"] == []


def test_the_analysis_stores_the_dashboard_in_its_report(tmp_path):
    generate_shop(tmp_path, customers=300, seed=5, progress=False)
    shop = shop_from_generator(tmp_path)
    as_of = D(date(2026, 11, 1))
    result = pipeline.analyze(shop, pipeline.Options(as_of_day=as_of))
    stored = result.report["dashboard"]
    json.dumps(stored)  # plain JSON
    assert "dashboard" in result.report["timings"]
    year = period(stored, "365d")["current"]
    orders = shop.orders.to_pylist()
    bought = [o for o in orders if o["status"] in ("paid", "fulfilled", "refunded", "partially_refunded")
              and as_of - 365 < o["day"] <= as_of]
    assert year["active"] == len({o["customer_id"] for o in bought})
    assert year["orders"] == {"CNY": len(bought)}
    assert year["revenue"]["CNY"] == pytest.approx(sum(o["amount"] - o["refunded"] for o in bought), abs=0.01)
    assert sum(map(sum, stored["rfm_grid"]["counts"])) == result.report["summary"]["customers"]
    assert stored["clv"]["CNY"]["customers"] == sum(stored["clv"]["CNY"]["counts"])
