"""May this message go now? Consent, bounces, quiet hours and the contact budget,
decided when the message is about to be sent, never only when it was queued:
consent withdrawn an hour ago must stop a message queued yesterday.

A message that may not go *now* (quiet hours, budget reached) is postponed to
the next allowed moment, as long as that moment is before it expires; one that
may never go (no consent, unsubscribed, bounced, no address) is suppressed.
Either way the reason is recorded by the caller (outbox.py).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from guanxi.campaigns.choices import Channel, MessageStatus, Purpose, Reason
from guanxi.customers.choices import ConsentStatus, ContactKind

# The kind of contact point each channel writes to (webhooks carry their URL in the context).
CONTACT_KIND = {Channel.EMAIL: ContactKind.EMAIL, Channel.SMS: ContactKind.PHONE, Channel.WECHAT: ContactKind.WECHAT}


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str = ""
    contact_point: object = None
    address: str = ""
    postpone_to: dt.datetime | None = None  # set: try again then; unset and not send: suppressed

    @property
    def suppressed(self):
        return not self.send and self.postpone_to is None


def decide(message, now=None) -> Decision:
    now = now or timezone.now()
    if message.expires_at and now >= message.expires_at:
        return Decision(False, Reason.EXPIRED)
    found = _address(message)
    if not found.send:
        return found
    if message.purpose == Purpose.TRANSACTIONAL or message.channel == Channel.WEBHOOK:
        return found  # webhooks tell another system, not the customer: no budget, no quiet hours
    blocks = [(at, reason) for at, reason in ((quiet_hours_end(message.customer, now), Reason.QUIET_HOURS),
                                              (budget_frees_at(message.customer, now), Reason.CONTACT_BUDGET)) if at]
    if not blocks:
        return found
    later, reason = max(blocks)
    if message.expires_at and later >= message.expires_at:
        return Decision(False, reason)  # never relevant again in time: suppressed with the blocking reason
    return Decision(False, reason, postpone_to=later)


def _address(message) -> Decision:
    if message.channel == Channel.WEBHOOK:
        url = (message.context or {}).get("url", "")
        return Decision(True, address=url) if url else Decision(False, Reason.NO_CONTACT)
    kind = CONTACT_KIND[message.channel]
    points = [p for p in message.customer.contact_points.all() if p.kind == kind]
    live = [p for p in points if p.bounced_at is None]
    if not live:
        return Decision(False, Reason.BOUNCED if points else Reason.NO_CONTACT)
    if message.purpose == Purpose.TRANSACTIONAL:
        return Decision(True, contact_point=live[0], address=live[0].value)
    granted = [p for p in live if p.consent == ConsentStatus.GRANTED]
    if granted:
        return Decision(True, contact_point=granted[0], address=granted[0].value)
    if any(p.consent == ConsentStatus.UNSUBSCRIBED for p in live):
        return Decision(False, Reason.UNSUBSCRIBED)
    return Decision(False, Reason.NO_CONSENT)


def customer_zone(customer):
    try:
        return zoneinfo.ZoneInfo(customer.time_zone) if customer.time_zone else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def quiet_hours_end(customer, now):
    """When the customer's quiet hours end, if it is quiet hours for them now; else None."""
    start, end = settings.GUANXI_MESSAGING["quiet_start"], settings.GUANXI_MESSAGING["quiet_end"]
    if start == end:
        return None
    local = now.astimezone(customer_zone(customer))
    hour = local.hour
    quiet = start <= hour < end if start < end else hour >= start or hour < end
    if not quiet:
        return None
    wake = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local:
        wake += dt.timedelta(days=1)
    return wake.astimezone(dt.UTC)


def budget_frees_at(customer, now):
    """When the next marketing message fits in the contact budget, if it is spent now; else None.

    The budget counts marketing messages sent on every channel in the last N days;
    the slot frees when the oldest of the last `budget` messages leaves the window.
    """
    from guanxi.campaigns.models import Message  # models import this module's constants

    budget, days = settings.GUANXI_MESSAGING["budget_messages"], settings.GUANXI_MESSAGING["budget_days"]
    window = dt.timedelta(days=days)
    recent = list(Message.objects.filter(customer=customer, purpose=Purpose.MARKETING, status=MessageStatus.SENT,
                                         sent_at__gt=now - window).exclude(channel=Channel.WEBHOOK).order_by("-sent_at").values_list("sent_at", flat=True)[:budget])
    if len(recent) < budget:
        return None
    return recent[-1] + window
