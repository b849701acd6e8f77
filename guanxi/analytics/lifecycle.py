"""Lifecycle stage: where each customer stands in their relationship with the shop.

Five stages from the purchase days alone (docs/analytics/rfm.md), the first rule
that matches wins:

1. `new`      - first purchase within the last `new_days` days, and no other;
2. `won_back` - last purchase within the last `active_days` days, and the gap
                before it (last_day - previous_day) longer than `lapsed_days`,
                so the customer had lapsed and came back;
3. `active`   - last purchase within the last `active_days` days;
4. `at_risk`  - last purchase `active_days` to `lapsed_days` - 1 days ago;
5. `lapsed`   - last purchase `lapsed_days` or more days ago.

"Within the last N days" counts the as-of day as day 0, so it means days
as_of - N + 1 .. as_of, the same window as `features.features_sql`. Customers
who never bought (only unpaid or cancelled orders) get no stage (null).

The windows are fixed days by default; `windows_from_gap` scales them to the
shop's typical repurchase gap (`repurchase_gap`) for shops that sell things
bought yearly or weekly. Plain SQL, the same text runs on DuckDB and Spark.
"""

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

STAGE_NAMES = {
    "new": "New",
    "active": "Active",
    "won_back": "Won back",
    "at_risk": "At risk",
    "lapsed": "Lapsed",
}
STAGES = tuple(STAGE_NAMES)

OUTPUT = pa.schema([("customer_id", pa.int64()), ("lifecycle", pa.string())])


@dataclass(frozen=True)
class LifecycleWindows:
    """The stage thresholds in days: 0 < new_days <= active_days < lapsed_days."""

    new_days: int = 30
    active_days: int = 90
    lapsed_days: int = 180

    def __post_init__(self):
        if not 0 < self.new_days <= self.active_days < self.lapsed_days:
            raise ValueError(
                f"lifecycle windows need 0 < new_days <= active_days < lapsed_days, got "
                f"{self.new_days}, {self.active_days}, {self.lapsed_days}"
            )


DEFAULT_WINDOWS = LifecycleWindows()


def repurchase_gap(features: pa.Table) -> float | None:
    """The median gap in days between a repeat buyer's last two purchase days
    (None when nobody bought twice): the shop's own rhythm, for `windows_from_gap`."""
    gaps = pc.subtract(features.column("last_day"), features.column("previous_day")).drop_null()
    if len(gaps) == 0:
        return None
    return float(pc.quantile(gaps, q=0.5)[0].as_py())


def windows_from_gap(gap_days: float, active_factor: float = 2.0, lapsed_factor: float = 4.0,
                     new_days: int = 30) -> LifecycleWindows:
    """Windows scaled to a typical repurchase gap: active within `active_factor`
    gaps, lapsed after `lapsed_factor` gaps. A customer who misses one usual
    repurchase is still active; missing three or four is a lapse.
    `new_days` is capped to the active window."""
    active = max(1, round(gap_days * active_factor))
    lapsed = max(active + 1, round(gap_days * lapsed_factor))
    return LifecycleWindows(new_days=min(new_days, active), active_days=active, lapsed_days=lapsed)


def lifecycle_sql(as_of_day: int, windows: LifecycleWindows = DEFAULT_WINDOWS, relation: str = "features") -> str:
    """customer_id, lifecycle for every row of `relation` (a `customer_features`
    table computed as of the same day)."""
    as_of = int(as_of_day)
    recency = f"({as_of} - last_day)"
    return f"""
        SELECT customer_id,
               CASE
                   WHEN last_day IS NULL THEN NULL
                   WHEN {as_of} - first_day < {windows.new_days} AND purchase_days = 1 THEN 'new'
                   WHEN {recency} < {windows.active_days} AND previous_day IS NOT NULL
                        AND last_day - previous_day > {windows.lapsed_days} THEN 'won_back'
                   WHEN {recency} < {windows.active_days} THEN 'active'
                   WHEN {recency} < {windows.lapsed_days} THEN 'at_risk'
                   ELSE 'lapsed'
               END AS lifecycle
        FROM {relation}
    """


def lifecycle_stages(engine, features: pa.Table, as_of_day: int,
                     windows: LifecycleWindows = DEFAULT_WINDOWS) -> pa.Table:
    """The lifecycle stage of every customer in `features`, by customer_id."""
    return engine.query(lifecycle_sql(as_of_day, windows) + " ORDER BY customer_id", features=features).cast(OUTPUT)
