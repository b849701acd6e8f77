"""What the API takes and answers about campaigns, templates and the outbox. Money is a decimal string."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

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
