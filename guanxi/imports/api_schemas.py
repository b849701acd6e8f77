"""Bodies of the ingest endpoints. Their fields are the import fields of
guanxi.imports.schemas (the same names as the generic CSV columns), so a record
means the same through the API, a webhook or a file. Values are checked by
the importer, not here: it accepts what a file import accepts and rejects a
bad value with the field and the reason. Unknown fields are refused, so a typo
is reported rather than silently dropped.
"""

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from guanxi.core.api import SOURCE_MAX

# Ids and codes may come as numbers from shop systems; money as a decimal
# string ("1299.00") keeps its exact value, a JSON number is accepted too.
Text = str | None
Id = str | int | None
Money = str | int | float | None
Flag = bool | str | None
Words = list[str] | str | None


def _date_time(description=""):
    # No `format: date-time`: the importer also reads the dates of shop exports
    # (2025/03/08 14:30, a bare date), so the schema would say less than it takes.
    return Field(None, description=(description + " " if description else "")
                 + "ISO 8601 preferred, e.g. 2025-03-08T14:30:00+08:00; a bare date means midnight.")


class StrictSchema(Schema):
    # The body must match its JSON Schema exactly: no unknown fields, and no
    # silent coercion (pydantic would otherwise read `false` as 0 or 0 as false).
    model_config = ConfigDict(extra="forbid", strict=True)


class SourceMixin(StrictSchema):
    source: str | None = Field(None, max_length=SOURCE_MAX, description="Where the data comes from; defaults to the `source` query parameter or the default source.")


class CustomerIn(SourceMixin):
    """A customer as a shop knows them; found again by `customer_id` in this
    source, then e-mail, then phone, so sending it twice updates, never duplicates."""

    customer_id: Id = None
    email: Text = None
    phone: Id = None
    first_name: Text = None
    last_name: Text = None
    full_name: Text = None
    gender: Text = Field(None, description="female, male, other or unknown (f/m/女/男 accepted).")
    birthday: Text = Field(None, description="YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD).")
    occupation: Text = None
    interests: Words = None
    locale: Text = None
    country: Text = Field(None, description="Two-letter country code.")
    time_zone: Text = Field(None, description="IANA time zone, e.g. Asia/Shanghai.")
    currency: Text = Field(None, description="Three-letter currency code.")
    tags: Words = None
    created_at: Text = _date_time("When they became a customer.")
    email_consent: Flag = None
    sms_consent: Flag = None
    wechat_id: Id = None
    address1: Text = None
    address2: Text = None
    city: Text = None
    region: Text = None
    postal_code: Id = None
    address_country: Text = None


class ProductIn(SourceMixin):
    sku: Id = None
    name: Text = None
    category: Text = None
    price: Money = Field(None, description="Decimal string, e.g. \"199.00\".")
    currency: Text = None


class OrderLineIn(StrictSchema):
    sku: Id = None
    product_name: Text = None
    quantity: int | str | None = None
    unit_price: Money = None


class OrderIn(SourceMixin):
    """An order with its lines; the customer is named by id, e-mail or phone."""

    order_id: Id = Field(None, description="The shop's order number (taken from the path on PUT).")
    customer_id: Id = None
    customer_email: Text = None
    customer_phone: Id = None
    customer_name: Text = None
    ordered_at: Text = _date_time()
    currency: Text = None
    total: Money = Field(None, description="Decimal string, e.g. \"1299.00\".")
    status: Text = Field(None, description="pending, paid, fulfilled, cancelled, refunded or partially_refunded.")
    channel: Text = Field(None, description="web, app, marketplace, wechat, store or other.")
    lines: list[OrderLineIn] = Field(default_factory=list)


class EventIn(StrictSchema):
    event_id: Id = Field(None, description="Unique per source; makes a re-sent event change nothing.")
    event_type: Text = Field(None, description="view, add_to_cart, remove_from_cart, checkout_started or search.")
    customer_id: Id = None
    customer_email: Text = None
    customer_phone: Id = None
    occurred_at: Text = _date_time()
    sku: Id = None
    session_id: Id = None


class BatchOptions(SourceMixin):
    dry_run: bool = Field(False, description="Check and count everything, write nothing.")


class EventBatchIn(BatchOptions):
    records: list[EventIn] = Field(description="Up to 1,000 events.")


class RecordsBatchIn(BatchOptions):
    records: list[dict[str, Any]] = Field(description="Up to 5,000 records with the fields of this kind of import.")


class RejectOut(Schema):
    line: int | None
    field: str
    reason: str
    row: dict[str, Any] | None = None


class ImportRunOut(Schema):
    id: int
    kind: str
    source: str
    status: str
    dry_run: bool
    read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    error: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rejects: list[RejectOut] = Field(description="The first rejected records with line, field and reason.")


class WebhookOut(Schema):
    status: str = Field(description="imported, or duplicate when this event id was received before.")
    run: ImportRunOut | None = None
