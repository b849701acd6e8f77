"""Campaigns in the REST API: the same forms, workflows and error queue as the pages."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from guanxi.campaigns import outbox, services
from guanxi.campaigns.api_schemas import (
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    MessagePage,
    RetryIn,
    RetryOut,
    SendOut,
    TemplateIn,
    TemplateOut,
    TemplatePage,
)
from guanxi.campaigns.choices import MessageStatus
from guanxi.campaigns.forms import SEND_LATER, SEND_NOW, CampaignForm, TemplateEditor
from guanxi.campaigns.models import Campaign, Message, MessageTemplate
from guanxi.core.api import (
    DEFAULT_LIMIT,
    DETAIL_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
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


# ---------------------------------------------------------------- templates (before /{id})

@router.get("/templates/", response={200: TemplatePage, **READ_ERRORS}, summary="List message templates")
def list_templates(request, cursor: str | None = Query(None), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    items, next_cursor = paginate(MessageTemplate.objects.prefetch_related("contents"), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/templates/", response={201: TemplateOut, **WRITE_ERRORS}, summary="Create a message template")
def create_template(request, payload: TemplateIn):
    """One content per language (en, zh-hans); subject and bodies are Django templates."""
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

@router.get("/messages/", response={200: MessagePage, **READ_ERRORS}, summary="List messages by status")
def list_messages(request, status: MessageStatus | None = ANY_STATUS, cursor: str | None = Query(None),
                  limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    """Without `status`: the error queue (failed and in doubt)."""
    statuses = [status] if status else [MessageStatus.FAILED, MessageStatus.IN_DOUBT]
    items, next_cursor = paginate(Message.objects.filter(status__in=statuses), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/messages/retry", response={200: RetryOut, **WRITE_ERRORS}, summary="Retry failed messages")
def retry_messages(request, payload: RetryIn):
    """Failed and in-doubt messages among `ids` go back to the queue; others are left alone."""
    return {"retried": outbox.retry(payload.ids)}


# ---------------------------------------------------------------- campaigns

@router.get("/", response={200: CampaignPage, **READ_ERRORS}, summary="List campaigns")
def list_campaigns(request, cursor: str | None = Query(None), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    items, next_cursor = paginate(Campaign.objects.all(), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/", response={201: CampaignOut, **WRITE_ERRORS}, summary="Create a campaign")
def create_campaign(request, payload: CampaignIn):
    """Without `send_at` a draft (send it with /{id}/send); with a future `send_at`, scheduled."""
    data = {**payload.model_dump(exclude={"segment_id", "template_id", "template_b_id"}),
            "segment": payload.segment_id, "template": payload.template_id, "template_b": payload.template_b_id,
            "when": SEND_LATER if payload.send_at else SEND_NOW}
    form = CampaignForm(data, user=getattr(getattr(request, "auth", None), "user", None))
    if not form.is_valid():
        raise _problems(form.errors)
    return Status(201, form.save())


@router.get("/{id}", response={200: CampaignDetailOut, **DETAIL_ERRORS}, summary="Retrieve a campaign with its report")
def get_campaign(request, id: int = Path(..., ge=1, le=MAX_ID)):
    campaign = get_object_or_404(Campaign, pk=id)
    campaign.report = services.campaign_report(campaign)
    return campaign


@router.post("/{id}/send", response={200: SendOut, **DETAIL_WRITE_ERRORS}, summary="Queue a campaign's messages now")
def send_campaign(request, id: int = Path(..., ge=1, le=MAX_ID)):
    campaign = get_object_or_404(Campaign, pk=id)
    try:
        queued = services.queue_campaign(campaign)
    except services.CampaignNotReady as error:
        raise invalid("status", _("the campaign is %(status)s; only drafts and scheduled campaigns can be sent")
                      % {"status": error.status}) from None
    return {"queued": queued, "campaign": campaign}
