"""The pages behind the links in messages. Customers have no login: a signed
token in the URL names the message or customer (tracking.py). Thin views: read
the token, call tracking, respond in the customer's language."""

import base64

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.campaigns import tracking
from guanxi.campaigns.models import Message
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.models import Customer

# A transparent 1×1 GIF (42 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def public_language(customer):
    """Chinese for customers whose language is Chinese, English for everyone else
    (the two languages the public pages are translated into)."""
    return "zh-hans" if (customer.locale or "").lower().startswith("zh") else "en"


def _page(request, customer, template_name, context, status=200):
    language = public_language(customer) if customer is not None else translation.get_language()
    with translation.override(language):
        response = render(request, template_name, context, status=status)
    response["Content-Language"] = language  # LocaleMiddleware would otherwise name the request's language
    return response


def _invalid(request, customer=None):
    text = _("This link is not valid or has expired. Please use the link in a more recent message.")
    return _page(request, customer, "campaigns/public/invalid_link.html", {"text": text}, status=400)


def _message(token, purpose):
    """The message a token names, or None (bad token, or the message was deleted)."""
    try:
        pk = tracking.read(purpose, token)
    except tracking.BadToken:
        return None
    return Message.objects.select_related("customer").filter(pk=pk).first()


@login_not_required
@require_GET
def open_pixel(request, token):
    # Always the GIF, valid token or not: the pixel must never tell anything to whoever loads it.
    message = _message(token, tracking.OPEN)
    if message is not None:
        tracking.record_open(message, timezone.now())
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def click(request, token):
    try:
        pk, destination = tracking.read(tracking.CLICK, token)
    except (tracking.BadToken, TypeError, ValueError):
        return _invalid(request)
    message = Message.objects.filter(pk=pk).first()
    if message is not None:  # a deleted message still forwards: the link was ours
        tracking.record_click(message, destination, timezone.now())
    return HttpResponseRedirect(destination)


@login_not_required
@csrf_exempt  # RFC 8058: mail apps POST "List-Unsubscribe=One-Click" without any cookie or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    message = _message(token, tracking.UNSUBSCRIBE)
    if message is None:
        return _invalid(request)
    customer = message.customer
    context = {"customer": customer, "preferences_url": tracking.preferences_url(customer)}
    if request.method == "POST":
        tracking.unsubscribe(message, timezone.now())
        return _page(request, customer, "campaigns/public/unsubscribed.html", context)
    return _page(request, customer, "campaigns/public/unsubscribe.html", context)


@login_not_required
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    try:
        customer = Customer.objects.filter(pk=tracking.read(tracking.PREFERENCES, token)).first()
    except tracking.BadToken:
        customer = None
    if customer is None:
        return _invalid(request)
    saved = request.method == "POST"
    if saved:
        wanted = set(request.POST.getlist("granted"))
        kinds = set(customer.contact_points.values_list("kind", flat=True))
        tracking.set_preferences(customer, {kind: kind in wanted for kind in kinds}, at=timezone.now())
    return _page(request, customer, "campaigns/public/preferences.html",
                 {"customer": customer, "channels": _channels(customer), "saved": saved})


def _channels(customer):
    """[(kind, label, granted)] for each kind of contact point the customer has, in menu order."""
    points = list(customer.contact_points.all())
    granted = {p.kind for p in points if p.consent == ConsentStatus.GRANTED}
    kinds = {p.kind for p in points}
    return [(kind, ContactKind(kind).label, kind in granted) for kind in ContactKind.values if kind in kinds]
