"""What each step kind does for one enrolment, and how an enrolment moves on.

`advance(enrolment, flow, plan, batch)` runs the enrolment's steps from its
current one until a wait puts it to sleep, the flow ends, the goal is reached or
a step fails. Steps do not write rows themselves: they add what they make
(messages, step runs, tasks, tags) to the `Batch`, which the engine writes with
a few bulk inserts per thousand enrolments, inside the transaction that claimed
them. Messages and tasks are unique per enrolment and step, so a step that runs
again (a retried batch) adds nothing twice.

A step that raises is retried with back-off (2, 4, 8, 16 minutes); the fifth
failure moves the enrolment to FAILED, the flow's error queue (`engine.retry`).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.campaigns import policy
from guanxi.campaigns.choices import (
    Channel,
    EnrolmentStatus,
    Purpose,
    StepKind,
    StepOutcome,
)
from guanxi.campaigns.models import Message, MessageTemplate, StepRun, Task
from guanxi.customers.models import Customer
from guanxi.segments.compile import compile_definition

MAX_ATTEMPTS = 5
MAX_STEPS_PER_RUN = 100  # a flow is a tree, so this only guards against a bug
DEFAULT_PRIORITY, DEFAULT_RELEVANT_HOURS = 5, 48


class StepError(Exception):
    """A step cannot run as defined (its template was deleted...)."""


@dataclass
class Outcome:
    outcome: str = StepOutcome.DONE
    detail: str = ""
    next: str | None = None  # where to go; None = the step that follows in the plan
    resume_at: dt.datetime | None = None  # a wait: sleep until then


@dataclass
class Batch:
    """What the steps of one batch of enrolments made, written together by the engine."""

    now: dt.datetime
    messages: list = field(default_factory=list)
    runs: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    tags: list = field(default_factory=list)  # (customer id, tag name)
    goal_orders: dict = field(default_factory=dict)  # customer id -> [(order id, ordered at)]
    customer_ids: tuple = ()
    _zones: dict | None = None
    _templates: dict = field(default_factory=dict)

    def zone_of(self, customer_id):
        if self._zones is None:  # one query for the batch, only when a step needs a clock
            rows = Customer.objects.filter(pk__in=self.customer_ids).values_list("pk", "time_zone")
            self._zones = {pk: policy.customer_zone(Customer(time_zone=zone)) for pk, zone in rows}
        return self._zones.get(customer_id) or policy.customer_zone(Customer())

    def template(self, template_id):
        if template_id not in self._templates:
            self._templates[template_id] = MessageTemplate.objects.filter(pk=template_id).first()
        found = self._templates[template_id]
        if found is None:
            raise StepError(_("template %(id)s no longer exists") % {"id": template_id})
        return found

    def record(self, enrolment, step_id, kind, outcome, detail=""):
        self.runs.append(StepRun(enrolment_id=enrolment.pk, step=step_id or "", kind=kind or "",
                                 outcome=outcome, detail=str(detail)[:500], at=self.now))


def advance(enrolment, flow, plan, batch) -> None:
    """Run the enrolment's due steps; changes the enrolment in memory (the engine saves it)."""
    if flow.goal_order and reached_goal(enrolment, batch):
        batch.record(enrolment, enrolment.step, _kind(plan, enrolment.step), StepOutcome.SKIPPED, _("goal reached: an order was placed"))
        return _finish(enrolment, EnrolmentStatus.GOAL, batch.now)
    for _turn in range(MAX_STEPS_PER_RUN):
        if not enrolment.step:
            return _finish(enrolment, EnrolmentStatus.COMPLETED, batch.now)
        step = plan.by_id.get(enrolment.step)
        try:
            if step is None:
                raise StepError(_("step %(id)s is no longer in the flow") % {"id": enrolment.step})
            outcome = run_step(step, enrolment, flow, plan, batch)
        except Exception as exc:  # noqa: BLE001 - any failure goes to the retry/error queue, with its text
            return _retry_later(enrolment, step, exc, batch)
        batch.record(enrolment, step["id"], step["kind"], outcome.outcome, outcome.detail)
        enrolment.path = [*(enrolment.path or []), step["id"]]
        enrolment.attempts, enrolment.last_error = 0, ""
        enrolment.step = (outcome.next if outcome.next is not None else plan.follows[step["id"]]) or ""
        if outcome.resume_at:
            enrolment.next_run_at = outcome.resume_at
            return None
    raise RuntimeError(f"enrolment {enrolment.pk} ran {MAX_STEPS_PER_RUN} steps in one go")


def reached_goal(enrolment, batch) -> bool:
    """Did the customer order after entering (the order that enrolled them does not count)?"""
    trigger_order = (enrolment.context or {}).get("order")
    return any(at > enrolment.entered_at and order != trigger_order
               for order, at in batch.goal_orders.get(enrolment.customer_id, ()))


def _kind(plan, step_id):
    return plan.by_id.get(step_id, {}).get("kind", "")


def _finish(enrolment, status, now):
    enrolment.status, enrolment.finished_at, enrolment.next_run_at = status, now, None


def _retry_later(enrolment, step, exc, batch):
    enrolment.attempts += 1
    enrolment.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    kind = step["kind"] if step else ""
    if enrolment.attempts >= MAX_ATTEMPTS:
        batch.record(enrolment, enrolment.step, kind, StepOutcome.FAILED, enrolment.last_error)
        enrolment.status, enrolment.finished_at, enrolment.next_run_at = EnrolmentStatus.FAILED, batch.now, None
        return
    enrolment.next_run_at = batch.now + dt.timedelta(minutes=2 ** enrolment.attempts)
    batch.record(enrolment, enrolment.step, kind, StepOutcome.RETRY, enrolment.last_error)


def run_step(step, enrolment, flow, plan, batch) -> Outcome:
    return HANDLERS[step["kind"]](step, enrolment, flow, plan, batch)


def _wait(step, enrolment, flow, plan, batch):
    resume = batch.now + dt.timedelta(days=step.get("days", 0), hours=step.get("hours", 0))
    if "until_hour" in step:
        resume = next_local_hour(resume, step["until_hour"], batch.zone_of(enrolment.customer_id))
    return Outcome(StepOutcome.WAITING, _("until %(at)s") % {"at": resume.isoformat(timespec="minutes")}, resume_at=resume)


def next_local_hour(moment, hour, zone):
    """The first `hour`:00 on the customer's clock at or after `moment`."""
    local = moment.astimezone(zone)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target < local:
        target = (local + dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    # Re-attach the zone after the date moved so a DST change lands on the right wall-clock hour.
    return target.replace(tzinfo=zone).astimezone(dt.UTC)


def _branch(step, enrolment, flow, plan, batch):
    # A savepoint: a failing query must not abort the batch's transaction on PostgreSQL.
    with transaction.atomic():
        matches = Customer.objects.filter(compile_definition(step["condition"], now=batch.now),
                                          pk=enrolment.customer_id).exists()
    key = "yes" if matches else "no"
    return Outcome(detail=key, next=plan.entry(step, key))


def split_variant(flow_id, enrolment_id, share_a) -> str:
    """"A" or "B", the same every time for an enrolment (a hash, not random)."""
    bucket = int(hashlib.sha256(f"{flow_id}:{enrolment_id}".encode()).hexdigest()[:8], 16) % 100
    return "A" if bucket < share_a else "B"


def _split(step, enrolment, flow, plan, batch):
    enrolment.variant = split_variant(flow.pk, enrolment.pk, step.get("share_a", 50))
    return Outcome(detail=enrolment.variant, next=plan.entry(step, enrolment.variant.lower()))


def message_key(flow, enrolment, step):
    return f"flow:{flow.pk}:e:{enrolment.pk}:s:{step['id']}"


def _send(step, enrolment, flow, plan, batch):
    template = batch.template(step.get("template"))
    context = dict(enrolment.context or {})
    if step.get("coupon_code"):
        context["coupon_code"] = step["coupon_code"]
    batch.messages.append(Message(
        key=message_key(flow, enrolment, step), customer_id=enrolment.customer_id, channel=template.channel,
        purpose=template.purpose, template=template, flow=flow, flow_step=step["id"], variant=enrolment.variant,
        context=context, priority=step.get("priority", DEFAULT_PRIORITY), not_before=batch.now,
        expires_at=batch.now + dt.timedelta(hours=step.get("relevant_hours", DEFAULT_RELEVANT_HOURS)),
    ))
    return Outcome(detail=template.name)


def _tag(step, enrolment, flow, plan, batch):
    batch.tags.append((enrolment.customer_id, step["tag"].strip()))
    return Outcome(detail=step["tag"].strip())


def _task(step, enrolment, flow, plan, batch):
    batch.tasks.append(Task(customer_id=enrolment.customer_id, title=step["title"][:200], assignee_id=step.get("assignee"),
                            due_at=batch.now + dt.timedelta(days=step.get("due_days", 1)), enrolment_id=enrolment.pk,
                            step=step["id"]))
    return Outcome(detail=step["title"][:200])


def _webhook(step, enrolment, flow, plan, batch):
    payload = {"flow": flow.pk, "step": step["id"], "enrolment": enrolment.pk, "customer": enrolment.customer_id,
               "occurrence": enrolment.occurrence, "context": enrolment.context or {}, **(step.get("payload") or {})}
    batch.messages.append(Message(
        key=message_key(flow, enrolment, step), customer_id=enrolment.customer_id, channel=Channel.WEBHOOK,
        # Not marketing: it tells another system, so neither consent nor the contact budget applies.
        purpose=Purpose.TRANSACTIONAL, flow=flow, flow_step=step["id"], variant=enrolment.variant,
        context={"url": step["url"], "payload": payload}, priority=step.get("priority", DEFAULT_PRIORITY),
        not_before=batch.now, expires_at=batch.now + dt.timedelta(hours=step.get("relevant_hours", DEFAULT_RELEVANT_HOURS)),
    ))
    return Outcome(detail=step["url"][:500])


def _points(step, enrolment, flow, plan, batch):
    # The loyalty app does not exist yet: the journey goes on without the points.
    return Outcome(StepOutcome.SKIPPED, _("loyalty not installed"))


HANDLERS = {StepKind.WAIT: _wait, StepKind.BRANCH: _branch, StepKind.SPLIT: _split, StepKind.SEND: _send,
            StepKind.TAG: _tag, StepKind.TASK: _task, StepKind.WEBHOOK: _webhook, StepKind.POINTS: _points}
