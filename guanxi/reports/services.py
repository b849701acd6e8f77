"""The dashboard of the latest analysis, in the reporting currency.

The analysis pre-aggregates every figure (`guanxi.analytics.dashboard`, stored in
the run's report), so a page reads one run row, the previous run's CLV figure,
the exchange rates and a few names. Steps of `dashboard`:
1. pick the chosen period's figures and the one before it;
2. convert money with the rates; amounts in currencies without a rate are kept
   aside and shown as such, never added in;
3. KPI cards with their change, and the top products ranked after conversion.
The charts are drawn from the same report by `charts.py`.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from guanxi.commerce.models import Product
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import AnalysisRun, ProductAffinity
from guanxi.reports.exceptions import UnknownPeriod
from guanxi.reports.models import ExchangeRate
from guanxi.reports.money import Converter, Money

DEFAULT_PERIOD = "30d"
TOP_PRODUCTS = 10
TOP_PAIRS = 10


def latest_run():
    """The latest succeeded analysis (its report holds the dashboard), or None."""
    return AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).first()


def previous_clv(run) -> dict | None:
    """The CLV figures of the succeeded run before `run`: one JSON key, not its report."""
    earlier = (AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED, started_at__lte=run.started_at)
               .exclude(pk=run.pk))
    return earlier.values_list("report__dashboard__clv", flat=True).first()


def exchange_rates() -> dict:
    return dict(ExchangeRate.objects.values_list("currency", "rate"))


def period_label(entry: dict) -> str:
    key, kind = entry["key"], entry["kind"]
    if kind == "rolling":
        days = int(key.rstrip("d"))
        return ngettext("Last %(days)d day", "Last %(days)d days", days) % {"days": days}
    if kind == "month":
        year, month = (int(part) for part in key.split("-"))
        label = date_format(date(year, month, 1), "YEAR_MONTH_FORMAT")
    else:
        label = key
    return _("%(period)s (to date)") % {"period": label} if entry.get("partial") else label


def period_choices(figures: dict) -> list[tuple[str, str]]:
    return [(entry["key"], period_label(entry)) for entry in figures.get("periods", [])]


def find_period(figures: dict, key: str) -> dict:
    for entry in figures.get("periods", []):
        if entry["key"] == key:
            return entry
    raise UnknownPeriod(_("There are no figures for the period %(period)s.") % {"period": key})


@dataclass
class Card:
    """One KPI: its value now and in the previous period (None when undefined)."""

    key: str
    label: str
    kind: str  # count | money | rate
    value: object
    previous: object
    lower_is_better: bool = False
    unconverted: dict = field(default_factory=dict)
    compared_with: str = ""

    @property
    def change(self) -> float | None:
        """Percentage points for rates, per cent for counts and money."""
        if self.value is None or self.previous is None:
            return None
        if self.kind == "rate":
            return round((self.value - self.previous) * 100, 1)
        if not self.previous:
            return None
        return round(float((Decimal(self.value) - Decimal(self.previous)) / Decimal(self.previous) * 100), 1)

    @property
    def direction(self) -> str:
        if self.value is None or self.previous is None or self.value == self.previous:
            return "flat"
        return "up" if self.value > self.previous else "down"

    @property
    def good(self) -> bool | None:
        if self.direction == "flat":
            return None
        return (self.direction == "up") != self.lower_is_better


def share(part, whole) -> float | None:
    return part / whole if whole else None


def window_figures(window: dict, converter: Converter) -> dict:
    """The KPI values of one window (dashboard.py's entry) in the reporting currency."""
    revenue = converter.convert(window["revenue"])
    converted_orders = converter.count(window["orders"])
    retention = share(window["retained"], window["base_active"])
    return {
        "customers": window["customers"], "active": window["active"], "new": window["new"],
        "repeat_rate": share(window["repeat_buyers"], window["active"]),
        "retention": retention, "churn": None if retention is None else 1 - retention,
        "revenue": revenue, "orders": sum(window["orders"].values()),
        "average_order": (revenue.amount / converted_orders).quantize(Decimal("0.01")) if converted_orders else None,
    }


def average_clv(clv: dict | None, converter: Converter) -> Money | None:
    """Mean CLV over the customers whose currency converts; None without any."""
    if not clv:
        return None
    total = converter.convert({currency: entry["total"] for currency, entry in clv.items()})
    customers = converter.count({currency: entry["customers"] for currency, entry in clv.items()})
    if not customers:
        return None
    return Money((total.amount / customers).quantize(Decimal("0.01")), total.unconverted)


KPIS = [  # key, label, kind, lower is better
    ("customers", gettext_lazy("Customers"), "count", False),
    ("active", gettext_lazy("Active customers"), "count", False),
    ("new", gettext_lazy("New customers"), "count", False),
    ("repeat_rate", gettext_lazy("Repeat-purchase rate"), "rate", False),
    ("retention", gettext_lazy("Retention"), "rate", False),
    ("churn", gettext_lazy("Churn"), "rate", True),
    ("revenue", gettext_lazy("Revenue"), "money", False),
    ("orders", gettext_lazy("Orders"), "count", False),
    ("average_order", gettext_lazy("Average order value"), "money", False),
]


def kpi_cards(period: dict, converter: Converter, clv: dict | None, earlier_clv: dict | None) -> list[Card]:
    now, before = window_figures(period["current"], converter), window_figures(period["previous"], converter)
    cards = []
    for key, label, kind, lower in KPIS:
        value, previous = now[key], before[key]
        unconverted = {}
        if isinstance(value, Money):
            value, previous, unconverted = value.amount, previous.amount, value.unconverted
        cards.append(Card(key, str(label), kind, value, previous, lower, unconverted))
    current_clv, previous_clv_value = average_clv(clv, converter), average_clv(earlier_clv, converter)
    cards.append(Card("average_clv", _("Average predicted CLV"), "money",
                      current_clv.amount if current_clv else None,
                      previous_clv_value.amount if previous_clv_value else None,
                      unconverted=current_clv.unconverted if current_clv else {},
                      compared_with=_("the previous analysis")))
    return cards


def top_products(period: dict, converter: Converter, limit: int = TOP_PRODUCTS) -> list[dict]:
    """The period's best sellers by revenue in the reporting currency, with names."""
    rows = []
    for entry in period.get("top_products", []):
        money = converter.convert(entry["revenue"])
        rows.append({"product_id": entry["product_id"], "units": entry["units"], "revenue": money})
    rows.sort(key=lambda row: (-row["revenue"].amount, -len(row["revenue"].unconverted), row["product_id"]))
    rows = rows[:limit]
    names = dict(Product.objects.filter(pk__in=[row["product_id"] for row in rows]).values_list("pk", "name"))
    for row in rows:
        row["name"] = names.get(row["product_id"], _("Product %(id)s (deleted)") % {"id": row["product_id"]})
    return rows


def top_pairs(limit: int = TOP_PAIRS):
    """The strongest "bought together" rules of the latest analysis."""
    return list(ProductAffinity.objects.select_related("product", "consequent")
                .order_by("-lift", "product_id", "consequent_id")[:limit])


def dashboard(run, period_key: str, converter: Converter) -> dict:
    """What the page shows besides the charts (steps: module docstring)."""
    figures = run.report["dashboard"]
    period = find_period(figures, period_key)
    return {
        "period": period,
        "period_label": period_label(period),
        "cards": kpi_cards(period, converter, figures.get("clv"), previous_clv(run)),
        "top_products": top_products(period, converter),
        "top_pairs": top_pairs(),
        "currency": converter.target,
        "missing_rates": [code for code in figures.get("currencies", []) if converter.factor(code) is None],
    }
