"""What a segment rule can look at: each field, its kind, operators and values.

A rule is {"field", "op", "value", "days"}. The field's *kind* decides which
operators it takes, what its value must look like (rules.py checks it) and how
it turns into a Django Q object over customers (compile.py). Fields name the
merchant's words, not columns: "last_order", "clv", "bought_category".

Loyalty tier and open tickets join here when those capabilities exist.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from guanxi.customers.choices import ContactKind, Gender
from guanxi.insights.choices import (
    ChurnBand,
    Lifecycle,
    RfmSegment,
    RiskRating,
    ValueTier,
)
from guanxi.insights.explain import OCCASION_NAMES


class Kind:
    CHOICE = "choice"  # one of a fixed or open set of codes
    NUMBER = "number"
    TEXT = "text"
    RECENCY = "recency"  # a past date-time: within / more than N days ago
    UPCOMING = "upcoming"  # a future date: within the next N days
    TAG = "tag"
    CONSENT = "consent"
    WINDOW_COUNT = "window_count"  # orders in the last N days
    WINDOW_AMOUNT = "window_amount"  # money spent in the last N days
    PRODUCT = "product"
    CATEGORY = "category"
    OCCASION = "occasion"


OPERATORS = {
    "in": _("is one of"),
    "not_in": _("is not one of"),
    "eq": "=",
    "neq": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "between": _("between"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "equals": _("is exactly"),
    "within_days": _("in the last … days"),
    "before_days": _("more than … days ago"),
    "ever": _("ever"),
    "never": _("never"),
    "within_next_days": _("in the next … days"),
    "has_any": _("has any of"),
    "has_all": _("has all of"),
    "has_none": _("has none of"),
    "granted": _("given for"),
    "not_granted": _("not given for"),
    "bought": _("bought"),
    "not_bought": _("did not buy"),
}

COMPARISONS = ("eq", "neq", "gt", "gte", "lt", "lte", "between")
KIND_OPERATORS = {
    Kind.CHOICE: ("in", "not_in"),
    Kind.NUMBER: COMPARISONS,
    Kind.TEXT: ("contains", "not_contains", "equals"),
    Kind.RECENCY: ("within_days", "before_days", "ever", "never"),
    Kind.UPCOMING: ("within_next_days",),
    Kind.TAG: ("has_any", "has_all", "has_none"),
    Kind.CONSENT: ("granted", "not_granted"),
    Kind.WINDOW_COUNT: COMPARISONS,
    Kind.WINDOW_AMOUNT: COMPARISONS,
    Kind.PRODUCT: ("bought", "not_bought"),
    Kind.CATEGORY: ("bought", "not_bought"),
    Kind.OCCASION: ("within_next_days",),
}
# Operators that need no value, and kinds whose "days" is required / optional.
NO_VALUE = {"ever", "never"}
DAYS_REQUIRED = {Kind.WINDOW_COUNT, Kind.WINDOW_AMOUNT, Kind.OCCASION}
DAYS_OPTIONAL = {Kind.PRODUCT, Kind.CATEGORY}


class Group:
    PROFILE = _("Profile")
    CONTACT = _("Contact")
    ORDERS = _("Orders")
    PRODUCTS = _("Products")
    SCORES = _("Scores and predictions")
    OCCASIONS = _("Occasions")


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    group: object
    kind: str
    column: str = ""  # the Customer lookup path, where one column holds it
    choices: tuple = ()  # (code, label) pairs; empty = open set checked by `pattern`
    pattern: str = ""  # regular expression an open-set code must match
    minimum: float | None = None
    maximum: float | None = None
    help: object = ""
    extra: dict = field(default_factory=dict)

    @property
    def operators(self):
        return KIND_OPERATORS[self.kind]


def _occasion_choices():
    return tuple((code, name) for code, name in OCCASION_NAMES.items())


FIELDS = [
    # profile
    Field("name", _("Name"), Group.PROFILE, Kind.TEXT, "full_name"),
    Field("gender", _("Gender"), Group.PROFILE, Kind.CHOICE, "gender", choices=tuple(Gender.choices)),
    Field("country", _("Country"), Group.PROFILE, Kind.CHOICE, "country", pattern=r"^[A-Z]{2}$",
          help=_("Two-letter codes, e.g. CN, TW")),
    Field("language", _("Language"), Group.PROFILE, Kind.CHOICE, "locale", pattern=r"^[a-z]{2,3}(-[a-z0-9]+)*$",
          help=_("Language codes, e.g. zh, en; zh also matches zh-hans")),
    Field("source", _("Source shop"), Group.PROFILE, Kind.CHOICE, "source", pattern=r"^\S{1,50}$"),
    Field("joined", _("Customer since"), Group.PROFILE, Kind.RECENCY, "joined_at"),
    Field("tags", _("Tags"), Group.PROFILE, Kind.TAG),
    # contact
    Field("consent", _("Marketing consent"), Group.CONTACT, Kind.CONSENT, choices=tuple(ContactKind.choices)),
    # orders
    Field("order_count", _("Number of orders"), Group.ORDERS, Kind.NUMBER, "order_count", minimum=0),
    Field("total_spent", _("Total spent"), Group.ORDERS, Kind.NUMBER, "total_spent", minimum=0),
    Field("last_order", _("Last order"), Group.ORDERS, Kind.RECENCY, "last_order_at"),
    Field("first_order", _("First order"), Group.ORDERS, Kind.RECENCY, "first_order_at"),
    Field("orders_in_window", _("Orders in a period"), Group.ORDERS, Kind.WINDOW_COUNT, minimum=0),
    Field("spent_in_window", _("Spent in a period"), Group.ORDERS, Kind.WINDOW_AMOUNT, minimum=0),
    # products
    Field("bought_product", _("Product (SKU)"), Group.PRODUCTS, Kind.PRODUCT, help=_("SKUs, comma-separated")),
    Field("bought_category", _("Category"), Group.PRODUCTS, Kind.CATEGORY,
          help=_("A category includes its sub-categories")),
    # scores (from the latest analysis)
    Field("rfm_segment", _("RFM segment"), Group.SCORES, Kind.CHOICE, "score__rfm_segment", choices=tuple(RfmSegment.choices)),
    Field("r_score", _("Recency score (1-5)"), Group.SCORES, Kind.NUMBER, "score__r_score", minimum=1, maximum=5),
    Field("f_score", _("Frequency score (1-5)"), Group.SCORES, Kind.NUMBER, "score__f_score", minimum=1, maximum=5),
    Field("m_score", _("Monetary score (1-5)"), Group.SCORES, Kind.NUMBER, "score__m_score", minimum=1, maximum=5),
    Field("lifecycle", _("Lifecycle stage"), Group.SCORES, Kind.CHOICE, "score__lifecycle", choices=tuple(Lifecycle.choices)),
    Field("clv", _("Predicted CLV"), Group.SCORES, Kind.NUMBER, "score__clv"),
    Field("p_alive", _("P(alive)"), Group.SCORES, Kind.NUMBER, "score__p_alive", minimum=0, maximum=1,
          help=_("Probability the customer is still active, 0 to 1")),
    Field("churn_band", _("Churn risk"), Group.SCORES, Kind.CHOICE, "score__churn_band", choices=tuple(ChurnBand.choices)),
    Field("expected_orders", _("Expected orders"), Group.SCORES, Kind.NUMBER, "score__expected_orders", minimum=0),
    Field("next_order", _("Expected next order"), Group.SCORES, Kind.UPCOMING, "score__next_order_on"),
    Field("value_tier", _("Value tier"), Group.SCORES, Kind.CHOICE, "score__value_tier", choices=tuple(ValueTier.choices)),
    Field("risk_rating", _("Credit rating"), Group.SCORES, Kind.CHOICE, "score__risk_rating", choices=tuple(RiskRating.choices)),
    # occasions
    Field("occasion", _("Upcoming occasion"), Group.OCCASIONS, Kind.OCCASION, "score__next_occasion",
          choices=_occasion_choices(), help=_("Leave the list empty for any occasion")),
    Field("replenishment", _("Replenishment due"), Group.OCCASIONS, Kind.UPCOMING, "score__replenish_on"),
]
BY_NAME = {f.name: f for f in FIELDS}


def builder_groups():
    """[(group label, [fields])] in display order, for the builder's field menu."""
    groups = {}
    for item in FIELDS:
        groups.setdefault(str(item.group), []).append(item)
    return list(groups.items())
