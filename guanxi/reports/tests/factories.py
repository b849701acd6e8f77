"""A finished analysis run whose report holds hand-made dashboard figures."""

from datetime import date

from guanxi.insights.choices import RunStatus
from guanxi.insights.models import AnalysisRun

WINDOW = {"customers": 0, "active": 0, "new": 0, "repeat_buyers": 0, "retained": 0, "base_active": 0,
          "orders": {}, "revenue": {}}


def window(start, end, **figures):
    return {**WINDOW, "start": start, "end": end, **figures}


def dashboard_figures(products=(1, 2)):
    """30 days with CNY and USD money; 7 days empty; CLV in both currencies."""
    first, second = products
    return {
        "as_of": "2026-10-31",
        "currencies": ["CNY", "USD"],
        "periods": [
            {"key": "7d", "kind": "rolling", "partial": False,
             "current": window("2026-10-25", "2026-10-31", customers=5),
             "previous": window("2026-10-18", "2026-10-24", customers=5), "top_products": []},
            {"key": "30d", "kind": "rolling", "partial": False,
             "current": window("2026-10-02", "2026-10-31", customers=5, active=2, new=1, repeat_buyers=1,
                               retained=1, base_active=4, orders={"CNY": 3, "USD": 1},
                               revenue={"CNY": 300.0, "USD": 50.0}),
             "previous": window("2026-09-02", "2026-10-01", customers=4, active=4, new=2, repeat_buyers=1,
                                orders={"CNY": 4}, revenue={"CNY": 200.0}),
             "top_products": [{"product_id": first, "units": 3, "revenue": {"CNY": 90.0}},
                              {"product_id": second, "units": 1, "revenue": {"USD": 20.0}}]},
            {"key": "2026-10", "kind": "month", "partial": False,
             "current": window("2026-10-01", "2026-10-31", customers=5, active=2),
             "previous": window("2026-09-01", "2026-09-30", customers=4, active=1), "top_products": []},
            {"key": "2026", "kind": "year", "partial": True,
             "current": window("2026-01-01", "2026-10-31", customers=5, active=4),
             "previous": window("2025-01-01", "2025-10-31"), "top_products": []},
        ],
        "monthly": {"months": ["2026-09", "2026-10"], "orders": {"CNY": [4, 3], "USD": [0, 1]},
                    "revenue": {"CNY": [200.0, 300.0], "USD": [0.0, 50.0]}},
        "rfm_grid": {"counts": [[1, 0, 0, 0, 0], [0] * 5, [0] * 5, [0] * 5, [0, 0, 0, 1, 2]],
                     "revenue": {"CNY": [[10.0, 0, 0, 0, 0], [0] * 5, [0] * 5, [0] * 5, [0, 0, 0, 0, 290.0]],
                                 "USD": [[0.0] * 5, [0] * 5, [0] * 5, [0] * 5, [0, 0, 0, 50.0, 0]]}},
        "clv": {"CNY": {"customers": 3, "total": 300.0, "edges": [0.0, 50.0, 100.0, 200.0], "counts": [1, 1, 1]},
                "USD": {"customers": 1, "total": 100.0, "edges": [0.0, 100.0, 200.0], "counts": [0, 1]}},
    }


def report(products=(1, 2)):
    return {
        "dashboard": dashboard_figures(products),
        "summary": {"customers": 4, "lifecycle": {"new": 1, "active": 2, "lapsed": 1}},
        "cohorts": {"periods": 2, "cohorts": [
            {"cohort": "2026-09", "customers": 4, "active": [4, 1], "retention": [1.0, 0.25], "revenue": [200.0, 50.0]},
            {"cohort": "2026-10", "customers": 1, "active": [1], "retention": [1.0], "revenue": [300.0]}]},
        "backtest": {"calibration_end_day": 20696, "cumulative": {
            "day": [20690, 20697, 20704], "actual": [1, 3, 4], "predicted": {"bgnbd": [1.0, 2.5, 4.5]}}},
    }


def finished_run(report_data, as_of=date(2026, 10, 31)):
    return AnalysisRun.objects.create(status=RunStatus.SUCCEEDED, as_of=as_of, report=report_data, customers=4)
