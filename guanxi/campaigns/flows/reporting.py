"""Figures for the flow pages: enrolments by status, messages per flow, and what
each step did. Every function runs a fixed number of grouped queries, however
many flows or steps there are, so the list and the report never go N+1."""

from django.db.models import Count, Q, Sum

from guanxi.campaigns import services
from guanxi.campaigns.choices import (
    EnrolmentStatus,
    EventKind,
    MessageStatus,
    StepOutcome,
)
from guanxi.campaigns.flows.definition import CHILDREN
from guanxi.campaigns.models import AttributedOrder, Enrolment, Message, StepRun


def enrolments_by_status(flow_ids) -> dict:
    """{flow id: {status: count, ..., "total": count}}, every status present (0 if none)."""
    counts = {pk: dict.fromkeys([*EnrolmentStatus.values, "total"], 0) for pk in flow_ids}
    rows = (Enrolment.objects.filter(flow_id__in=list(flow_ids)).values_list("flow_id", "status")
            .annotate(n=Count("id")).order_by())
    for flow_id, status, n in rows:
        counts[flow_id][status] = n
        counts[flow_id]["total"] += n
    return counts


def message_figures(flow_ids) -> dict:
    """{flow id: {"sent", "opened", "clicked", "revenue"}} for the flow list (two queries)."""
    figures = {pk: {"sent": 0, "opened": 0, "clicked": 0, "revenue": 0} for pk in flow_ids}
    rows = (Message.objects.filter(flow_id__in=list(flow_ids)).values("flow_id").order_by()
            .annotate(sent=Count("id", filter=Q(status=MessageStatus.SENT)),
                      opened=Count("id", filter=Q(opened_at__isnull=False)),
                      clicked=Count("id", filter=Q(clicked_at__isnull=False))))
    for row in rows:
        figures[row.pop("flow_id")].update(row)
    revenue = (AttributedOrder.objects.filter(message__flow_id__in=list(flow_ids)).values_list("message__flow_id")
               .annotate(total=Sum("order__total")).order_by())
    for flow_id, total in revenue:
        figures[flow_id]["revenue"] = total or 0
    return figures


def flow_report(flow) -> dict:
    """The report's figures: enrolments by status and the messages' figures (services.report),
    plus "delivered": sent and not bounced."""
    messages = Message.objects.filter(flow=flow)
    figures = services.report(messages)
    bounced = messages.filter(status=MessageStatus.SENT, events__kind=EventKind.BOUNCED).values("id").distinct().count()
    figures["delivered"] = figures["sent"] - bounced
    figures["enrolments"] = enrolments_by_status([flow.pk])[flow.pk]
    return figures


def step_rows(flow) -> list:
    """One row per step, in reading order: the step, its depth and lane ("yes", "a"...), how many
    enrolments are on it (active, failed) and its step runs per outcome (in StepOutcome's order). Steps that enrolments or
    runs still name but the flow no longer has come last, with `removed` set."""
    on_step = {}
    for step, status, n in (Enrolment.objects.filter(flow=flow, status__in=[EnrolmentStatus.ACTIVE, EnrolmentStatus.FAILED])
                            .values_list("step", "status").annotate(n=Count("id")).order_by()):
        on_step.setdefault(step, {})[status] = n
    outcomes = {}
    for step, outcome, n in (StepRun.objects.filter(enrolment__flow=flow).values_list("step", "outcome")
                             .annotate(n=Count("id")).order_by()):
        outcomes.setdefault(step, {})[outcome] = n
    rows = list(_walk(flow.steps or []))
    for row in rows:
        row.update(_counts(row["id"], on_step, outcomes))
    shown = {row["id"] for row in rows}
    for step_id in sorted((set(on_step) | set(outcomes)) - shown - {""}):
        rows.append({"id": step_id, "step": {}, "kind": "", "depth": 0, "lane": "", "removed": True,
                     **_counts(step_id, on_step, outcomes)})
    return rows


def _walk(steps, depth=0, lane=""):
    for step in steps:
        if not isinstance(step, dict):
            continue
        yield {"id": step.get("id", ""), "step": step, "kind": step.get("kind", ""), "depth": depth, "lane": lane,
               "removed": False}
        for key in CHILDREN.get(step.get("kind"), ()):
            yield from _walk(step.get(key) or [], depth + 1, key)


def _counts(step_id, on_step, outcomes):
    here = on_step.get(step_id, {})
    return {"active": here.get(EnrolmentStatus.ACTIVE, 0), "failed": here.get(EnrolmentStatus.FAILED, 0),
            "outcomes": [outcomes.get(step_id, {}).get(outcome, 0) for outcome in StepOutcome.values]}
