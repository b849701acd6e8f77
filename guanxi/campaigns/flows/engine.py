"""Run the flows: enrol from triggers, then advance the enrolments that are due.

`tick(now)` is what the periodic task calls:
1. each ACTIVE flow's trigger enrols its new customers (triggers.py);
2. the ids of due enrolments (ACTIVE, next_run_at <= now, flow ACTIVE) are read
   from the `enrolment_due` index - waiting ones are never loaded;
3. they are advanced a thousand at a time, each batch in one transaction that
   first claims its rows again (`select_for_update(skip_locked=True)` on
   PostgreSQL; SQLite transactions here are IMMEDIATE, so one writer at a time)
   with the due condition repeated, so a second tick running at the same moment
   skips what the first took; what the steps made is then bulk-inserted
   (messages and tasks with ignore_conflicts: their keys make a re-run harmless)
   and the enrolments are bulk-updated.
A paused flow keeps its enrolments where they are: they are simply not due to it.
"""

import json
import logging
import time

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus, StepOutcome
from guanxi.campaigns.flows import steps as flow_steps
from guanxi.campaigns.flows import triggers
from guanxi.campaigns.flows.definition import Plan, clean_flow
from guanxi.campaigns.models import Enrolment, Flow, Message, StepRun, Task
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order
from guanxi.customers.models import Customer, Tag

BATCH = 1000
logger = logging.getLogger(__name__)
SAVED_FIELDS = ["status", "step", "path", "next_run_at", "variant", "attempts", "last_error", "finished_at"]


def tick(now=None) -> dict:
    """Enrol and advance every active flow; returns the figures of this tick."""
    now = now or timezone.now()
    started = time.perf_counter()
    flows = {flow.pk: flow for flow in Flow.objects.filter(status=FlowStatus.ACTIVE)}
    figures = {"flows": len(flows), "enrolled": 0, "advanced": 0, "completed": 0, "goal": 0, "failed": 0,
               "retry": 0, "messages": 0, "errors": 0}
    for flow in flows.values():
        try:
            figures["enrolled"] += triggers.enrol(flow, now)
        except Exception:  # one broken trigger must not stop the other flows; the next tick tries again
            logger.exception("flow %s: enrolling failed", flow.pk)
            figures["errors"] += 1
    plans = {pk: Plan.of(flow.steps) for pk, flow in flows.items()}
    due = _due_ids(flows, now)
    for start in range(0, len(due), BATCH):
        try:
            _add(figures, _advance_batch(due[start:start + BATCH], flows, plans, now))
        except Exception:  # the batch rolled back whole: its enrolments stay due for the next tick
            logger.exception("flows: a batch of %d enrolments failed", len(due[start:start + BATCH]))
            figures["errors"] += 1
    figures["seconds"] = round(time.perf_counter() - started, 3)
    return figures


def _due_ids(flows, now):
    if not flows:
        return []
    due = Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, next_run_at__lte=now, flow_id__in=list(flows))
    return sorted(due.values_list("id", flat=True))


def _add(figures, batch_figures):
    for key, value in batch_figures.items():
        figures[key] += value


def _advance_batch(ids, flows, plans, now):
    with transaction.atomic():
        enrolments = _claim(ids, flows, now)
        batch = flow_steps.Batch(now=now, customer_ids=tuple({e.customer_id for e in enrolments}))
        batch.goal_orders = _goal_orders([e for e in enrolments if flows[e.flow_id].goal_order])
        for enrolment in enrolments:
            flow_steps.advance(enrolment, flows[enrolment.flow_id], plans[enrolment.flow_id], batch)
        messages = _write(batch, enrolments)
    return {"advanced": len(enrolments), "messages": messages,
            "completed": sum(e.status == EnrolmentStatus.COMPLETED for e in enrolments),
            "goal": sum(e.status == EnrolmentStatus.GOAL for e in enrolments),
            "failed": sum(e.status == EnrolmentStatus.FAILED for e in enrolments),
            "retry": sum(r.outcome == StepOutcome.RETRY for r in batch.runs)}


def _claim(ids, flows, now):
    """The enrolments of `ids` that are still due, locked for this transaction."""
    rows = Enrolment.objects.filter(pk__in=ids, status=EnrolmentStatus.ACTIVE, next_run_at__lte=now,
                                    flow_id__in=list(flows)).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows)


def _goal_orders(enrolments):
    """{customer id: [(order id, ordered at)]} for orders after the earliest entry of the batch."""
    if not enrolments:
        return {}
    since = min(e.entered_at for e in enrolments)
    found = {}
    orders = (Order.objects.filter(customer_id__in={e.customer_id for e in enrolments}, ordered_at__gt=since)
              .exclude(status=OrderStatus.CANCELLED).values_list("customer_id", "id", "ordered_at"))
    for customer, order, at in orders:
        found.setdefault(customer, []).append((order, at))
    return found


def _write(batch, enrolments) -> int:
    """Insert what the steps made and save the enrolments; returns how many messages were new."""
    added = 0
    if batch.messages:
        keys = [m.key for m in batch.messages]
        before = Message.objects.filter(key__in=keys).count()
        Message.objects.bulk_create(batch.messages, ignore_conflicts=True, batch_size=500)
        added = Message.objects.filter(key__in=keys).count() - before
    if batch.tasks:
        Task.objects.bulk_create(batch.tasks, ignore_conflicts=True)  # one task per enrolment and step (unique)
    if batch.tags:
        _add_tags(batch.tags)
    StepRun.objects.bulk_create(batch.runs, batch_size=500)
    _save_enrolments(enrolments)
    return added


def _save_enrolments(enrolments):
    """One UPDATE per distinct new state: the enrolments of a batch mostly end in the same
    state (same step, same wake-up time), and bulk_update's CASE per row and field
    was 80% of a tick's time."""
    groups = {}
    for enrolment in enrolments:
        values = {name: getattr(enrolment, name) for name in SAVED_FIELDS}
        key = tuple(json.dumps(v, sort_keys=True, default=str) for v in values.values())
        groups.setdefault(key, (values, []))[1].append(enrolment.pk)
    for values, ids in groups.values():
        Enrolment.objects.filter(pk__in=ids).update(**values)


def _add_tags(pairs):
    names = {name for _customer, name in pairs}
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    through = Customer.tags.through
    through.objects.bulk_create([through(customer_id=customer, tag_id=ids[name]) for customer, name in set(pairs)],
                                ignore_conflicts=True)


def activate(flow, now=None) -> Flow:
    """Check the flow and start it: from now on its trigger enrols (history does not).

    Activating a flow that is already active only checks it: its trigger keeps reading
    from where it was, so events not yet enrolled are not skipped."""
    now = now or timezone.now()
    clean_flow(flow)  # raises InvalidFlow listing every problem
    if flow.status == FlowStatus.ACTIVE and flow.pk and Flow.objects.filter(pk=flow.pk, status=FlowStatus.ACTIVE).exists():
        return flow
    flow.cursor = triggers.starting_cursor(flow, now)
    flow.status, flow.activated_at = FlowStatus.ACTIVE, now
    flow.save(update_fields=["cursor", "status", "activated_at", "updated_at"])
    return flow


def pause(flow) -> Flow:
    """Stop enrolling and advancing; enrolments stay where they are until activation."""
    flow.status = FlowStatus.PAUSED
    flow.save(update_fields=["status", "updated_at"])
    return flow


def retry(enrolment_ids, now=None) -> int:
    """Put FAILED enrolments back on their failed step, due now; returns how many."""
    now = now or timezone.now()
    return Enrolment.objects.filter(pk__in=list(enrolment_ids), status=EnrolmentStatus.FAILED).update(
        status=EnrolmentStatus.ACTIVE, attempts=0, last_error="", finished_at=None, next_run_at=now)


def oldest_due(now=None):
    """When the oldest due enrolment became due (for a health check), or None."""
    now = now or timezone.now()
    return (Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, next_run_at__lte=now,
                                     flow__status=FlowStatus.ACTIVE).aggregate(at=Min("next_run_at"))["at"])
