"""What the API takes and answers about campaigns, templates, the outbox and flows. Money is a decimal string."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from guanxi.campaigns.choices import ReEntry, Trigger
from guanxi.core.api import MAX_ID, IsoDateTime

Language = Literal["en", "zh-hans"]


class CampaignIn(Schema):
    """Without `send_at` the campaign is a draft, queued by POST /{id}/send; with it, scheduled."""

    name: str = Field(..., min_length=1, max_length=120)
    segment_id: int = Field(..., ge=1, le=MAX_ID)
    template_id: int = Field(..., ge=1, le=MAX_ID)
    template_b_id: int | None = Field(None, ge=1, le=MAX_ID)
    test_share: int = Field(20, ge=1, le=90)
    send_at: IsoDateTime | None = None
    in_customer_time_zone: bool = False
    priority: int = Field(5, ge=1, le=9)
    relevant_for_hours: int = Field(72, ge=1, le=2160)


class CampaignOut(Schema):
    id: int
    name: str
    segment_id: int
    template_id: int
    template_b_id: int | None
    test_share: int
    winner: str
    status: str
    send_at: datetime | None
    in_customer_time_zone: bool
    priority: int
    relevant_for_hours: int
    created_at: datetime
    queued_at: datetime | None


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class ReportOut(Schema):
    queued: int
    sent: int
    opened: int
    clicked: int
    suppressed: int
    failed: int
    pending: int
    unsubscribed: int
    orders: int
    revenue: Decimal
    revenue_per_recipient: Decimal
    suppressed_by_reason: dict[str, int]


class CampaignDetailOut(CampaignOut):
    report: ReportOut


class SendOut(Schema):
    queued: int
    campaign: CampaignOut


class ContentIn(Schema):
    language: Language
    subject: str = Field("", max_length=200)
    html: str = Field("", max_length=200_000)
    text: str = Field("", max_length=20_000)


class TemplateIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    channel: Literal["email", "sms", "wechat", "webhook"] = "email"
    purpose: Literal["marketing", "transactional"] = "marketing"
    default_language: Language = "en"
    contents: list[ContentIn] = Field(..., min_length=1, max_length=2)


class ContentOut(Schema):
    language: str
    subject: str
    html: str
    text: str


class TemplateOut(Schema):
    id: int
    name: str
    channel: str
    purpose: str
    default_language: str
    contents: list[ContentOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_contents(obj):
        return list(obj.contents.all())


class TemplatePage(Schema):
    items: list[TemplateOut]
    next_cursor: str | None


class MessageOut(Schema):
    id: int
    key: str
    customer_id: int
    campaign_id: int | None
    channel: str
    purpose: str
    variant: str
    status: str
    reason: str
    attempts: int
    last_error: str
    not_before: datetime
    queued_at: datetime
    sent_at: datetime | None


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class RetryIn(Schema):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=1000)


class RetryOut(Schema):
    retried: int


# ---------------------------------------------------------------- flows

TriggerName = Literal[tuple(Trigger.values)]
ReEntryName = Literal[tuple(ReEntry.values)]
STEPS_HELP = ('A list of steps, each {"id": "s1", "kind": ..., ...}: wait {"days", "hours" or "until_hour"}, '
              'branch {"condition": <segment rules>, "yes": [steps], "no": [steps]}, split {"share_a", "a", "b"}, '
              'send {"template": <template id>, "priority", "relevant_hours"}, tag {"tag"}, task {"title", "assignee"}, '
              'webhook {"url"}, points {"points"}. Ids are unique in the flow; see docs/api.md.')


class FlowIn(Schema):
    """A flow's editable fields; PUT replaces all of them (fields left out take their default)."""

    # Unknown fields and coerced values are refused, as the docs promise of every body.
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=10_000)
    trigger: TriggerName
    trigger_config: dict[str, Any] = Field(default_factory=dict, description="The trigger's settings: segment, days_before, idle_hours, date...")
    steps: list[dict[str, Any]] = Field(..., description=STEPS_HELP)
    re_entry: ReEntryName = ReEntry.NEVER.value
    re_entry_days: int = Field(0, ge=0, le=3650)
    goal_order: bool = True


class FlowOut(Schema):
    id: int
    name: str
    description: str
    trigger: str
    trigger_config: dict[str, Any]
    steps: list[dict[str, Any]]
    status: str
    re_entry: str
    re_entry_days: int
    goal_order: bool
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None


class FlowPage(Schema):
    items: list[FlowOut]
    next_cursor: str | None


class EnrolmentCountsOut(Schema):
    """How many of the flow's enrolments are in each status (EnrolmentStatus)."""

    active: int
    completed: int
    goal: int
    exited: int
    failed: int


class FlowDetailOut(FlowOut):
    enrolments: EnrolmentCountsOut
    report: ReportOut

    @staticmethod
    def resolve_enrolments(obj):
        return obj.enrolments_by_status  # set by the handler: `enrolments` is the related manager


class EnrolmentOut(Schema):
    id: int
    customer_id: int
    occurrence: str
    status: str
    step: str
    next_run_at: datetime | None
    attempts: int
    last_error: str
    entered_at: datetime
    finished_at: datetime | None


class EnrolmentPage(Schema):
    items: list[EnrolmentOut]
    next_cursor: str | None


class EnrolmentRetryIn(Schema):
    """Without `ids`, every failed enrolment of the flow."""

    model_config = ConfigDict(extra="forbid", strict=True)

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, min_length=1, max_length=1000)
