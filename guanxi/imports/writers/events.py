"""Browsing and cart events. Events without an id get one from their content,
so re-sending the same event is recognised."""

import hashlib

from django.utils.translation import gettext as _

from guanxi.commerce.choices import EventType
from guanxi.commerce.models import Event
from guanxi.customers.choices import TimelineKind
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.imports.matching import CustomerMatcher, ref_of
from guanxi.imports.writers import Outcome
from guanxi.imports.writers.catalogue import product_ids
from guanxi.lib.bulk import insert_rows

EVENT_COLUMNS = ("source", "external_id", "customer", "event_type", "occurred_at", "product", "sku", "session_id")
TIMELINE_COLUMNS = ("customer", "kind", "occurred_at", "ref", "summary", "data")
TIMELINE_KIND = {EventType.VIEW: TimelineKind.VISIT, EventType.SEARCH: TimelineKind.VISIT}


class EventWriter:
    def __init__(self, run):
        self.run = run
        self.matcher = CustomerMatcher(run.source)

    def write(self, rows):
        out = Outcome()
        ids = {row: row.record.get("event_id") or _content_id(row.record) for row in rows}
        existing = set(Event.objects.filter(source=self.run.source, external_id__in=set(ids.values())).values_list("external_id", flat=True))
        fresh, seen = [], {}
        for row in rows:
            event_id = ids[row]
            if event_id in seen:
                out.reject(row, "event_id", _("duplicate event_id %(id)s (first on line %(line)d)") % {"id": event_id, "line": seen[event_id]})
            elif event_id in existing:
                out.unchanged += 1  # an event is a fact in time: it never changes
            else:
                fresh.append(row)
            seen.setdefault(event_id, row.line)
        if fresh:
            self._create(fresh, ids)
        out.created += len(fresh)
        return out

    def _create(self, rows, ids):
        source = self.run.source
        customers = self.matcher.resolve({ref_of(r.record) for r in rows}, lambda ref: Customer(source=source))
        products = product_ids({r.record.get("sku") for r in rows})
        insert_rows(Event, EVENT_COLUMNS, [
            (source, ids[r], customers[ref_of(r.record)], r.record["event_type"], r.record["occurred_at"],
             products.get(r.record.get("sku")), r.record.get("sku") or "", r.record.get("session_id") or "")
            for r in rows])
        pks = dict(Event.objects.filter(source=source, external_id__in=[ids[r] for r in rows]).values_list("external_id", "pk"))
        insert_rows(TimelineEntry, TIMELINE_COLUMNS, [
            (customers[ref_of(r.record)], TIMELINE_KIND.get(r.record["event_type"], TimelineKind.CART), r.record["occurred_at"],
             f"event:{pks[ids[r]]}", r.record.get("sku") or "", {"event_type": r.record["event_type"]})
            for r in rows])  # refs name events created just now: nothing to conflict with


def _content_id(record):
    key = "|".join(str(record.get(k) or "") for k in ("event_type", "customer_id", "customer_email", "customer_phone", "occurred_at", "sku", "session_id"))
    return "h" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:32]
