"""What each kind of import reads: fields, how each value is parsed, which are
required, and presets that map common shop exports onto those fields.

The generic columns are documented in docs/import.md; keep the two in step.
"""

import hashlib
import zoneinfo
from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext as _

from guanxi.commerce.choices import Channel, EventType, OrderStatus, ReturnStatus
from guanxi.customers.choices import Gender
from guanxi.imports.exceptions import RowRejected
from guanxi.lib import parsing as p


def _text(limit):
    def parse(raw):
        if len(raw) > limit:
            raise ValueError(_("longer than %(limit)d characters") % {"limit": limit})
        return raw

    return parse


def _choice(aliases, allowed):
    def parse(raw):
        key = raw.strip().lower().replace(" ", "_").replace("-", "_")
        if key in aliases:
            return aliases[key]
        raise ValueError(_("%(value)r is not one of: %(allowed)s") % {"value": raw, "allowed": ", ".join(allowed)})

    return parse


def _time_zone(raw):
    try:
        zoneinfo.ZoneInfo(raw.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("%(value)r is not a time zone (e.g. Asia/Shanghai)") % {"value": raw}) from None
    return raw.strip()


def _locale(raw):
    key = raw.strip().lower().replace("_", "-")
    if key.startswith("zh"):
        return "zh-hans"
    return key.split("-")[0] if key.startswith("en") else key[:10]


def _positive_money(raw):
    value = p.parse_money(raw)
    if value < 0:
        raise ValueError(_("amount %(value)s is negative") % {"value": raw.strip()})
    return value


_GENDERS = {"f": "female", "female": "female", "woman": "female", "女": "female", "m": "male", "male": "male",
            "man": "male", "男": "male", "other": "other", "unknown": "unknown", "u": "unknown", "未知": "unknown"}
_STATUSES = {s: s for s in OrderStatus.values} | {
    "completed": "fulfilled", "complete": "fulfilled", "shipped": "fulfilled", "processing": "paid",
    "authorized": "pending", "partially_paid": "paid", "on_hold": "pending", "voided": "cancelled",
    "canceled": "cancelled", "failed": "cancelled", "unfulfilled": "paid"}
_CHANNELS = {c: c for c in Channel.values} | {
    "online_store": "web", "online": "web", "website": "web", "shopify": "web", "pos": "store", "offline": "store",
    "iphone": "app", "android": "app", "mobile": "app", "mini_program": "wechat", "weixin": "wechat",
    "tmall": "marketplace", "taobao": "marketplace", "jd": "marketplace", "amazon": "marketplace"}
_EVENTS = {e: e for e in EventType.values} | {"product_view": "view", "page_view": "view", "cart": "add_to_cart",
                                            "checkout": "checkout_started"}
_RETURN_STATUSES = {s: s for s in ReturnStatus.values}


@dataclass(frozen=True)
class Field:
    name: str
    parse: object = None
    required: bool = False
    many: bool = False  # a list is accepted (JSON input) and read as "a; b; c"


@dataclass(frozen=True, eq=False)
class Schema:
    kind: str
    fields: tuple
    # At least one of these must be present (e.g. a customer id or an e-mail).
    one_of: tuple = ()
    # Order files list several lines per order: empty order-level cells on the
    # following lines of the same order are filled from its first line.
    group_by: str = ""
    fill_down: tuple = ()

    def field(self, name):
        return self._by_name[name]

    @cached_property
    def _by_name(self):
        return {f.name: f for f in self.fields}

    @property
    def names(self):
        return [f.name for f in self.fields]


CUSTOMER_REF = (Field("customer_id", _text(100)), Field("customer_email", p.normalise_email),
                # Order and event files carry no country: numbers without +code are read as Chinese.
                Field("customer_phone", p.normalise_phone), Field("customer_name", _text(200)))

SCHEMAS = {
    "customers": Schema("customers", (
        Field("customer_id", _text(100)), Field("email", p.normalise_email), Field("phone", _text(40)),
        Field("first_name", _text(100)), Field("last_name", _text(100)), Field("full_name", _text(200)),
        Field("gender", _choice(_GENDERS, Gender.values)), Field("birthday", p.parse_date),
        Field("occupation", _text(100)), Field("interests", p.parse_list, many=True), Field("locale", _locale),
        Field("country", p.parse_country), Field("time_zone", _time_zone), Field("currency", p.parse_currency),
        Field("tags", p.parse_list, many=True), Field("created_at", p.parse_datetime),
        Field("email_consent", p.parse_yes_no), Field("sms_consent", p.parse_yes_no),
        Field("wechat_id", _text(100)), Field("address1", _text(255)), Field("address2", _text(255)),
        Field("city", _text(100)), Field("region", _text(100)), Field("postal_code", _text(20)),
        Field("address_country", p.parse_country),
    ), one_of=("customer_id", "email", "phone")),
    "products": Schema("products", (
        Field("sku", _text(64), True), Field("name", _text(255), True), Field("category", _text(120)),
        Field("price", _positive_money), Field("currency", p.parse_currency),
    )),
    "orders": Schema("orders", (
        Field("order_id", _text(100), True), *CUSTOMER_REF,
        Field("ordered_at", p.parse_datetime, True), Field("currency", p.parse_currency, True),
        Field("total", p.parse_money, True), Field("status", _choice(_STATUSES, OrderStatus.values)),
        Field("channel", _choice(_CHANNELS, Channel.values)), Field("sku", _text(64)),
        Field("product_name", _text(255)), Field("quantity", p.parse_quantity),
        Field("unit_price", _positive_money),
    ), one_of=("customer_id", "customer_email", "customer_phone"), group_by="order_id",
        fill_down=("customer_id", "customer_email", "customer_phone", "customer_name", "ordered_at",
                   "currency", "total", "status", "channel")),
    "returns": Schema("returns", (
        Field("return_id", _text(100), True), Field("order_id", _text(100), True), Field("sku", _text(64)),
        Field("quantity", p.parse_quantity), Field("amount", _positive_money, True),
        Field("currency", p.parse_currency), Field("returned_at", p.parse_datetime, True),
        Field("reason", _text(255)), Field("status", _choice(_RETURN_STATUSES, ReturnStatus.values)),
    )),
    "events": Schema("events", (
        Field("event_id", _text(100)), Field("event_type", _choice(_EVENTS, EventType.values), True),
        *CUSTOMER_REF[:3], Field("occurred_at", p.parse_datetime, True), Field("sku", _text(64)),
        Field("session_id", _text(100)),
    ), one_of=("customer_id", "customer_email", "customer_phone")),
}

# Presets: field -> candidate column names in that shop's export (lower case).
PRESETS = {
    "shopify": {
        "orders": {"order_id": ["name"], "customer_id": ["customer id"], "customer_email": ["email"],
                   "customer_phone": ["phone", "billing phone"], "customer_name": ["billing name"],
                   "ordered_at": ["created at"], "currency": ["currency"], "total": ["total"],
                   "status": ["financial status"], "channel": ["source"], "sku": ["lineitem sku"],
                   "product_name": ["lineitem name"], "quantity": ["lineitem quantity"],
                   "unit_price": ["lineitem price"]},
        "customers": {"customer_id": ["customer id", "id"], "email": ["email"], "phone": ["phone"],
                      "first_name": ["first name"], "last_name": ["last name"], "tags": ["tags"],
                      "email_consent": ["accepts email marketing", "accepts marketing"],
                      "sms_consent": ["accepts sms marketing"], "address1": ["default address address1", "address1"],
                      "address2": ["default address address2", "address2"], "city": ["default address city", "city"],
                      "region": ["default address province code", "province code"],
                      "postal_code": ["default address zip", "zip"],
                      "country": ["default address country code", "country code"]},
        "products": {"sku": ["variant sku"], "name": ["title"], "category": ["type", "product category"],
                     "price": ["variant price"]},
    },
    "woocommerce": {
        "orders": {"order_id": ["order number", "order id"], "customer_id": ["customer id", "customer user id"],
                   "customer_email": ["billing email", "customer email", "billing email address"],
                   "customer_phone": ["billing phone"], "customer_name": ["billing full name", "customer name"],
                   "ordered_at": ["order date", "date"], "currency": ["order currency", "currency"],
                   "total": ["order total", "order total amount"], "status": ["order status", "status"],
                   "channel": ["created via"], "sku": ["sku"], "product_name": ["item name", "product name"],
                   "quantity": ["quantity", "item quantity"], "unit_price": ["item cost", "item price"]},
        "customers": {"customer_id": ["customer id", "id"], "email": ["email", "billing email"],
                      "phone": ["billing phone"], "first_name": ["first name", "billing first name"],
                      "last_name": ["last name", "billing last name"], "city": ["billing city"],
                      "postal_code": ["billing postcode"], "country": ["billing country"]},
        "products": {"sku": ["sku"], "name": ["name"], "category": ["categories"], "price": ["regular price"]},
    },
}


class RowParser:
    """Parses raw rows of one input: the column plan is worked out once, so
    each row costs one pass over the mapped columns (the import hot path)."""

    def __init__(self, schema, columns):
        self.schema = schema
        self.plan = [(name, column, schema.field(name)) for name, column in columns.items()]
        self.required = [f.name for f in schema.fields if f.required]

    def __call__(self, raw):
        """Return (record, fingerprint) or raise RowRejected."""
        record, seen = {}, []
        for name, column, field in self.plan:
            value = _as_text(field, raw.get(column, ""))
            seen.append(value)
            if value == "":
                record[name] = None
                continue
            try:
                record[name] = field.parse(value) if field.parse else value
            except ValueError as exc:
                raise RowRejected(name, str(exc)) from None
        self._check_required(record)
        return record, _fingerprint(seen)

    def _check_required(self, record):
        for name in self.required:
            if record.get(name) is None:
                raise RowRejected(name, _("missing value"))
        one_of = self.schema.one_of
        if one_of and not any(record.get(n) is not None for n in one_of):
            raise RowRejected(one_of[0], _("needs one of: %(fields)s") % {"fields": ", ".join(one_of)})


def _as_text(field, value):
    """Every value is parsed from text: JSON lists only where the field takes a
    list, anything else that is not text is refused (never stored unchecked)."""
    if value is None:
        return ""
    if isinstance(value, list) and field.many and all(isinstance(v, str) for v in value):
        return "; ".join(v.strip() for v in value if v.strip())
    if not isinstance(value, str):
        raise RowRejected(field.name, _("expected text, not %(type)s") % {"type": type(value).__name__})
    return value.strip()


def _fingerprint(values):
    """Hash of the mapped input values: equal fingerprints mean nothing changed."""
    text = "\x1f".join(values)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
