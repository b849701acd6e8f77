"""Segment workflows: preview, save, refresh (materialise), static lists.

Refreshing a rule-based segment, in one transaction:
1. compile the definition to one query of customer ids (compile.py);
2. record who entered (matches, not yet a member) and who left (member, no
   longer matches) as SegmentChange rows: set-based INSERT ... SELECT, so a
   million members cost a few statements, not a million round trips;
3. delete the leavers' memberships and insert the newcomers';
4. store the figures (size, revenue, CLV) on the segment and as a SegmentRefresh.
Two refreshes of one segment at once are serialised by locking the segment row.
"""

import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.models import Customer
from guanxi.segments.choices import Change, RefreshTrigger, SegmentKind
from guanxi.segments.compile import compile_definition
from guanxi.segments.exceptions import SegmentError
from guanxi.segments.models import (
    Segment,
    SegmentChange,
    SegmentMembership,
    SegmentRefresh,
)
from guanxi.segments.rules import clean_definition

CENT = Decimal("0.01")


@dataclass
class Figures:
    customers: int
    revenue: Decimal
    clv: float


def matching_customers(definition, now=None):
    """Customers matching a (cleaned) definition, as a lazy queryset."""
    return Customer.objects.filter(compile_definition(definition, now))


def figures_of(queryset) -> Figures:
    """Size, revenue to date and total predicted CLV: one aggregate query."""
    row = queryset.aggregate(customers=Count("pk"), revenue=Sum("total_spent"), clv=Sum("score__clv"))
    # Sums come back with varying scale (SQLite: 1250, PostgreSQL: 1250.00): money has cents.
    return Figures(row["customers"], Decimal(row["revenue"] or 0).quantize(CENT), float(row["clv"] or 0))


def preview(definition, now=None) -> Figures:
    """What a definition would hold right now (the builder's live figures)."""
    return figures_of(matching_customers(clean_definition(definition), now))


# ---------------------------------------------------------------- save

def _unique_name(name, segment=None):
    name = (name or "").strip()
    if not name:
        raise SegmentError(_("A segment needs a name."))
    others = Segment.objects.filter(name__iexact=name)
    if segment is not None:
        others = others.exclude(pk=segment.pk)
    if others.exists():
        raise SegmentError(_("A segment named %(name)r already exists.") % {"name": name})
    return name[:120]


def save_segment(*, name, definition=None, description="", kind=SegmentKind.DYNAMIC, segment=None, user=None,
                 refresh=True):
    """Create or update a segment; a rule-based one is refreshed at once.

    The definition is checked first (InvalidDefinition lists the problems), so
    nothing is written for a bad one."""
    name = _unique_name(name, segment)
    if kind not in SegmentKind.values:
        raise SegmentError(_("Unknown segment kind %(kind)r.") % {"kind": kind})
    cleaned = clean_definition(definition or {"match": "all", "rules": []}) if kind == SegmentKind.DYNAMIC else {}
    if segment is not None and segment.kind != kind:
        raise SegmentError(_("A segment cannot change between rules and a static list."))
    with transaction.atomic():
        segment = segment or Segment(kind=kind, created_by=user)
        segment.name, segment.description, segment.definition = name, (description or "").strip(), cleaned
        segment.save()
    if refresh and kind == SegmentKind.DYNAMIC:
        refresh_segment(segment, trigger=RefreshTrigger.SAVE)
    return segment


def delete_segment(segment):
    segment.delete()


# ---------------------------------------------------------------- refresh

def refresh_segment(segment, trigger=RefreshTrigger.MANUAL, now=None) -> SegmentRefresh:
    """Materialise a rule-based segment's members now (steps: module docstring)."""
    if segment.is_static:
        raise SegmentError(_("A static list changes only by upload; it has no rules to refresh."))
    now = now or timezone.now()
    started = time.perf_counter()
    definition = clean_definition(segment.definition)
    with transaction.atomic(), connection.cursor() as cursor:
        Segment.objects.select_for_update().filter(pk=segment.pk).first()  # one refresh at a time
        refresh = SegmentRefresh.objects.create(segment=segment, trigger=trigger, at=now, size=0)
        _collect_matching(cursor, matching_customers(definition, now).values("pk"))
        try:
            entered, left = _apply_changes(cursor, refresh, now)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {MATCHING}")
        return finish_refresh(segment, refresh, entered, left, started)


# The ids matching the rules, computed once per refresh into a temporary table
# with a primary key: both differences against the members are then index
# look-ups (NOT EXISTS), never a NOT IN over a million ids, which PostgreSQL
# re-reads per row once the list outgrows work_mem.
MATCHING = "segment_matching_ids"


def _collect_matching(cursor, customer_ids):
    select, params = customer_ids.order_by().query.get_compiler(connection=connection).as_sql()
    cursor.execute(f"DROP TABLE IF EXISTS {MATCHING}")
    cursor.execute(f"CREATE TEMPORARY TABLE {MATCHING} (id bigint PRIMARY KEY)")
    # ids.*: the subquery's one column, whatever name each database gives it.
    cursor.execute(f"INSERT INTO {MATCHING} (id) SELECT ids.* FROM ({select}) ids", params)


def _apply_changes(cursor, refresh, now) -> tuple[int, int]:
    """Record who entered and who left, then update the memberships; returns the two counts."""
    changes, members = SegmentChange._meta.db_table, SegmentMembership._meta.db_table
    segment_id = refresh.segment_id
    cursor.execute(
        f"INSERT INTO {changes} (customer_id, refresh_id, segment_id, change, at) "
        f"SELECT m.id, %s, %s, %s, %s FROM {MATCHING} m WHERE NOT EXISTS "
        f"(SELECT 1 FROM {members} s WHERE s.segment_id = %s AND s.customer_id = m.id)",
        [refresh.pk, segment_id, Change.ENTERED.value, now, segment_id])
    entered = cursor.rowcount
    cursor.execute(
        f"INSERT INTO {changes} (customer_id, refresh_id, segment_id, change, at) "
        f"SELECT s.customer_id, %s, %s, %s, %s FROM {members} s WHERE s.segment_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {MATCHING} m WHERE m.id = s.customer_id)",
        [refresh.pk, segment_id, Change.LEFT.value, now, segment_id])
    left = cursor.rowcount
    if left:
        cursor.execute(f"DELETE FROM {members} WHERE segment_id = %s AND NOT EXISTS "
                       f"(SELECT 1 FROM {MATCHING} m WHERE m.id = {members}.customer_id)", [segment_id])
    if entered:
        cursor.execute(f"INSERT INTO {members} (customer_id, segment_id, entered_at) SELECT customer_id, %s, %s "
                       f"FROM {changes} WHERE refresh_id = %s AND change = %s",
                       [segment_id, now, refresh.pk, Change.ENTERED.value])
    return entered, left


def finish_refresh(segment, refresh, entered, left, started) -> SegmentRefresh:
    figures = figures_of(Customer.objects.filter(segment_memberships__segment=segment))
    refresh.size, refresh.revenue, refresh.clv = figures.customers, figures.revenue, figures.clv
    refresh.entered, refresh.left, refresh.seconds = entered, left, round(time.perf_counter() - started, 3)
    refresh.save()
    Segment.objects.filter(pk=segment.pk).update(size=figures.customers, revenue=figures.revenue, clv=figures.clv,
                                                 refreshed_at=refresh.at)
    segment.size, segment.revenue, segment.clv, segment.refreshed_at = (figures.customers, figures.revenue,
                                                                        figures.clv, refresh.at)
    return refresh


def refresh_all(trigger=RefreshTrigger.SCHEDULE) -> list:
    """Refresh every rule-based segment; one that fails is reported, the rest go on."""
    results = []
    for segment in Segment.objects.filter(kind=SegmentKind.DYNAMIC).order_by("pk"):
        try:
            results.append((segment, refresh_segment(segment, trigger=trigger), None))
        except SegmentError as error:
            results.append((segment, None, str(error)))
    return results
