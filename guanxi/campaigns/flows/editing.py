"""Change a flow's definition safely: what the editor and the API both call.

Steps can be edited while a flow is active (ids are never reused), but a step
that enrolments are waiting on cannot be removed: they would fail at the next
tick. The problems come back in the same shape as `clean_steps`' so the editor
marks the step and an API client reads which one.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus
from guanxi.campaigns.flows.definition import (
    InvalidFlow,
    all_step_ids,
    clean_steps,
    trigger_problems,
)
from guanxi.campaigns.models import Enrolment, Flow

EDITABLE = ("name", "description", "trigger", "trigger_config", "re_entry", "re_entry_days", "goal_order")


def step_ids(steps) -> set:
    """Every step id in a (possibly nested) list of steps."""
    return set(all_step_ids(steps or []))


def waiting_on(flow, ids) -> dict:
    """How many live enrolments (active or failed, which a retry revives) stand on each of `ids`."""
    if not ids or flow.pk is None:
        return {}
    rows = (Enrolment.objects.filter(flow=flow, step__in=list(ids),
                                     status__in=[EnrolmentStatus.ACTIVE, EnrolmentStatus.FAILED])
            .values_list("step").annotate(n=Count("id")).order_by())
    return dict(rows)


def save_flow(flow, *, steps=None, user=None, **fields) -> Flow:
    """Validate and save a new or changed flow; raises InvalidFlow with every problem found.

    `fields` are among EDITABLE. Trigger settings are checked here only for a flow
    that is already active (a draft may be saved half-done; activation checks all).
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    problems = []
    for key, value in fields.items():
        setattr(flow, key, value)
    if steps is not None:
        problems += _step_problems(flow, steps)
        flow.steps = steps
    if not (flow.name or "").strip():
        problems.append({"field": "name", "reason": _("give the flow a name")})
    elif Flow.objects.filter(name=flow.name.strip()).exclude(pk=flow.pk).exists():
        problems.append({"field": "name", "reason": _("a flow with this name already exists")})
    if flow.status == FlowStatus.ACTIVE:
        problems += trigger_problems(flow.trigger, flow.trigger_config or {})
    if problems:
        raise InvalidFlow(problems)
    flow.name = flow.name.strip()
    if flow.pk is None and user is not None and user.is_authenticated:
        flow.created_by = user
    try:
        with transaction.atomic():
            flow.save()
    except IntegrityError:  # name is the flow's only unique column: saved by someone else since the check
        raise InvalidFlow([{"field": "name", "reason": _("a flow with this name already exists")}]) from None
    return flow


def _step_problems(flow, steps):
    problems = []
    try:
        clean_steps(steps)
    except InvalidFlow as exc:
        problems += exc.problems
    removed = step_ids(flow.steps) - step_ids(steps) if flow.pk else set()
    for step, count in sorted(waiting_on(flow, removed).items()):
        problems.append({"field": "steps", "reason": ngettext(
            "step %(id)s cannot be removed: %(n)d enrolment is on it",
            "step %(id)s cannot be removed: %(n)d enrolments are on it", count) % {"id": step, "n": count}})
    return problems
