"""Parsers for values found in shop exports. Each raises ValueError with a
message a merchant can act on; callers add the line and field."""

import re
from functools import lru_cache
from datetime import date, datetime, time
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

_MONEY_NOISE = re.compile(r"[\s¥￥$€£]|CNY|RMB|USD|EUR|GBP|元", re.IGNORECASE)
# A comma is read only as a thousands separator between groups of three digits;
# "12,5" or "1.299,50" (decimal commas) are refused rather than misread.
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
# Year first only: 03/08/2025 is March in the US and August elsewhere, so it is refused, not guessed.
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


@lru_cache(maxsize=8192)  # the lines of one order repeat its date, total and currency
def parse_datetime(raw, default_tz=dt_timezone.utc):
    """ISO date or datetime (with or without offset), plus common shop formats.

    A bare date means midnight; a naive datetime is taken in `default_tz`.
    """
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        value = _parse_other_datetime(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    # Stored in UTC: PostgreSQL refuses offsets past ±15:59 that Python accepts.
    return value.astimezone(dt_timezone.utc)


def _parse_other_datetime(text):
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.combine(parse_date(text), time())
    except ValueError:
        raise ValueError(_("%(value)r is not a date or date-time (expected e.g. 2025-03-08 or 2025-03-08T14:30:00+08:00)") % {"value": text}) from None


def parse_date(raw):
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("%(value)r is not a date (expected YYYY-MM-DD)") % {"value": text}) from None


@lru_cache(maxsize=8192)
def parse_money(raw):
    """A decimal amount; tolerates thousands separators and currency signs."""
    text = _MONEY_NOISE.sub("", raw.strip())
    if "," in text:
        if not _THOUSANDS.fullmatch(text):
            raise ValueError(_("%(value)r: a comma is only allowed between groups of three digits (write 1299.50, not 1.299,50 or 12,5)") % {"value": raw})
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("%(value)r is not an amount of money") % {"value": raw}) from None
    if not value.is_finite():
        raise ValueError(_("%(value)r is not an amount of money") % {"value": raw})
    if abs(value) >= Decimal("1e12"):
        raise ValueError(_("%(value)r is too large") % {"value": raw})
    return value.quantize(Decimal("0.01"))


def parse_quantity(raw):
    text = raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a whole number") % {"value": raw}) from None
    if value != value.to_integral_value():
        raise ValueError(_("%(value)r is not a whole number") % {"value": raw})
    if value < 0:
        raise ValueError(_("quantity %(value)s is negative") % {"value": raw.strip()})
    if value > 1_000_000:
        raise ValueError(_("quantity %(value)s is too large") % {"value": raw.strip()})
    return int(value)


@lru_cache(maxsize=1024)
def parse_currency(raw):
    text = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(_("%(value)r is not a three-letter currency code (e.g. CNY, USD)") % {"value": raw})
    return text


def parse_country(raw):
    text = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValueError(_("%(value)r is not a two-letter country code (e.g. CN, US)") % {"value": raw})
    return text


@lru_cache(maxsize=8192)  # order files repeat a customer's address on every line
def normalise_email(raw):
    """Lower-cased, syntax-checked address; no DNS look-up (works offline)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(_("%(value)r is not an e-mail address: %(why)s") % {"value": raw.strip(), "why": exc}) from None
    return checked.normalized.lower()


@lru_cache(maxsize=8192)
def normalise_phone(raw, country=""):
    """E.164 form (+8613812345678); a number without + is read in `country`."""
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, (country or "CN").upper())
    except phonenumbers.NumberParseException:
        raise ValueError(_("%(value)r is not a phone number") % {"value": text}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("%(value)r is not a valid phone number") % {"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_list(raw):
    """`a; b, c` -> ["a", "b", "c"] (both separators occur in exports)."""
    return [item.strip() for item in re.split(r"[;,|]", raw) if item.strip()]


def parse_yes_no(raw):
    text = raw.strip().lower()
    if text in {"yes", "y", "true", "1", "granted", "subscribed", "是", "同意"}:
        return True
    if text in {"no", "n", "false", "0", "denied", "unsubscribed", "not_subscribed", "否", "拒绝"}:
        return False
    raise ValueError(_("%(value)r is not yes or no") % {"value": raw})
