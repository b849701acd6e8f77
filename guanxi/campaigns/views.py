"""Campaign pages: campaigns, templates with a live preview, the error queue and
the over-marketing report. Thin: fetch, check permission, call, render."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from guanxi.campaigns import outbox, rendering, services
from guanxi.campaigns.choices import (
    CampaignStatus,
    EventKind,
    MessageStatus,
    Purpose,
    Reason,
)
from guanxi.campaigns.exceptions import RenderFailed
from guanxi.campaigns.forms import CampaignForm, PreviewForm, TemplateEditor
from guanxi.campaigns.models import Campaign, Message, MessageEvent, MessageTemplate
from guanxi.core.pages import paginate, render_page
from guanxi.customers.models import Customer

EVENTS_SHOWN = 50
FATIGUE_WEEKS = 8
ERROR_STATUSES = [MessageStatus.FAILED, MessageStatus.IN_DOUBT]


# ---------------------------------------------------------------- campaigns

def with_figures(campaigns):
    """Sent, opened, clicked and revenue on each campaign, in the one query of the list."""
    sent = Q(messages__status=MessageStatus.SENT)
    return campaigns.select_related("segment").annotate(
        sent=Count("messages", filter=sent, distinct=True),
        opened=Count("messages", filter=Q(messages__opened_at__isnull=False), distinct=True),
        clicked=Count("messages", filter=Q(messages__clicked_at__isnull=False), distinct=True),
        revenue=Sum("messages__attributed_orders__order__total"))


@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request):
    page = paginate(request, with_figures(Campaign.objects.order_by("-created_at", "-id")))
    return render_page(request, "campaigns/campaign_list.html", {"page": page}, partial="campaigns")


@permission_required("campaigns.add_campaign", raise_exception=True)
def campaign_new(request):
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        campaign = form.save()
        if campaign.send_at:
            messages.success(request, _("Campaign scheduled."))
        else:
            messages.success(request, _("Campaign saved as a draft. Send it when you are ready."))
        return redirect(campaign)
    return render(request, "campaigns/campaign_form.html", {"form": form})


@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("segment", "template", "template_b"), pk=pk)
    figures = services.campaign_report(campaign)
    events = (MessageEvent.objects.filter(message__campaign=campaign).select_related("message__customer")
              .order_by("-at", "-id")[:EVENTS_SHOWN])
    context = {"campaign": campaign, "figures": figures, "variants": _variant_reports(campaign),
               "suppressed": _reason_labels(figures["suppressed_by_reason"]), "chart": bar_chart(figures),
               "events": events,
               "sendable": campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)}
    return render(request, "campaigns/campaign_detail.html", context)


def _variant_reports(campaign):
    if not campaign.template_b_id:
        return []
    names = {"A": _("A: %(name)s") % {"name": campaign.template.name},
             "B": _("B: %(name)s") % {"name": campaign.template_b.name},
             "W": _("The rest, with the winner")}
    return [{"variant": v, "name": names[v], "figures": services.report(Message.objects.filter(campaign=campaign, variant=v))}
            for v in ("A", "B", "W")]


def _reason_labels(by_reason):
    return [(Reason(code).label if code in Reason.values else code, count) for code, count in by_reason.items()]


def bar_chart(figures, width=420, bar=26, gap=12):
    """Bars for sent, opened and clicked, scaled to the largest (a server-drawn SVG)."""
    rows = [(_("Sent"), figures["sent"]), (_("Opened"), figures["opened"]), (_("Clicked"), figures["clicked"])]
    top = max(count for _label, count in rows) or 1
    bars = [{"label": label, "count": count, "y": i * (bar + gap), "width": round(count / top * (width - 160), 1)}
            for i, (label, count) in enumerate(rows)]
    return {"bars": bars, "width": width, "height": len(rows) * (bar + gap), "bar": bar}


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def campaign_send(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        added = services.queue_campaign(campaign)
    except services.CampaignNotReady as error:
        messages.error(request, _("This campaign cannot be sent now: it is %(status)s.") % {"status": error.status})
    else:
        messages.success(request, ngettext("%(n)s message queued.", "%(n)s messages queued.", added) % {"n": added})
    return redirect(campaign)


# ---------------------------------------------------------------- templates

@permission_required("campaigns.view_messagetemplate", raise_exception=True)
def template_list(request):
    templates = MessageTemplate.objects.annotate(languages=Count("contents"), used=Count("campaigns")).order_by("name")
    return render(request, "campaigns/template_list.html", {"templates": templates})


@permission_required("campaigns.add_messagetemplate", raise_exception=True)
def template_new(request):
    return _edit_template(request, None)


@permission_required("campaigns.change_messagetemplate", raise_exception=True)
def template_edit(request, pk):
    return _edit_template(request, get_object_or_404(MessageTemplate, pk=pk))


def _edit_template(request, template):
    editor = TemplateEditor(request.POST or None, template=template)
    if request.method == "POST" and editor.is_valid():
        saved = editor.save()
        messages.success(request, _("Template %(name)s saved.") % {"name": saved.name})
        return redirect("campaigns:template_edit", saved.pk)
    return render(request, "campaigns/template_form.html",
                  {"editor": editor, "template": template, "preview_form": PreviewForm()})


@permission_required("campaigns.view_messagetemplate", raise_exception=True)
def template_preview(request, pk):
    """htmx: the saved template as one customer would read it."""
    template = get_object_or_404(MessageTemplate, pk=pk)
    form = PreviewForm(request.GET)
    context = {"template": template, "form": form}
    if form.is_valid():
        context["customer"] = customer = find_customer(form.cleaned_data["customer"])
        if customer is None:
            context["problem"] = _("No customer matches “%(text)s”.") % {"text": form.cleaned_data["customer"]}
        else:
            try:
                context["outgoing"] = rendering.preview(template, customer, form.cleaned_data["language"] or None)
            except RenderFailed as error:
                context["problem"] = error.reason
    return render(request, "campaigns/_preview.html", context)


def find_customer(text):
    """The customer with this id, e-mail or phone, else the first whose name contains `text`."""
    text = text.strip()
    customers = Customer.objects.prefetch_related("contact_points").order_by("pk")
    if text.isdigit() and len(text) < 19:
        found = customers.filter(pk=int(text)).first()
        if found:
            return found
    found = customers.filter(contact_points__value__iexact=text).first()
    return found or customers.filter(full_name__icontains=text).first()


# ---------------------------------------------------------------- error queue

@permission_required("campaigns.view_message", raise_exception=True)
def error_queue(request):
    failed = (Message.objects.filter(status__in=ERROR_STATUSES).select_related("customer", "campaign")
              .order_by("-queued_at", "-id"))
    context = {"page": paginate(request, failed), "count": failed.count()}
    return render(request, "campaigns/error_queue.html", context)


@require_POST
@permission_required("campaigns.change_message", raise_exception=True)
def error_retry(request):
    ids = [int(v) for v in request.POST.getlist("message") if v.isdigit() and len(v) < 19]
    if not ids:
        messages.error(request, _("Choose the messages to retry."))
        return redirect("campaigns:errors")
    retried = outbox.retry(ids)
    messages.success(request, ngettext("%(n)s message goes back to the queue.",
                                       "%(n)s messages go back to the queue.", retried) % {"n": retried})
    return redirect("campaigns:errors")


# ---------------------------------------------------------------- over-marketing

@permission_required("campaigns.view_campaign", raise_exception=True)
def fatigue(request):
    weeks = week_starts(timezone.localdate(), FATIGUE_WEEKS)
    context = {"weeks": marketing_per_customer(weeks), "campaigns": unsubscribes_per_campaign()}
    return render(request, "campaigns/fatigue.html", context)


def week_starts(today, count):
    """The Mondays of the last `count` ISO weeks, this week's last."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def _aware(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def marketing_per_customer(weeks):
    """For each week: how many customers got 0, 1, 2, 3 or more marketing messages.

    One grouped query counts each customer's messages per week; a second
    aggregates those counts (Django runs it over the first as a subquery)."""
    windows = [(_aware(start), _aware(start + dt.timedelta(weeks=1))) for start in weeks]
    sent = Message.objects.filter(purpose=Purpose.MARKETING, status=MessageStatus.SENT,
                                  sent_at__gte=windows[0][0], sent_at__lt=windows[-1][1])
    per_customer = sent.values("customer").annotate(**{
        f"w{i}": Count("id", filter=Q(sent_at__gte=start, sent_at__lt=end)) for i, (start, end) in enumerate(windows)})
    buckets = per_customer.aggregate(**{
        f"w{i}_{n}": Count("customer", filter=Q(**{f"w{i}": n}) if n < 3 else Q(**{f"w{i}__gte": 3}))
        for i in range(len(weeks)) for n in (1, 2, 3)})
    customers = Customer.objects.count()
    rows = []
    for i, start in enumerate(weeks):
        counts = [buckets[f"w{i}_{n}"] for n in (1, 2, 3)]
        year, week, _day = start.isocalendar()
        rows.append({"label": f"{year}-W{week:02d}", "start": start, "none": customers - sum(counts),
                     "one": counts[0], "two": counts[1], "more": counts[2]})
    return rows


def unsubscribes_per_campaign(limit=50):
    unsubscribed = Q(messages__events__kind=EventKind.UNSUBSCRIBED)
    campaigns = Campaign.objects.annotate(
        sent=Count("messages", filter=Q(messages__status=MessageStatus.SENT), distinct=True),
        unsubscribed=Count("messages", filter=unsubscribed, distinct=True),
    ).filter(sent__gt=0).order_by("-unsubscribed", "-sent", "pk")
    campaigns = list(campaigns[:limit])
    for campaign in campaigns:
        campaign.rate = campaign.unsubscribed / campaign.sent * 100
    return campaigns
