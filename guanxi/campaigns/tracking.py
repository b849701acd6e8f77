"""Public links in messages and what happens when a customer follows them.

Every link carries a token signed with `django.core.signing` and a salt per
purpose, so an open token cannot be replayed as an unsubscribe token and a
click token cannot be edited to redirect elsewhere (the destination is inside
the signature: no open redirect). The pages behind the links are in
tracking_views.py; they need no login.

First open/click set `Message.opened_at`/`clicked_at` with a conditional UPDATE
(a pixel loaded twice at once still sets it once); every open and click is also
a `MessageEvent`, which attribution.py reads as a "touch".
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from guanxi.campaigns.choices import EventKind
from guanxi.campaigns.models import Message, MessageEvent
from guanxi.campaigns.policy import CONTACT_KIND
from guanxi.customers.choices import ConsentStatus

OPEN, CLICK, UNSUBSCRIBE, PREFERENCES = "open", "click", "unsub", "prefs"
# Unsubscribe and preference links must keep working long after the message was
# read (mail is kept for years), but not forever: a leaked old link expires.
MAX_AGE = {OPEN: None, CLICK: None, UNSUBSCRIBE: dt.timedelta(days=730), PREFERENCES: dt.timedelta(days=730)}
UNSUBSCRIBE_SOURCE = "unsubscribe link"
PREFERENCES_SOURCE = "preference page"


class BadToken(Exception):
    """The token was tampered with, expired, or made for another purpose."""


def sign(purpose, value) -> str:
    return signing.dumps(value, salt=f"guanxi.tracking.{purpose}", compress=True)


def read(purpose, token):
    """The value signed into `token` for `purpose`; raises BadToken otherwise."""
    try:
        return signing.loads(token, salt=f"guanxi.tracking.{purpose}", max_age=MAX_AGE[purpose])
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature too
        raise BadToken(str(error)) from error


def _public(name, token) -> str:
    return settings.GUANXI_MESSAGING["public_url"] + reverse(name, args=[token])


def open_url(message) -> str:
    return _public("tracking:open", sign(OPEN, message.pk))


def click_url(message, destination) -> str:
    return _public("tracking:click", sign(CLICK, [message.pk, destination]))


def unsubscribe_url(message) -> str:
    return _public("tracking:unsubscribe", sign(UNSUBSCRIBE, message.pk))


def preferences_url(customer) -> str:
    return _public("tracking:preferences", sign(PREFERENCES, customer.pk))


def record_open(message, at) -> MessageEvent:
    """Count an open: the first one sets `opened_at`, every one is an event."""
    with transaction.atomic():
        if Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=at):
            message.opened_at = at
        return MessageEvent.objects.create(message=message, kind=EventKind.OPENED, at=at)


def record_click(message, url, at) -> MessageEvent:
    """Count a click; a click on a message never seen opened (images blocked) also opens it."""
    with transaction.atomic():
        if Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=at):
            message.clicked_at = at
        if Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=at):
            message.opened_at = at
        return MessageEvent.objects.create(message=message, kind=EventKind.CLICKED, at=at, detail=url[:500])


def unsubscribe(message, at) -> int:
    """Withdraw marketing consent for the address the message went to; returns how many
    contact points changed. Idempotent: a second call changes nothing and adds no event.

    Without a recorded contact point (sent before that was kept, or never sent) every
    point of the channel's kind is unsubscribed: the customer asked to hear no more
    on that channel, so guessing too narrow would be the worse mistake.
    """
    with transaction.atomic():
        changed = [p for p in _points_of(message)
                   if p.set_consent(ConsentStatus.UNSUBSCRIBED, UNSUBSCRIBE_SOURCE, note=message.key, at=at)]
        if not MessageEvent.objects.filter(message=message, kind=EventKind.UNSUBSCRIBED).exists():
            MessageEvent.objects.create(message=message, kind=EventKind.UNSUBSCRIBED, at=at)
    return len(changed)


def _points_of(message):
    if message.contact_point_id is not None:
        point = message.customer.contact_points.filter(pk=message.contact_point_id).first()
        if point is not None:
            return [point]
    kind = CONTACT_KIND.get(message.channel)
    return list(message.customer.contact_points.filter(kind=kind)) if kind else []


def set_preferences(customer, granted_by_kind, at=None) -> list:
    """Apply the preference page: {ContactKind: wants marketing}. Returns the ConsentEvents.

    Only real changes are recorded: a ticked box grants a point not yet granted, an
    unticked box unsubscribes a granted point; a point never asked stays unasked when
    left unticked, so saving the page does not turn silence into a "no".
    """
    events = []
    with transaction.atomic():
        for point in customer.contact_points.filter(kind__in=list(granted_by_kind)):
            wanted = granted_by_kind[point.kind]
            if wanted and point.consent != ConsentStatus.GRANTED:
                events.append(point.set_consent(ConsentStatus.GRANTED, PREFERENCES_SOURCE, at=at))
            elif not wanted and point.consent == ConsentStatus.GRANTED:
                events.append(point.set_consent(ConsentStatus.UNSUBSCRIBED, PREFERENCES_SOURCE, at=at))
    return events
