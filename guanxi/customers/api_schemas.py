"""What the API answers about customers. Money is a decimal string ("1299.00")."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import ConfigDict


class ExternalIdOut(Schema):
    source: str
    customer_id: str

    @staticmethod
    def resolve_customer_id(obj):
        return obj.external_id


class ContactOut(Schema):
    kind: str
    value: str
    is_primary: bool
    consent: str
    consent_updated_at: datetime | None
    bounced_at: datetime | None


class ConsentOut(Schema):
    """One change in the consent ledger, newest first."""

    kind: str
    value: str
    status: str
    source: str
    note: str
    recorded_at: datetime

    @staticmethod
    def resolve_kind(obj):
        return obj.contact_point.kind

    @staticmethod
    def resolve_value(obj):
        return obj.contact_point.value


class AddressOut(Schema):
    kind: str
    recipient: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    is_default: bool


class OrderFigures(Schema):
    order_count: int
    total_spent: Decimal
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None


class CustomerSummaryOut(OrderFigures):
    id: int
    display_name: str
    email: str
    phone: str
    country: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_email(obj):
        return obj.primary_email

    @staticmethod
    def resolve_phone(obj):
        return obj.primary_phone

    @staticmethod
    def resolve_tags(obj):
        return [tag.name for tag in obj.tags.all()]


class CustomerOut(CustomerSummaryOut):
    first_name: str
    last_name: str
    full_name: str
    gender: str
    birthday: date | None
    occupation: str
    interests: list
    locale: str
    time_zone: str
    currency: str
    source: str
    joined_at: datetime | None
    external_ids: list[ExternalIdOut]
    contacts: list[ContactOut]
    consents: list[ConsentOut]
    addresses: list[AddressOut]
    account_owner: str | None = Field(None, description="Username of the team member who looks after the customer.")

    @staticmethod
    def resolve_account_owner(obj):
        return obj.account_owner.get_username() if obj.account_owner_id else None

    @staticmethod
    def resolve_external_ids(obj):
        return obj.external_ids.all()

    @staticmethod
    def resolve_contacts(obj):
        return obj.contact_points.all()

    @staticmethod
    def resolve_consents(obj):
        return obj.consent_history

    @staticmethod
    def resolve_addresses(obj):
        return obj.addresses.all()


class CustomerPage(Schema):
    items: list[CustomerSummaryOut]
    next_cursor: str | None


class CustomerPatchIn(Schema):
    """Changes to a customer that are not import data (profile data arrives
    through the importer). Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    account_owner: str | None = Field(
        ..., max_length=150,
        description="Username of an active sales team member or admin; null removes the owner.",
    )
