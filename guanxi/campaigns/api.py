"""Campaigns in the REST API: the same forms, workflows and error queue as the pages,
and flows through the same editing service and engine as the flow editor."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from guanxi.campaigns import outbox, services
from guanxi.campaigns.api_schemas import (
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    EnrolmentPage,
    EnrolmentRetryIn,
    FlowDetailOut,
    FlowIn,
    FlowOut,
    FlowPage,
    MessagePage,
    RetryIn,
    RetryOut,
    SendOut,
    TemplateIn,
    TemplateOut,
    TemplatePage,
)
from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus, MessageStatus
from guanxi.campaigns.flows import engine
from guanxi.campaigns.flows.definition import InvalidFlow
from guanxi.campaigns.flows.editing import save_flow
from guanxi.campaigns.flows.presets import install_presets
from guanxi.campaigns.flows.reporting import enrolments_by_status
from guanxi.campaigns.forms import SEND_LATER, SEND_NOW, CampaignForm, TemplateEditor
from guanxi.campaigns.models import Campaign, Flow, Message, MessageTemplate
from guanxi.core.api import (
    DEFAULT_LIMIT,
    DETAIL_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InvalidInput,
    invalid,
    paginate,
)

router = Router(tags=["campaigns"])
DETAIL_WRITE_ERRORS = {**WRITE_ERRORS, 404: DETAIL_ERRORS[404]}
# Form fields named as the API names them.
# A module-level default: the status query parameter is optional.
ANY_STATUS = Query(None)
API_FIELDS = {"segment": "segment_id", "template": "template_id", "template_b": "template_b_id", "__all__": ""}


def _problems(errors):
    return InvalidInput([{"line": None, "field": API_FIELDS.get(field, field), "reason": " ".join(reasons)}
                         for field, reasons in errors.items()])


# Reads can also meet a key whose user may not see what is asked for.
PERM_READ_ERRORS = {**READ_ERRORS, 403: ErrorOut}
PERM_DETAIL_ERRORS = {**DETAIL_ERRORS, 403: ErrorOut}


def _require(request, permission):
    """A key made for a user (`createapikey --user`) may do what the user's role may; a key
    without a user belongs to a machine and is limited by its scope alone, as everywhere in the API."""
    user = getattr(getattr(request, "auth", None), "user", None)
    if user is not None and not user.has_perm(permission):
        raise HttpError(403, _("The user of this API key may not do this (it needs the %(permission)s permission).")
                        % {"permission": permission})
    return user


# ---------------------------------------------------------------- templates (before /{id})

@router.get("/templates/", response={200: TemplatePage, **PERM_READ_ERRORS}, summary="List message templates")
def list_templates(request, cursor: str | None = Query(None), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    _require(request, "campaigns.view_messagetemplate")
    items, next_cursor = paginate(MessageTemplate.objects.prefetch_related("contents"), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/templates/", response={201: TemplateOut, **WRITE_ERRORS}, summary="Create a message template")
def create_template(request, payload: TemplateIn):
    """One content per language (en, zh-hans); subject and bodies are Django templates."""
    _require(request, "campaigns.add_messagetemplate")
    data = {"name": payload.name, "channel": payload.channel, "purpose": payload.purpose,
            "default_language": payload.default_language}
    for line, content in enumerate(payload.contents, start=1):
        if f"{content.language}-subject" in data:
            raise invalid("contents", _("language %(language)s given twice") % {"language": content.language}, line=line)
        data.update({f"{content.language}-{name}": getattr(content, name) for name in ("subject", "html", "text")})
    editor = TemplateEditor(data)
    if not editor.is_valid():
        raise _problems({f"contents.{field}" if "." in field else field: reasons
                         for field, reasons in editor.errors.items()})
    return Status(201, editor.save())


# ---------------------------------------------------------------- the outbox's error queue

@router.get("/messages/", response={200: MessagePage, **PERM_READ_ERRORS}, summary="List messages by status")
def list_messages(request, status: MessageStatus | None = ANY_STATUS, cursor: str | None = Query(None),
                  limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    """Without `status`: the error queue (failed and in doubt)."""
    _require(request, "campaigns.view_message")
    statuses = [status] if status else [MessageStatus.FAILED, MessageStatus.IN_DOUBT]
    items, next_cursor = paginate(Message.objects.filter(status__in=statuses), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/messages/retry", response={200: RetryOut, **WRITE_ERRORS}, summary="Retry failed messages")
def retry_messages(request, payload: RetryIn):
    """Failed and in-doubt messages among `ids` go back to the queue; others are left alone."""
    _require(request, "campaigns.change_message")
    return {"retried": outbox.retry(payload.ids)}


# ---------------------------------------------------------------- flows (before /{id})

RETRY_CHUNK = 1000


def _flow_problems(error):
    return InvalidInput([{"line": None, "field": p["field"], "reason": p["reason"]} for p in error.problems])


def _huge_numbers(value, path):
    """JSON paths of the whole numbers in `value` no database column holds: such an id
    would crash the query that looks it up, so it is a 422 here (as MAX_ID is for paths)."""
    found, stack = [], [(value, path)]
    while stack:  # not recursive: a deeply nested body must not exhaust the stack
        value, path = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID:
            found.append(path)
        elif isinstance(value, dict):
            stack += reversed([(item, f"{path}.{key}") for key, item in value.items()])  # reversed: in body order
        elif isinstance(value, list):
            stack += reversed([(item, f"{path}.{index}") for index, item in enumerate(value)])
    return found


def _save(flow, payload, user):
    fields = payload.model_dump()
    huge = _huge_numbers(fields["steps"], "steps") + _huge_numbers(fields["trigger_config"], "trigger_config")
    if huge:
        raise InvalidInput([{"line": None, "field": path, "reason": _("the number is too large")} for path in huge])
    try:
        return save_flow(flow, steps=fields.pop("steps"), user=user, **fields)
    except InvalidFlow as error:
        raise _flow_problems(error) from None


@router.get("/flows/", response={200: FlowPage, **PERM_READ_ERRORS}, summary="List flows")
def list_flows(request, status: FlowStatus | None = ANY_STATUS, cursor: str | None = Query(None),
               limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    _require(request, "campaigns.view_flow")
    flows = Flow.objects.filter(status=status) if status else Flow.objects.all()
    items, next_cursor = paginate(flows, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/flows/", response={201: FlowOut, **WRITE_ERRORS}, summary="Create a flow (as a draft)")
def create_flow(request, payload: FlowIn):
    """Every problem comes back at once, named by its JSON path ("steps.1.template").
    Trigger settings are checked when the flow is activated."""
    user = _require(request, "campaigns.add_flow")
    return Status(201, _save(Flow(), payload, user))


@router.post("/flows/presets", response={200: list[FlowOut], **WRITE_ERRORS}, summary="Install the ready-made flows")
def install_flow_presets(request):
    """Ready-made flows (drafts) and their templates. Installing again changes nothing:
    flows and templates are found by name, so edits made since are kept."""
    _require(request, "campaigns.add_flow")
    return install_presets()


@router.get("/flows/{id}", response={200: FlowDetailOut, **PERM_DETAIL_ERRORS}, summary="Retrieve a flow with its figures")
def get_flow(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """The definition, how many enrolments are in each status, and the report of the flow's messages."""
    _require(request, "campaigns.view_flow")
    flow = get_object_or_404(Flow, pk=id)
    counts = enrolments_by_status([flow.pk])[flow.pk]
    flow.enrolments_by_status = {status: counts[status] for status in EnrolmentStatus.values}
    flow.report = services.report(Message.objects.filter(flow=flow))
    return flow


@router.put("/flows/{id}", response={200: FlowOut, **DETAIL_WRITE_ERRORS}, summary="Change a flow")
def update_flow(request, payload: FlowIn, id: int = Path(..., ge=1, le=MAX_ID)):
    """Replaces every editable field. A step that enrolments stand on cannot be removed;
    an active flow's trigger settings must be valid."""
    user = _require(request, "campaigns.change_flow")
    return _save(get_object_or_404(Flow, pk=id), payload, user)


@router.post("/flows/{id}/activate", response={200: FlowOut, **DETAIL_WRITE_ERRORS}, summary="Activate a flow")
def activate_flow(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """From now on the trigger enrols (past events do not). An active flow is left as it is."""
    _require(request, "campaigns.change_flow")
    flow = get_object_or_404(Flow, pk=id)
    if flow.status == FlowStatus.ACTIVE:
        return flow  # activating again would move the trigger's cursor past events not yet read
    try:
        return engine.activate(flow)
    except InvalidFlow as error:
        raise _flow_problems(error) from None


@router.post("/flows/{id}/pause", response={200: FlowOut, **DETAIL_WRITE_ERRORS}, summary="Pause a flow")
def pause_flow(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """No new enrolments and no steps run; enrolments wait where they are. A flow that is not active is left as it is."""
    _require(request, "campaigns.change_flow")
    flow = get_object_or_404(Flow, pk=id)
    return engine.pause(flow) if flow.status == FlowStatus.ACTIVE else flow


@router.get("/flows/{id}/enrolments", response={200: EnrolmentPage, **PERM_DETAIL_ERRORS},
            summary="List a flow's enrolments")
def list_enrolments(request, id: int = Path(..., ge=1, le=MAX_ID), status: EnrolmentStatus | None = ANY_STATUS,
                    cursor: str | None = Query(None), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    _require(request, "campaigns.view_flow")
    enrolments = get_object_or_404(Flow, pk=id).enrolments.all()
    items, next_cursor = paginate(enrolments.filter(status=status) if status else enrolments, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/flows/{id}/enrolments/retry", response={200: RetryOut, **DETAIL_WRITE_ERRORS},
             summary="Retry a flow's failed enrolments")
def retry_enrolments(request, payload: EnrolmentRetryIn, id: int = Path(..., ge=1, le=MAX_ID)):
    """Failed enrolments among `ids` (every failed one without `ids`) go back to their failed
    step, due now; others and those of other flows are left alone."""
    _require(request, "campaigns.change_enrolment")
    failed = get_object_or_404(Flow, pk=id).enrolments.filter(status=EnrolmentStatus.FAILED)
    if payload.ids is not None:
        failed = failed.filter(pk__in=payload.ids)
    ids = list(failed.values_list("pk", flat=True))
    return {"retried": sum(engine.retry(ids[start:start + RETRY_CHUNK]) for start in range(0, len(ids), RETRY_CHUNK))}


# ---------------------------------------------------------------- campaigns

@router.get("/", response={200: CampaignPage, **PERM_READ_ERRORS}, summary="List campaigns")
def list_campaigns(request, cursor: str | None = Query(None), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    _require(request, "campaigns.view_campaign")
    items, next_cursor = paginate(Campaign.objects.all(), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/", response={201: CampaignOut, **WRITE_ERRORS}, summary="Create a campaign")
def create_campaign(request, payload: CampaignIn):
    """Without `send_at` a draft (send it with /{id}/send); with a future `send_at`, scheduled."""
    user = _require(request, "campaigns.add_campaign")
    data = {**payload.model_dump(exclude={"segment_id", "template_id", "template_b_id"}),
            "segment": payload.segment_id, "template": payload.template_id, "template_b": payload.template_b_id,
            "when": SEND_LATER if payload.send_at else SEND_NOW}
    form = CampaignForm(data, user=user)
    if not form.is_valid():
        raise _problems(form.errors)
    return Status(201, form.save())


@router.get("/{id}", response={200: CampaignDetailOut, **PERM_DETAIL_ERRORS}, summary="Retrieve a campaign with its report")
def get_campaign(request, id: int = Path(..., ge=1, le=MAX_ID)):
    _require(request, "campaigns.view_campaign")
    campaign = get_object_or_404(Campaign, pk=id)
    campaign.report = services.campaign_report(campaign)
    return campaign


@router.post("/{id}/send", response={200: SendOut, **DETAIL_WRITE_ERRORS}, summary="Queue a campaign's messages now")
def send_campaign(request, id: int = Path(..., ge=1, le=MAX_ID)):
    _require(request, "campaigns.change_campaign")
    campaign = get_object_or_404(Campaign, pk=id)
    try:
        queued = services.queue_campaign(campaign)
    except services.CampaignNotReady as error:
        raise invalid("status", _("the campaign is %(status)s; only drafts and scheduled campaigns can be sent")
                      % {"status": error.status}) from None
    return {"queued": queued, "campaign": campaign}
