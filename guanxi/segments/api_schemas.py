"""What the API takes and answers about segments. Money is a decimal string."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema


class DefinitionIn(Schema):
    """A group of rules: {"match": "all"|"any", "rules": [rule or group, ...]}; a rule is
    {"field", "op", "value", "days"}. GET /segments/fields lists fields and operators."""

    match: str = "all"
    rules: list[dict[str, Any]] = Field(default_factory=list, max_length=60)


class SegmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    kind: Literal["dynamic", "static"] = "dynamic"
    definition: DefinitionIn | None = None


class SegmentPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    definition: DefinitionIn | None = None


class FiguresOut(Schema):
    customers: int
    revenue: Decimal
    clv: float


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    definition: dict
    size: int
    revenue: Decimal
    clv: float
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class RefreshOut(Schema):
    id: int
    trigger: str
    at: datetime
    size: int
    entered: int
    left: int
    seconds: float


class MemberOut(Schema):
    customer_id: int
    full_name: str
    entered_at: datetime


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class IdentifierIn(Schema):
    """One customer to find: give one of e-mail, phone, id (Guanxi's) or customer_id (the shop's)."""

    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    id: int | None = Field(None, ge=1, le=2**63 - 1)
    customer_id: str | None = Field(None, max_length=100)


class ListIn(Schema):
    customers: list[IdentifierIn] = Field(..., min_length=1, max_length=10_000)
    replace: bool = False


class UnmatchedOut(Schema):
    line: int
    value: str
    reason: str


class ListResultOut(Schema):
    lines: int
    matched: int
    entered: int
    left: int
    unmatched_count: int
    unmatched: list[UnmatchedOut]


class FieldOut(Schema):
    name: str
    label: str
    group: str
    kind: str
    operators: list[str]
    choices: list[str]
    help: str
