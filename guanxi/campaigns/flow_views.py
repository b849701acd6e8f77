"""Flow pages: the list, ready-made flows, a flow's settings, the visual editor
(htmx) and the report, and retrying failed enrolments. Thin: the rules are in
flows/ (editing.save_flow validates, engine starts, pauses and retries)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from guanxi.campaigns import flow_forms
from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus, StepKind, StepOutcome
from guanxi.campaigns.flow_forms import FlowForm
from guanxi.campaigns.flows import engine, presets, reporting
from guanxi.campaigns.flows.definition import InvalidFlow
from guanxi.campaigns.flows.editing import save_flow
from guanxi.campaigns.models import Enrolment, Flow, MessageTemplate
from guanxi.campaigns.views import bar_chart
from guanxi.commerce.models import Category
from guanxi.customers.models import Tag
from guanxi.segments.fields import builder_groups

LATEST_ENROLMENTS = 50
FAILED_SHOWN = 100


# ---------------------------------------------------------------- list and presets

@permission_required("campaigns.view_flow", raise_exception=True)
def flow_list(request):
    flows = list(Flow.objects.order_by("name"))
    ids = [flow.pk for flow in flows]
    enrolments, figures = reporting.enrolments_by_status(ids), reporting.message_figures(ids)
    rows = [{"flow": flow, "enrolments": enrolments[flow.pk], "figures": figures[flow.pk]} for flow in flows]
    return render(request, "campaigns/flow_list.html", {"rows": rows})


@require_POST
@permission_required("campaigns.add_flow", raise_exception=True)
def flow_presets(request):
    before = Flow.objects.count()
    presets.install_presets()
    added = Flow.objects.count() - before
    if added:
        messages.success(request, ngettext("%(n)s ready-made flow added as a draft.",
                                           "%(n)s ready-made flows added as drafts.", added) % {"n": added})
    else:
        messages.info(request, _("The ready-made flows are already here: nothing was added."))
    return redirect("campaigns:flows")


# ---------------------------------------------------------------- settings

@permission_required("campaigns.add_flow", raise_exception=True)
def flow_new(request):
    return _settings(request, None)


@permission_required("campaigns.change_flow", raise_exception=True)
def flow_settings(request, pk):
    return _settings(request, get_object_or_404(Flow, pk=pk))


def _settings(request, flow):
    if request.method == "POST" and request.POST.get("redraw"):
        # htmx: the trigger changed; draw the settings that trigger reads, no errors yet.
        initial = {**request.POST.dict(), "goal_order": "goal_order" in request.POST}
        form = FlowForm(initial=initial, flow=flow)
        return render(request, "campaigns/flow_form.html#settings", {"form": form})
    form = FlowForm(request.POST or None, flow=flow)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_flow(flow or Flow(status=FlowStatus.DRAFT), user=request.user, **form.settings_for())
        except InvalidFlow as error:
            for problem in error.problems:
                name = problem["field"].removeprefix("trigger_config.")
                form.add_error(name if name in form.fields else None, problem["reason"])
        else:
            messages.success(request, _("Flow %(name)s saved. Now add its steps.") % {"name": saved.name}
                             if flow is None else _("Settings of %(name)s saved.") % {"name": saved.name})
            return redirect("campaigns:flow_edit", saved.pk)
    return render(request, "campaigns/flow_form.html", {"form": form, "flow": flow})


# ---------------------------------------------------------------- the editor

def _editor_context(flow, steps, problems=()):
    cards, summary = flow_forms.editor_cards(steps, problems)
    return {"flow": flow, "cards": cards, "summary": summary, "steps_json": json.dumps(steps),
            "kinds": StepKind.choices, "hours": range(24),
            "templates": MessageTemplate.objects.order_by("name").only("pk", "name", "channel"),
            "users": flow_forms.assignees(), "field_groups": builder_groups(),
            "categories": list(Category.objects.order_by("name").values_list("pk", "name")[:500]),
            "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])}


@permission_required("campaigns.change_flow", raise_exception=True)
def flow_edit(request, pk):
    """The editor page; its Save and Activate buttons post the whole editor here."""
    flow = get_object_or_404(Flow, pk=pk)
    if request.method != "POST":
        return render(request, "campaigns/flow_edit.html", _editor_context(flow, flow.steps or []))
    steps = flow_forms.with_clean_conditions(flow_forms.steps_from_post(request.POST))
    try:
        save_flow(flow, steps=steps, user=request.user)
    except InvalidFlow as error:
        flow.refresh_from_db()  # save_flow set the refused steps on the instance
        messages.error(request, _("Nothing was saved: fix the problems marked below."))
        return render(request, "campaigns/flow_edit.html", _editor_context(flow, steps, error.problems))
    if request.POST.get("do") != "activate" or flow.status == FlowStatus.ACTIVE:  # activating again would skip events
        messages.success(request, _("Flow saved."))
        return redirect("campaigns:flow_edit", flow.pk)
    try:
        engine.activate(flow)
    except InvalidFlow as error:
        messages.error(request, _("The steps were saved, but the flow cannot start yet: fix the problems marked below."))
        return render(request, "campaigns/flow_edit.html", _editor_context(flow, steps, error.problems))
    messages.success(request, _("Flow activated: its trigger enrols customers from now on."))
    return redirect("campaigns:flow_edit", flow.pk)


@require_POST
@permission_required("campaigns.change_flow", raise_exception=True)
def flow_editor(request, pk):
    """htmx: apply an editor button (add, remove, move a step; a condition's rules) to the
    posted state and draw the editor again. Nothing is saved."""
    flow = get_object_or_404(Flow, pk=pk)
    steps = flow_forms.apply_action(flow_forms.steps_from_post(request.POST), request.POST.get("action", ""), request.POST)
    return render(request, "campaigns/flow_edit.html#editor", _editor_context(flow, steps))


@require_POST
@permission_required("campaigns.change_flow", raise_exception=True)
def flow_pause(request, pk):
    flow = get_object_or_404(Flow, pk=pk)
    if flow.status == FlowStatus.ACTIVE:
        engine.pause(flow)
        messages.success(request, _("Flow paused: nobody new enrols and enrolments wait where they are."))
    return _back(request, "campaigns:flow_edit", flow.pk)


def _back(request, *default):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(*default)


# ---------------------------------------------------------------- report and failures

@permission_required("campaigns.view_flow", raise_exception=True)
def flow_detail(request, pk):
    flow = get_object_or_404(Flow, pk=pk)
    figures = reporting.flow_report(flow)
    rows = reporting.step_rows(flow)
    template_ids = {row["step"].get("template") for row in rows if row["kind"] == StepKind.SEND}
    names = dict(MessageTemplate.objects.filter(pk__in=[t for t in template_ids if isinstance(t, int)])
                 .values_list("pk", "name"))
    for row in rows:
        row["template_name"] = names.get(row["step"].get("template"), "")
        row["label"] = StepKind(row["kind"]).label if row["kind"] in StepKind.values else ""
    enrolments = Enrolment.objects.filter(flow=flow).select_related("customer")
    context = {"flow": flow, "figures": figures, "counts": figures["enrolments"], "chart": bar_chart(figures),
               "rows": rows, "outcomes": StepOutcome.choices,
               "latest": enrolments.order_by("-entered_at", "-id")[:LATEST_ENROLMENTS],
               "failed": enrolments.filter(status=EnrolmentStatus.FAILED).order_by("-finished_at", "-id")[:FAILED_SHOWN]}
    return render(request, "campaigns/flow_detail.html", context)


@permission_required("campaigns.view_enrolment", raise_exception=True)
def flow_errors(request):
    """htmx: the failed enrolments of every flow, drawn into the error queue."""
    failed = (Enrolment.objects.filter(status=EnrolmentStatus.FAILED).select_related("flow", "customer")
              .order_by("-finished_at", "-id"))
    return render(request, "campaigns/_flow_errors.html", {"failed": failed[:FAILED_SHOWN], "count": failed.count()})


@require_POST
@permission_required("campaigns.change_enrolment", raise_exception=True)
def enrolment_retry(request):
    ids = [int(v) for v in request.POST.getlist("enrolment") if v.isdigit() and len(v) < 19]
    if not ids:
        messages.error(request, _("Choose the enrolments to retry."))
    else:
        retried = engine.retry(ids)
        messages.success(request, ngettext("%(n)s enrolment goes on from the step that failed.",
                                           "%(n)s enrolments go on from the step that failed.", retried) % {"n": retried})
    return _back(request, "campaigns:flows")
