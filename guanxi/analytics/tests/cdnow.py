"""The CDNOW sample of Fader, Hardie & Lee (2005), as the engine's orders table.

2,357 customers who made their first purchase at CDNOW in the first 12 weeks of
1997, and all their purchases until the end of June 1998. The file ships in the
lifetimes wheel (a test-only dependency); its own loader needs pkg_resources,
so it is read here directly. Columns: master customer id, sample customer id
(1..2357), date YYYYMMDD, number of CDs, dollar amount.
"""

import importlib.util
from datetime import date
from functools import cache
from pathlib import Path

import pyarrow as pa

from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.features import customer_summary
from guanxi.analytics.schema import ORDERS, day_number

CALIBRATION_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01
DATA_END = date(1998, 6, 30)  # 78 weeks


def cdnow_path() -> Path:
    """Where the lifetimes wheel keeps the file: importlib.resources.files("lifetimes")
    would give the same folder but imports lifetimes (pandas, autograd: seconds),
    find_spec only locates it."""
    return Path(importlib.util.find_spec("lifetimes").submodule_search_locations[0]) / "datasets" / "CDNOW_sample.txt"


@cache
def cdnow_orders():
    """(orders, calibration_end_day, data_end_day): one order per line of the file
    (order_id = line number, customer_id = sample id), all fulfilled."""
    customers, days, amounts = [], [], []
    for line in cdnow_path().read_text().splitlines():
        _, sample_id, ymd, _, dollars = line.split()
        customers.append(int(sample_id))
        days.append(day_number(date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))))
        amounts.append(float(dollars))
    n = len(customers)
    orders = pa.table(
        {
            "order_id": list(range(1, n + 1)),
            "customer_id": customers,
            "day": days,
            "amount": amounts,
            "refunded": [0.0] * n,
            "status": ["fulfilled"] * n,
            "currency": ["USD"] * n,
        },
        schema=ORDERS,
    )
    return orders, day_number(CALIBRATION_END), day_number(DATA_END)


@cache
def cdnow_calibration():
    """The calibration summary (weeks, 1997-01-01..1997-09-30) as a dict of
    NumPy arrays: customer_id, frequency, recency, T, spend_count, monetary."""
    orders, calibration_end, _ = cdnow_orders()
    summary = customer_summary(DuckDBEngine(), orders, calibration_end, "weeks")
    return {name: summary.column(name).to_numpy() for name in summary.column_names}
