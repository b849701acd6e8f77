"""Pieces every app's API router shares: error bodies, declared error responses
and cursor pagination.

Cursor pagination walks a queryset by primary key, newest first. The cursor is
the last id of the previous page, base64-encoded so clients treat it as opaque
(we may change what it holds). Unlike offsets, a page never repeats or skips an
item when rows are added while a client pages through.
"""

import base64
import binascii
import re
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Annotated

from django.urls import register_converter
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError
from pydantic import AfterValidator, BeforeValidator

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# Ids are 64-bit in every database; a larger number would crash the query.
MAX_ID = 2**63 - 1


class AnyTextConverter:
    """Path parameter converter for `{text:name}`: any characters, "/" and
    control characters included (SKUs and order numbers can hold a "/"), so a
    strange value still reaches the API and gets a JSON answer instead of
    Django's HTML 404."""

    regex = r"(?s:.+)"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(AnyTextConverter, "text")


SOURCE_MAX = 50  # the length of every `source` column


class ErrorOut(Schema):
    detail: str


class ProblemOut(Schema):
    """One problem with the input: the record (1-based, None for the request
    as a whole), the field and the reason, as in an import's rejects file."""

    line: int | None = None
    field: str
    reason: str


class ProblemsOut(Schema):
    detail: list[ProblemOut]


class InvalidInput(Exception):
    """Raised by handlers for a 422 in the same shape as validation errors."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def invalid(field, reason, line=None):
    return InvalidInput([{"line": line, "field": field, "reason": reason}])


# Declared on operations so the OpenAPI schema lists every answer a client can
# get: reads fail on a missing key (401) or a bad query (422); writes can also
# meet a read-only key (403), an unparsable (400) or too large (413) body.
READ_ERRORS = {401: ErrorOut, 422: ProblemsOut}
DETAIL_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ProblemsOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 422: ProblemsOut}


def _iso_only(value):
    # Pydantic would also take "0.5" as seconds since 1970; a client sending
    # that surely meant something else, so only ISO 8601 passes.
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(_("expected an ISO 8601 date or date-time, e.g. 2025-03-08T14:30:00+08:00"))
    return value


def _in_utc(value):
    # PostgreSQL refuses offsets past 15:59 (Python allows 23:59); in UTC the
    # offset is gone. A time without an offset is taken as UTC.
    try:
        return value.replace(tzinfo=value.tzinfo or dt_timezone.utc).astimezone(dt_timezone.utc)
    except OverflowError:
        raise ValueError(_("the date-time is out of range")) from None


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_in_utc)]


def encode_cursor(last_id):
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = text.split(":", 1)
        if prefix != "id" or not value.isdigit() or int(value) > MAX_ID:
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("cursor", _("not a cursor from a previous page")) from None


def paginate(queryset, cursor=None, limit=DEFAULT_LIMIT):
    """One page of `queryset` by id descending: (items, next_cursor or None)."""
    queryset = queryset.order_by("-pk")
    if cursor:
        queryset = queryset.filter(pk__lt=decode_cursor(cursor))
    items = list(queryset[: limit + 1])
    if len(items) > limit:
        return items[:limit], encode_cursor(items[limit - 1].pk)
    return items, None


def not_found(message):
    return HttpError(404, message)
