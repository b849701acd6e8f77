"""The whole analysis of one shop, from Arrow tables in to Arrow tables out.

Steps (`analyze`), each timed in the report:
1. features: one row per customer who ever ordered (features.py);
2. purchase models: the backtest splits at the calibration date, fits BG/NBD and
   Pareto/NBD, and chooses the one with the lower holdout error; the chosen one
   and Gamma-Gamma are then refitted on everything up to the analysis date and
   score each customer (P(alive), churn band, expected orders, CLV, next order);
3. RFM and lifecycle (portable SQL), value tiers and credit rating;
4. cross-sell rules and per-customer recommendations;
5. occasions and replenishment dates;
6. cohorts; then one join gives the scores table (`SCORES`);
7. the dashboard's pre-aggregated figures (dashboard.py) from the orders and scores.
"""

import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from guanxi.analytics import (
    backtest,
    clv,
    cohorts,
    crosssell,
    dashboard,
    features,
    lifecycle,
    occasions,
    replenishment,
    rfm,
    tiers,
)
from guanxi.analytics.bgnbd import fit_bgnbd
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.fitting import NotEnoughData
from guanxi.analytics.gammagamma import fit_gamma_gamma
from guanxi.analytics.paretonbd import fit_pareto_nbd
from guanxi.analytics.schema import Shop, day_date

# Smallest holdout worth testing a model on, and the share of the history held out
# when no calibration end is given (capped at a year).
MIN_HOLDOUT_DAYS = 28
HOLDOUT_SHARE = 1 / 3
MAX_HOLDOUT_DAYS = 365


@dataclass(frozen=True)
class Options:
    as_of_day: int
    calibration_end_day: int | None = None
    time_unit: str = "days"
    rfm_window_days: int = 365
    horizon_days: int = 365
    discount_rate: float = 0.10
    margin: float = 1.0
    recommendations: int = 10
    # Rules learn from this many recent days of baskets (tastes move, and a year of a
    # large shop is plenty); recommendations build on the customer's purchases of
    # the same span (older ones still exclude what they already own).
    rules_window_days: int = 365

    @property
    def as_of(self) -> date:
        return day_date(self.as_of_day)

    @property
    def calibration_end(self) -> date | None:
        return day_date(self.calibration_end_day) if self.calibration_end_day is not None else None


@dataclass
class Analysis:
    scores: pa.Table
    product_rules: pa.Table
    category_rules: pa.Table
    report: dict = field(default_factory=dict)


class _Clock:
    """Times each step and tells the caller's progress callback."""

    def __init__(self, progress):
        self.progress, self.timings, self.started = progress, {}, time.perf_counter()

    def step(self, name):
        now = time.perf_counter()
        self.timings[name] = round(now - self.started, 3)
        self.started = now
        if self.progress:
            self.progress(name)


def calibration_end_for(orders: pa.Table, options: Options) -> int | None:
    """The chosen split, or a third of the history (at most a year) before the analysis date."""
    if options.calibration_end_day is not None:
        return options.calibration_end_day
    if orders.num_rows == 0:
        return None
    first = pc.min(orders.column("day")).as_py()
    span = options.as_of_day - first
    holdout = min(MAX_HOLDOUT_DAYS, int(span * HOLDOUT_SHARE))
    return options.as_of_day - holdout if holdout >= MIN_HOLDOUT_DAYS else None


FITTERS = {"bgnbd": fit_bgnbd, "pareto_nbd": fit_pareto_nbd}
# Below this P(alive) no next-order date is promised: the customer has most likely left.
NEXT_ORDER_MIN_P_ALIVE = 0.2


def _fit_or_report(fitter, *columns):
    """(fit, report): a fit that cannot be made is reported, not raised."""
    try:
        fit = fitter(*columns)
    except NotEnoughData as error:
        return None, {"error": str(error)}
    return fit, fit.to_dict()


def _summary_columns(summary: pa.Table):
    return [summary.column(name).to_numpy() for name in ("frequency", "recency", "T")]


def _spend_columns(summary: pa.Table):
    return [summary.column(name).to_numpy() for name in ("spend_count", "monetary")]


def fit_models(engine, orders, options, calibration_end_day) -> dict:
    """The report's model section: BG/NBD, Pareto/NBD and Gamma-Gamma fitted on
    the calibration period, and the backtest that chose between the first two
    (`guanxi analyze --json` prints these). Without a holdout both purchase
    models are fitted on everything and BG/NBD is chosen."""
    report = {"calibration_end": day_date(calibration_end_day).isoformat() if calibration_end_day else None,
              "chosen_model": "bgnbd"}
    end = calibration_end_day if calibration_end_day is not None else options.as_of_day
    summary = features.customer_summary(engine, orders, end, options.time_unit)
    report["gamma_gamma"] = _fit_or_report(fit_gamma_gamma, *_spend_columns(summary))[1]
    if calibration_end_day is None or summary.num_rows == 0:
        for name, fitter in FITTERS.items():
            report[name] = _fit_or_report(fitter, *_summary_columns(summary))[1]
        return report
    # The backtest fits both purchase models on this same calibration summary.
    backtest_report = backtest.run_backtest(engine, orders, calibration_end_day, options.as_of_day, options.time_unit)
    report.update(backtest_report["models"], backtest=backtest_report,
                  chosen_model=backtest_report["chosen"] or "bgnbd")
    return report


def _monthly_rate(yearly: float) -> float:
    return (1 + yearly) ** (1 / 12) - 1


def score_purchases(engine, orders, options, model) -> tuple[pa.Table, dict]:
    """Refit `model` and Gamma-Gamma on everything up to the analysis date and
    score each customer who bought: P(alive), churn, expected orders and order
    value, CLV and the expected next order day."""
    summary = features.customer_summary(engine, orders, options.as_of_day, options.time_unit)
    purchase_fit, purchase_report = _fit_or_report(FITTERS[model], *_summary_columns(summary))
    spend_fit, spend_report = _fit_or_report(fit_gamma_gamma, *_spend_columns(summary))
    report = {"model": model, model: purchase_report, "gamma_gamma": spend_report}
    columns = {"customer_id": summary.column("customer_id")}
    if purchase_fit is None:
        return pa.table(columns), report
    x, t_x, age = _summary_columns(summary)
    unit = features.TIME_UNITS[options.time_unit]
    alive = purchase_fit.p_alive(x, t_x, age)
    wait = clv.expected_next_purchase(purchase_fit, x, t_x, age) * unit
    next_day = np.where(alive >= NEXT_ORDER_MIN_P_ALIVE, options.as_of_day + np.ceil(wait), np.nan)
    columns.update({
        "p_alive": alive,
        # A fit that ran off (tiny shops) can predict NaN: stored as unknown, not "high".
        "churn_band": pa.array(np.where(np.isnan(alive), None, clv.churn_band(np.nan_to_num(1 - alive)))),
        "expected_orders": purchase_fit.expected_purchases(options.horizon_days / unit, x, t_x, age),
        "next_order_day": pa.array(next_day, from_pandas=True).cast(pa.int32()),
    })
    if spend_fit is not None:
        spend_count, monetary = _spend_columns(summary)
        months = max(1, round(options.horizon_days / clv.DAYS_PER_MONTH))
        columns["expected_order_value"] = spend_fit.expected_spend(spend_count, monetary)
        columns["clv"] = clv.customer_value(purchase_fit, spend_fit, x, t_x, age, spend_count, monetary,
                                            horizon=months, discount_rate=_monthly_rate(options.discount_rate),
                                            margin=options.margin, time_unit=options.time_unit)
    return pa.table({k: pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) else v
                     for k, v in columns.items()}), report


PURCHASE_SCORES = pa.schema([
    ("customer_id", pa.int64()), ("p_alive", pa.float64()), ("churn_band", pa.string()),
    ("expected_orders", pa.float64()), ("next_order_day", pa.int32()),
    ("expected_order_value", pa.float64()), ("clv", pa.float64()),
])


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """`table` with every column of `target` (missing ones null), in its types."""
    rows = table.num_rows
    return pa.table({f.name: table.column(f.name).cast(f.type) if f.name in table.column_names
                     else pa.nulls(rows, f.type) for f in target})


ASSEMBLE_SQL = """
    WITH occ AS (
        SELECT customer_id,
               arg_min(occasion, next_day) AS next_occasion, MIN(next_day) AS next_occasion_day,
               to_json(list(struct_pack(occasion := occasion, day := next_day, years := years) ORDER BY next_day))
                   AS occasions
        FROM occasions GROUP BY customer_id
    ),
    rep AS (
        SELECT customer_id, MIN(due_day) AS replenish_day,
               to_json(list(struct_pack(category_id := category_id, due_day := due_day,
                                        interval_days := interval_days) ORDER BY due_day)) AS replenishments
        FROM replenishment GROUP BY customer_id
    ),
    rec AS (
        SELECT customer_id, to_json(list(product_id ORDER BY rank)) AS recommended_products
        FROM recommendations GROUP BY customer_id
    )
    SELECT f.customer_id, f.recency_days, f.window_orders AS frequency, f.window_revenue AS monetary,
           r.r_score, r.f_score, r.m_score, COALESCE(r.rfm_segment, '') AS rfm_segment,
           COALESCE(l.lifecycle, '') AS lifecycle,
           p.p_alive, COALESCE(p.churn_band, '') AS churn_band, p.expected_orders, p.expected_order_value,
           p.clv, p.next_order_day, f.revenue,
           COALESCE(v.value_tier, '') AS value_tier, v.value_score,
           k.risk_score, COALESCE(k.risk_rating, '') AS risk_rating,
           CAST(json_object('return_rate', k.return_rate, 'refund_share', k.refund_share,
                            'unpaid_share', k.unpaid_share, 'complaints', k.complaints,
                            'return_points', k.return_points, 'refund_points', k.refund_points,
                            'unpaid_points', k.unpaid_points, 'complaint_points', k.complaint_points) AS VARCHAR)
               AS risk_reasons,
           COALESCE(o.next_occasion, '') AS next_occasion, o.next_occasion_day,
           CAST(COALESCE(o.occasions, '[]') AS VARCHAR) AS occasions,
           rp.replenish_day, CAST(COALESCE(rp.replenishments, '[]') AS VARCHAR) AS replenishments,
           CAST(COALESCE(rc.recommended_products, '[]') AS VARCHAR) AS recommended_products
    FROM features f
    LEFT JOIN rfm r ON r.customer_id = f.customer_id
    LEFT JOIN stages l ON l.customer_id = f.customer_id
    LEFT JOIN purchases p ON p.customer_id = f.customer_id
    LEFT JOIN tiers v ON v.customer_id = f.customer_id
    LEFT JOIN risk k ON k.customer_id = f.customer_id
    LEFT JOIN occ o ON o.customer_id = f.customer_id
    LEFT JOIN rep rp ON rp.customer_id = f.customer_id
    LEFT JOIN rec rc ON rc.customer_id = f.customer_id
    ORDER BY f.customer_id
"""


def _recent(shop: Shop, since_day: int):
    lines = shop.lines.filter(pc.field("day") > since_day)
    orders = shop.orders.filter(pc.field("day") > since_day)
    return lines, orders


def _value_tiers(engine, feats, purchases):
    values = engine.query(
        "SELECT f.customer_id, COALESCE(p.clv, 0.0) AS clv, f.revenue FROM features f "
        "LEFT JOIN purchases p ON p.customer_id = f.customer_id", features=feats, purchases=purchases)
    return tiers.value_tiers(engine, values)


def _counts(table: pa.Table, column: str) -> dict:
    counts = pc.value_counts(table.column(column)).to_pylist()
    return {item["values"]: item["counts"] for item in counts if item["values"] not in (None, "")}


def _summary(scores: pa.Table, product_rules, category_rules, recommendations, upcoming) -> dict:
    clv_column = scores.column("clv")
    # Customers who keep buying before an occasion (birthdays are known dates, not habits).
    habits = pc.count_distinct(pc.filter(upcoming.column("customer_id"),
                                         pc.not_equal(upcoming.column("occasion"), "birthday"))).as_py()
    return {
        "customers": scores.num_rows,
        "rfm_segments": _counts(scores, "rfm_segment"),
        "lifecycle": _counts(scores, "lifecycle"),
        "churn_bands": _counts(scores, "churn_band"),
        "value_tiers": _counts(scores, "value_tier"),
        "risk_ratings": _counts(scores, "risk_rating"),
        "mean_p_alive": pc.mean(scores.column("p_alive")).as_py(),
        "total_clv": pc.sum(clv_column).as_py(),
        "mean_clv": pc.mean(clv_column).as_py(),
        "with_upcoming_occasion": scores.num_rows - scores.column("next_occasion_day").null_count,
        "with_occasion_habit": habits,
        "with_replenishment": scores.num_rows - scores.column("replenish_day").null_count,
        "product_rules": product_rules.num_rows,
        "category_rules": category_rules.num_rows,
        "with_recommendations": pc.count_distinct(recommendations.column("customer_id")).as_py(),
    }


def analyze(shop: Shop, options: Options, progress=None, engine=None) -> Analysis:
    """Score every customer of `shop` as of `options.as_of_day` (steps: module docstring)."""
    engine = engine or DuckDBEngine()
    clock, as_of = _Clock(progress), options.as_of_day
    feats = features.customer_features(engine, shop.orders, shop.returns, as_of, options.rfm_window_days)
    clock.step("features")
    report = fit_models(engine, shop.orders, options, calibration_end_for(shop.orders, options))
    clock.step("models")
    purchases, report["scoring"] = score_purchases(engine, shop.orders, options, report["chosen_model"])
    purchases = _conform(purchases, PURCHASE_SCORES)
    clock.step("clv")
    parts = {
        "features": feats, "purchases": purchases,
        "rfm": rfm.score_rfm(engine, feats),
        "stages": lifecycle.lifecycle_stages(engine, feats, as_of),
        "tiers": _value_tiers(engine, feats, purchases),
        "risk": tiers.risk_rating(engine, feats),
    }
    clock.step("segments")
    recent_lines, recent_orders = _recent(shop, as_of - options.rules_window_days)
    product_rules = crosssell.association_rules(engine, recent_lines, recent_orders, "product", as_of_day=as_of)
    category_rules = crosssell.association_rules(engine, recent_lines, recent_orders, "category", as_of_day=as_of)
    parts["recommendations"] = crosssell.recommend(engine, shop.lines, shop.returns, shop.orders, product_rules,
                                                   options.recommendations, as_of_day=as_of,
                                                   history_days=options.rules_window_days)
    clock.step("cross-sell")
    parts["occasions"] = occasions.upcoming_occasions(engine, shop.orders, shop.customers, as_of)
    parts["replenishment"] = replenishment.replenishment_due(engine, shop.lines, shop.orders, as_of)
    clock.step("occasions")
    report["cohorts"] = cohorts.cohorts_for_storage(cohorts.monthly_cohorts(engine, shop.orders, as_of))
    clock.step("cohorts")
    scores = engine.query(ASSEMBLE_SQL, **parts)
    clock.step("assemble")
    report["dashboard"] = dashboard.dashboard_figures(engine, shop, scores, as_of, options.rfm_window_days)
    clock.step("dashboard")
    report.update(as_of=options.as_of.isoformat(), time_unit=options.time_unit,
                  clv_settings={"horizon_days": options.horizon_days, "discount_rate": options.discount_rate,
                                "margin": options.margin},
                  summary=_summary(scores, product_rules, category_rules, parts["recommendations"], parts["occasions"]),
                  timings=clock.timings)
    return Analysis(scores=scores, product_rules=product_rules, category_rules=category_rules,
                    report=plain(report))


def plain(value):
    """`value` as plain JSON data: NumPy scalars and arrays unwrapped, NaN and
    infinities as None (PostgreSQL's jsonb refuses NaN)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
