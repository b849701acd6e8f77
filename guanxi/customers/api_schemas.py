"""What the API answers about customers. Money is a decimal string ("1299.00")."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema


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
