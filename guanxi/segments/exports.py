"""Segment members as CSV or XLSX, row by row (a million members never sit in memory).

Who may export is the view's check (segments.export_segment); every export is
written to the audit log by `export_members` before the first byte leaves.
"""

import csv
import tempfile

from django.db.models import FilteredRelation, Q
from django.utils.translation import gettext as _

from guanxi.accounts.services import record_audit
from guanxi.customers.choices import ConsentStatus
from guanxi.customers.models import Customer
from guanxi.segments.exceptions import ExportTooLarge

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
BATCH = 2000


def columns():
    return [
        ("id", _("Customer id")), ("full_name", _("Name")), ("email", _("E-mail")), ("phone", _("Phone")),
        ("email_consent", _("E-mail consent")), ("country", _("Country")), ("locale", _("Language")),
        ("order_count", _("Orders")), ("total_spent", _("Total spent")), ("last_order_at", _("Last order")),
        ("rfm_segment", _("RFM segment")), ("lifecycle", _("Lifecycle stage")), ("clv", _("Predicted CLV")),
        ("p_alive", _("P(alive)")), ("churn_band", _("Churn risk")), ("value_tier", _("Value tier")),
        ("entered_at", _("Member since")),
    ]


def member_rows(segment):
    """Tuples in `columns()` order, members by id, fetched in batches by key (no OFFSET)."""
    queryset = (
        Customer.objects.filter(segment_memberships__segment=segment)
        .annotate(email_point=FilteredRelation("contact_points", condition=Q(contact_points__kind="email", contact_points__is_primary=True)),
                  phone_point=FilteredRelation("contact_points", condition=Q(contact_points__kind="phone", contact_points__is_primary=True)))
        .values_list("pk", "full_name", "email_point__value", "phone_point__value", "email_point__consent", "country",
                     "locale", "order_count", "total_spent", "last_order_at", "score__rfm_segment", "score__lifecycle",
                     "score__clv", "score__p_alive", "score__churn_band", "score__value_tier",
                     "segment_memberships__entered_at")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        seen = set()
        for row in batch:
            if row[0] in seen:  # two primary points of a kind would repeat a customer
                continue
            seen.add(row[0])
            yield _plain(row)
        last = batch[-1][0]


def _plain(row):
    row = list(row)
    row[4] = str(ConsentStatus(row[4]).label) if row[4] else ""
    row[8] = str(row[8])
    row[9] = row[9].isoformat() if row[9] else ""
    row[12] = round(row[12], 2) if row[12] is not None else ""
    row[13] = round(row[13], 4) if row[13] is not None else ""
    row[16] = row[16].isoformat() if row[16] else ""
    return ["" if v is None else v for v in row]


class _Echo:
    def write(self, value):
        return value


def csv_lines(segment):
    """The export as CSV text chunks (UTF-8 with a BOM so Excel reads Chinese right)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(label) for _key, label in columns()])
    for row in member_rows(segment):
        yield writer.writerow(row)


def xlsx_file(segment):
    """The export as an XLSX file object (openpyxl's write-only mode streams to disk)."""
    import openpyxl

    if segment.size > XLSX_MAX_ROWS:
        raise ExportTooLarge(_("%(n)d members do not fit in one Excel sheet (at most %(max)d): export CSV instead.")
                             % {"n": segment.size, "max": XLSX_MAX_ROWS})
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(segment.name[:31])
    sheet.append([str(label) for _key, label in columns()])
    for row in member_rows(segment):
        sheet.append(row)
    output = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    book.save(output)
    output.seek(0)
    return output


def export_members(segment, fmt, user, request=None):
    """Audit, then return (content, content type, file name); content is an iterator or a file."""
    if fmt not in ("csv", "xlsx"):
        raise ValueError(fmt)
    content = xlsx_file(segment) if fmt == "xlsx" else csv_lines(segment)
    record_audit(user, "segment.export", target=f"segment:{segment.pk}", request=request,
                 summary=_("Exported %(n)d members of %(name)s as %(fmt)s") % {"n": segment.size, "name": segment.name,
                                                                              "fmt": fmt.upper()},
                 format=fmt, members=segment.size, segment=segment.name)
    kinds = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    stamp = (segment.refreshed_at.date().isoformat() if segment.refreshed_at else "list")
    return content, kinds[fmt], f"segment-{segment.pk}-{stamp}.{fmt}"


def csv_text(segment) -> str:
    """The whole CSV as one string (tests, small lists)."""
    return "".join(csv_lines(segment))

