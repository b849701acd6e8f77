"""Static lists: customers named in an uploaded file or an API call.

A file (CSV, TSV or XLSX, as the importer reads them) needs a header with at
least one of: email, phone, id (Guanxi's customer id) or customer_id (the shop's
own id). Each line is matched on the first of those it fills; lines that match
no customer are reported with their line number and reason, and the rest are
added. "Replace" makes the list exactly the matched customers (the others
leave). Either way the change is one SegmentRefresh with its entered/left rows.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.models import ContactPoint, Customer, CustomerExternalId
from guanxi.lib.parsing import normalise_email, normalise_phone
from guanxi.lib.tables import TableError, open_table
from guanxi.segments.choices import Change, RefreshTrigger
from guanxi.segments.exceptions import ListUploadError, SegmentError
from guanxi.segments.models import SegmentChange, SegmentMembership, SegmentRefresh

COLUMNS = ("email", "phone", "id", "customer_id")
MAX_REPORTED = 200  # unmatched lines listed back; the count is always exact


@dataclass
class ListResult:
    lines: int = 0
    matched: int = 0
    entered: int = 0
    left: int = 0
    unmatched: list = field(default_factory=list)  # (line, value, reason)
    unmatched_count: int = 0

    def miss(self, line, value, reason):
        self.unmatched_count += 1
        if len(self.unmatched) < MAX_REPORTED:
            self.unmatched.append((line, value, reason))


def identifiers_from_file(path) -> list:
    """[(line, column, value)] read from an uploaded file; ListUploadError if unreadable."""
    try:
        table = open_table(path)
    except TableError as error:
        raise ListUploadError(str(error)) from None
    columns = [c for c in COLUMNS if c in table.header]
    if not columns:
        raise ListUploadError(_("%(name)s: the header needs one of the columns %(columns)s") % {
            "name": table.path.name, "columns": ", ".join(COLUMNS)})
    found = []
    try:
        for line, row in table.rows():
            column = next((c for c in columns if str(row.get(c) or "").strip()), None)
            if column:
                found.append((line, column, str(row[column]).strip()))
    except (TableError, UnicodeDecodeError, ValueError) as error:
        raise ListUploadError(str(error)) from None
    return found


def _lookup(column, values) -> dict:
    """{normalised value: customer id} for one identifier column, in one query."""
    if not values:
        return {}
    if column == "id":
        ids = [int(v) for v in values if v.isdigit() and int(v) < 2**63]
        return {str(pk): pk for pk in Customer.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    if column == "customer_id":
        rows = CustomerExternalId.objects.filter(source=settings.DEFAULT_SOURCE, external_id__in=values)
        return dict(rows.values_list("external_id", "customer_id"))
    kind = "email" if column == "email" else "phone"
    return dict(ContactPoint.objects.filter(kind=kind, value__in=values).values_list("value", "customer_id"))


def _normalised(column, value):
    if column == "email":
        return normalise_email(value)
    if column == "phone":
        return normalise_phone(value)
    return value


def match_identifiers(identifiers) -> tuple[set, ListResult]:
    """Customer ids for [(line, column, value)], and the report of what did not match."""
    result, pending = ListResult(lines=len(identifiers)), []
    for line, column, value in identifiers:
        try:
            pending.append((line, column, value, _normalised(column, value)))
        except ValueError as error:
            result.miss(line, value, str(error))
    found = {}
    for column in COLUMNS:
        wanted = {key for _line, col, _value, key in pending if col == column}
        for start in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
            found.setdefault(column, {}).update(_lookup(column, sorted(wanted)[start:start + 900]))
    ids = set()
    for line, column, value, key in pending:
        pk = found.get(column, {}).get(key)
        if pk is None:
            result.miss(line, value, _("no customer with this %(column)s") % {"column": column})
        else:
            ids.add(pk)
    result.matched = len(ids)
    result.unmatched.sort()
    return ids, result


def update_list(segment, customer_ids, result, replace=False, now=None) -> ListResult:
    """Add the customers to a static list (or make it exactly them) in one transaction."""
    if not segment.is_static:
        raise SegmentError(_("Only a static list takes uploaded customers; %(name)s is rule-based.") % {"name": segment.name})
    from guanxi.segments.services import finish_refresh  # services imports nothing from here; kept local to stay so

    now, started = now or timezone.now(), time.perf_counter()
    with transaction.atomic():
        current = set(SegmentMembership.objects.filter(segment=segment).values_list("customer_id", flat=True))
        entered = sorted(set(customer_ids) - current)
        left = sorted(current - set(customer_ids)) if replace else []
        refresh = SegmentRefresh.objects.create(segment=segment, trigger=RefreshTrigger.UPLOAD, at=now, size=0)
        SegmentChange.objects.bulk_create(
            [SegmentChange(refresh=refresh, segment=segment, customer_id=pk, change=Change.ENTERED, at=now) for pk in entered]
            + [SegmentChange(refresh=refresh, segment=segment, customer_id=pk, change=Change.LEFT, at=now) for pk in left],
            batch_size=2000)
        for start in range(0, len(left), 900):
            SegmentMembership.objects.filter(segment=segment, customer_id__in=left[start:start + 900]).delete()
        SegmentMembership.objects.bulk_create(
            [SegmentMembership(segment=segment, customer_id=pk, entered_at=now) for pk in entered], batch_size=2000)
        finish_refresh(segment, refresh, len(entered), len(left), started)
    result.entered, result.left = len(entered), len(left)
    return result


def upload_list(segment, path, replace=False) -> ListResult:
    """Read a file of customers and update the static list from it."""
    ids, result = match_identifiers(identifiers_from_file(path))
    return update_list(segment, ids, result, replace=replace)
