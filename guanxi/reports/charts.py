"""The dashboard's plotly charts, built in Python from the stored report.

Figures are plain dicts handed to `plotly.io.to_html` without plotly's Python
validation (a tenth of the time; the shapes are fixed here) and without the
library (`include_plotlyjs=False`): the page loads the bundled plotly.min.js
from our own static files, never a CDN. Every text in a chart is translated;
money is in the reporting currency, and currencies without a rate are left out
of a chart (the page lists them) rather than added in.
"""

from itertools import pairwise

import plotly.io as pio
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from guanxi.analytics.schema import day_date
from guanxi.insights.choices import Lifecycle, Model
from guanxi.reports.money import Converter

COLOURS = ["#1d4f91", "#c8102e", "#127a44", "#8a5a00", "#6b4fa0", "#4b5567"]
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
# Light (few) to the page's blue (many); plotly.js's own "Blues" runs dark to light.
BLUES = [[0, "#eef3fb"], [1, "#1d4f91"]]
HEIGHT = 340
COHORTS_SHOWN = 24
COHORT_PERIODS = 12


def _html(div_id: str, data: list, layout: dict, height: int = HEIGHT) -> str:
    base = {"height": height, "margin": {"l": 64, "r": 16, "t": 16, "b": 56}, "font": {"size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "colorway": COLOURS,
            "legend": {"orientation": "h", "y": -0.2}}
    figure = {"data": data, "layout": {**base, **layout}}
    return mark_safe(pio.to_html(figure, config=CONFIG, full_html=False, include_plotlyjs=False, validate=False,
                                 div_id=div_id, default_height=f"{height}px"))


def _money(value) -> float:
    return float(value) if value is not None else None


def monthly_revenue(monthly: dict, converter: Converter) -> str | None:
    """Revenue per month, one stacked bar per currency it was earned in."""
    data = []
    for currency, values in sorted(monthly.get("revenue", {}).items()):
        if converter.factor(currency) is None:
            continue
        data.append({"type": "bar", "name": currency, "x": monthly["months"],
                     "y": [_money(converter.value(value, currency)) for value in values],
                     "hovertemplate": "%{x}: %{y:,.2f} " + converter.target + "<extra>" + currency + "</extra>"})
    if not data:
        return None
    return _html("chart-revenue", data, {
        "barmode": "stack", "xaxis": {"type": "category", "title": {"text": _("Month")}},
        "yaxis": {"title": {"text": _("Revenue (%(currency)s)") % {"currency": converter.target}}}})


def rfm_grid(grid: dict, converter: Converter) -> str | None:
    """Customers per recency × frequency score cell, with the cell's mean revenue."""
    counts = grid.get("counts") or []
    if not any(any(row) for row in counts):
        return None
    means = []
    for r in range(5):
        row = []
        for f in range(5):
            money = converter.convert({c: cells[r][f] for c, cells in grid.get("revenue", {}).items()})
            row.append(round(float(money.amount) / counts[r][f], 2) if counts[r][f] else None)
        means.append(row)
    hover = (_("Recency score") + " %{y} · " + _("Frequency score") + " %{x}<br>" + _("Customers") + ": %{z:,}<br>"
             + _("Mean revenue in the RFM window") + ": %{customdata:,.2f} " + converter.target + "<extra></extra>")
    data = [{"type": "heatmap", "z": counts, "x": [1, 2, 3, 4, 5], "y": [1, 2, 3, 4, 5], "customdata": means,
             "colorscale": BLUES, "texttemplate": "%{z:,}", "hovertemplate": hover,
             "colorbar": {"title": {"text": _("Customers")}}}]
    return _html("chart-rfm", data, {
        "xaxis": {"title": {"text": _("Frequency score (F)")}, "dtick": 1},
        "yaxis": {"title": {"text": _("Recency score (R)")}, "dtick": 1}})


def cohort_retention(cohorts: dict | None) -> str | None:
    """Share of each monthly cohort buying again 1-12 months after its first purchase."""
    entries = (cohorts or {}).get("cohorts", [])[-COHORTS_SHOWN:]
    if not entries:
        return None
    z = [[(entry["retention"][p] if p < len(entry["retention"]) else None) for p in range(1, COHORT_PERIODS + 1)]
         for entry in entries]
    labels = [f"{entry['cohort']} ({entry['customers']:,})" for entry in entries]
    hover = (_("Cohort") + " %{y}<br>" + _("Months after the first purchase") + ": %{x}<br>" + _("Bought again")
             + ": %{z:.1%}<extra></extra>")
    data = [{"type": "heatmap", "z": z, "x": list(range(1, COHORT_PERIODS + 1)), "y": labels, "zmin": 0,
             "colorscale": BLUES, "hovertemplate": hover, "texttemplate": "%{z:.0%}",
             "colorbar": {"tickformat": ".0%"}}]
    return _html("chart-cohorts", data, {
        "xaxis": {"title": {"text": _("Months after the first purchase")}, "dtick": 1},
        "yaxis": {"title": {"text": _("Cohort (customers)")}, "type": "category", "autorange": "reversed"},
        "margin": {"l": 120, "r": 16, "t": 16, "b": 56}}, height=max(HEIGHT, 22 * len(entries) + 90))


def _range_label(low, high) -> str:
    return f"{low:,.0f}–{high:,.0f}" if high >= 10 else f"{low:,.2f}–{high:,.2f}"


def clv_distribution(clv: dict, converter: Converter) -> str | None:
    """Customers per predicted-CLV band; bands are drawn per currency, in the reporting currency."""
    data, order = [], []
    for currency, entry in sorted(clv.items()):
        factor = converter.factor(currency)
        if factor is None or not entry["counts"]:
            continue
        edges = [float(edge) * float(factor) for edge in entry["edges"]]
        labels = [_range_label(low, high) for low, high in pairwise(edges)]
        order += [(low, label) for low, label in zip(edges, labels)]
        data.append({"type": "bar", "name": currency, "x": labels, "y": entry["counts"],
                     "hovertemplate": "%{x} " + converter.target + ": %{y:,}<extra>" + currency + "</extra>"})
    if not data:
        return None
    categories = [label for _, label in sorted(set(order))]
    return _html("chart-clv", data, {
        "xaxis": {"title": {"text": _("Predicted CLV (%(currency)s)") % {"currency": converter.target}},
                  "type": "category", "categoryorder": "array", "categoryarray": categories},
        "yaxis": {"title": {"text": _("Customers")}}, "showlegend": len(data) > 1})


def lifecycle_funnel(counts: dict) -> str | None:
    """Customers per lifecycle stage, in the stages' order."""
    if not any(counts.values()):
        return None
    data = [{"type": "funnel", "y": [str(stage.label) for stage in Lifecycle],
             "x": [counts.get(stage.value, 0) for stage in Lifecycle], "textinfo": "value+percent total",
             "marker": {"color": COLOURS[: len(Lifecycle)]},
             "hovertemplate": "%{y}: %{x:,}<extra></extra>"}]
    return _html("chart-lifecycle", data, {"margin": {"l": 100, "r": 16, "t": 16, "b": 24}})


def _weekly(cumulative: list) -> list:
    return [value - (cumulative[i - 1] if i else 0) for i, value in enumerate(cumulative)]


def backtest(report: dict | None) -> str | None:
    """Repeat purchases per week: actual and each model's prediction, the calibration end marked."""
    cumulative = (report or {}).get("cumulative") or {}
    if not cumulative.get("day"):
        return None
    weeks = [day_date(day).isoformat() for day in cumulative["day"]]
    data = [{"type": "scatter", "mode": "lines", "name": _("Actual"), "x": weeks,
             "y": _weekly(cumulative["actual"]), "line": {"color": "#1c2433", "width": 2}}]
    for key, values in (cumulative.get("predicted") or {}).items():
        data.append({"type": "scatter", "mode": "lines", "name": str(Model(key).label), "x": weeks,
                     "y": [round(v, 2) for v in _weekly(values)], "line": {"dash": "dash"}})
    marker = day_date(report["calibration_end_day"]).isoformat()
    return _html("chart-backtest", data, {
        "xaxis": {"title": {"text": _("Week")}}, "yaxis": {"title": {"text": _("Repeat purchases")}},
        "shapes": [{"type": "line", "x0": marker, "x1": marker, "yref": "paper", "y0": 0, "y1": 1,
                    "line": {"dash": "dot", "color": "#5f6b7e"}}],
        "annotations": [{"x": marker, "y": 1, "yref": "paper", "text": _("calibration end"), "showarrow": False,
                         "xanchor": "left", "yanchor": "top"}]})


def charts(report: dict, converter: Converter) -> dict:
    """Every chart's HTML (None when there is nothing to draw yet)."""
    figures = report["dashboard"]
    return {
        "revenue": monthly_revenue(figures.get("monthly", {}), converter),
        "rfm": rfm_grid(figures.get("rfm_grid", {}), converter),
        "cohorts": cohort_retention(report.get("cohorts")),
        "clv": clv_distribution(figures.get("clv", {}), converter),
        "lifecycle": lifecycle_funnel((report.get("summary") or {}).get("lifecycle", {})),
        "backtest": backtest(report.get("backtest")),
    }
