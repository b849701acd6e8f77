"""The outbox worker: claim due messages, check them, send them, record what happened.

Exactly once, step by step:
1. **Claim** a batch: one UPDATE sets a fresh claim id and a lease on rows that are
   PENDING, due, and not leased by a live worker. The UPDATE re-checks those
   conditions row by row, so two workers never claim the same row (PostgreSQL
   also skips rows another worker has locked, so they don't wait on each other).
2. **Mark SENDING** one message at a time, committed, just before it is handed to
   the channel; **mark SENT** right after the channel accepted it.
3. A worker killed mid-batch leaves its unsent claimed rows PENDING: when the
   lease runs out another worker takes them (nothing skipped). The one row it
   was sending stays SENDING: it may or may not have left, so `recover` marks it
   IN_DOUBT for a person to check and retry, never resends it by itself
   (nothing sent twice).
Temporary failures are retried with exponential back-off, up to `max_attempts`;
permanent ones fail the message and mark the address bounced.
"""

import datetime as dt
import logging
import os
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from guanxi.campaigns import policy
from guanxi.campaigns.channels import sender_for
from guanxi.campaigns.channels.base import PermanentFailure, TemporaryFailure
from guanxi.campaigns.choices import EventKind, MessageStatus, Reason
from guanxi.campaigns.exceptions import RenderFailed
from guanxi.campaigns.models import Message, MessageEvent
from guanxi.campaigns.rendering import render_message

log = logging.getLogger(__name__)
BACKOFF_CAP = dt.timedelta(hours=6)


@dataclass
class Counts:
    sent: int = 0
    postponed: int = 0
    suppressed: int = 0
    retried: int = 0
    failed: int = 0
    seconds: dict = field(default_factory=lambda: {"claim": 0.0, "render": 0.0, "send": 0.0})

    @property
    def handled(self):
        return self.sent + self.postponed + self.suppressed + self.retried + self.failed


def worker_name():
    return f"{os.uname().nodename}:{os.getpid()}"


def due(now):
    live = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return Message.objects.filter(live, status=MessageStatus.PENDING, not_before__lte=now)


def claim(batch, now=None, worker=None) -> list:
    """Lease up to `batch` due messages to this worker; the most important first."""
    now = now or timezone.now()
    claim_id = f"{worker or worker_name()}:{uuid.uuid4().hex[:8]}"
    lease = now + dt.timedelta(seconds=settings.GUANXI_MESSAGING["lease_seconds"])
    with transaction.atomic():
        candidates = due(now).order_by("priority", "not_before", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:batch])
        # The conditions again, in the UPDATE itself: a row another worker took meanwhile is left alone.
        due(now).filter(id__in=ids).update(claimed_by=claim_id, lease_until=lease)
    return list(Message.objects.filter(claimed_by=claim_id, status=MessageStatus.PENDING)
                .select_related("customer", "template", "campaign")
                .prefetch_related("customer__contact_points", "template__contents")
                .order_by("priority", "not_before", "id"))


def send_due(batch=200, now=None, worker=None, limit=None) -> Counts:
    """Send everything due, batch after batch; `limit` stops after that many messages."""
    counts = Counts()
    senders = {}
    try:
        while limit is None or counts.handled < limit:
            started = timezone.now()
            messages = claim(batch if limit is None else min(batch, limit - counts.handled), now=now, worker=worker)
            counts.seconds["claim"] += (timezone.now() - started).total_seconds()
            if not messages:
                break
            for message in messages:
                deliver(message, senders, counts, now=now)
    finally:
        for sender in senders.values():
            sender.close()
    return counts


def deliver(message, senders, counts, now=None):
    """Check one claimed message, send it if it may go, and record the outcome."""
    now = now or timezone.now()
    decision = policy.decide(message, now)
    if decision.postpone_to:
        _release(message, not_before=decision.postpone_to, reason=decision.reason)
        record(message, EventKind.POSTPONED, decision.reason, now, detail=decision.postpone_to.isoformat())
        counts.postponed += 1
        return
    if not decision.send:
        status = MessageStatus.EXPIRED if decision.reason == Reason.EXPIRED else MessageStatus.SUPPRESSED
        _finish(message, status=status, reason=decision.reason)
        record(message, EventKind.SUPPRESSED, decision.reason, now)
        counts.suppressed += 1
        return
    started = timezone.now()
    try:
        outgoing = render_message(message, decision.address)
    except RenderFailed as error:
        _finish(message, status=MessageStatus.FAILED, reason=Reason.PERMANENT_ERROR, last_error=str(error))
        record(message, EventKind.FAILED, Reason.PERMANENT_ERROR, now, detail=str(error))
        counts.failed += 1
        return
    counts.seconds["render"] += (timezone.now() - started).total_seconds()
    _send(message, outgoing, decision, senders, counts, now)


def _send(message, outgoing, decision, senders, counts, now):
    # The gate: only the holder of the claim moves the row to SENDING. If this worker's
    # lease ran out and another worker took the row meanwhile, this one leaves it.
    lease = timezone.now() + dt.timedelta(seconds=settings.GUANXI_MESSAGING["lease_seconds"])
    if not Message.objects.filter(pk=message.pk, claimed_by=message.claimed_by, status=MessageStatus.PENDING).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, lease_until=lease):
        return
    message.attempts += 1
    started = timezone.now()
    try:
        if message.channel not in senders:
            senders[message.channel] = sender_for(message.channel)
            senders[message.channel].open()
        provider_id = senders[message.channel].send(outgoing)
    except TemporaryFailure as error:
        _retry_or_fail(message, str(error), counts, now)
        return
    except PermanentFailure as error:
        _bounce(message, decision, str(error), now)
        counts.failed += 1
        return
    finally:
        counts.seconds["send"] += (timezone.now() - started).total_seconds()
    _finish(message, status=MessageStatus.SENT, sent_at=now, provider_id=provider_id[:200],
            contact_point=decision.contact_point, address=decision.address[:254], reason="")
    record(message, EventKind.SENT, "", now)
    counts.sent += 1


def _retry_or_fail(message, error, counts, now):
    if message.attempts >= settings.GUANXI_MESSAGING["max_attempts"]:
        _finish(message, status=MessageStatus.FAILED, reason=Reason.TEMPORARY_ERROR, last_error=error)
        record(message, EventKind.FAILED, Reason.TEMPORARY_ERROR, now, detail=error)
        counts.failed += 1
        return
    wait = min(dt.timedelta(minutes=2 ** message.attempts), BACKOFF_CAP)
    _release(message, not_before=now + wait, reason=Reason.TEMPORARY_ERROR, last_error=error)
    record(message, EventKind.RETRY, Reason.TEMPORARY_ERROR, now, detail=error)
    counts.retried += 1


def _bounce(message, decision, error, now):
    _finish(message, status=MessageStatus.FAILED, reason=Reason.PERMANENT_ERROR, last_error=error,
            contact_point=decision.contact_point, address=decision.address[:254])
    record(message, EventKind.BOUNCED, Reason.PERMANENT_ERROR, now, detail=error)
    if decision.contact_point is not None:
        type(decision.contact_point).objects.filter(pk=decision.contact_point.pk).update(bounced_at=now)


def _release(message, **fields):
    """Back to PENDING (later), without the lease: any worker may take it when it is due."""
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.PENDING, claimed_by="", lease_until=None, **fields)


def _finish(message, **fields):
    Message.objects.filter(pk=message.pk).update(claimed_by="", lease_until=None, **fields)


def record(message, kind, reason, at, detail=""):
    return MessageEvent.objects.create(message=message, kind=kind, reason=reason, at=at, detail=detail[:500])


def recover(now=None) -> int:
    """Rows left SENDING by a worker whose lease ran out: in doubt, for a person to check."""
    now = now or timezone.now()
    stuck = list(Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now))
    for message in stuck:
        updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.IN_DOUBT, claimed_by="", lease_until=None,
            last_error="The sender stopped while sending this message; it may or may not have been delivered.")
        if updated:
            record(message, EventKind.FAILED, "", now, detail="in doubt")
    return len(stuck)


def retry(message_ids, now=None) -> int:
    """The error queue's Retry button: failed or in-doubt messages go back to the queue."""
    now = now or timezone.now()
    return Message.objects.filter(pk__in=message_ids, status__in=[MessageStatus.FAILED, MessageStatus.IN_DOUBT]).update(
        status=MessageStatus.PENDING, not_before=now, attempts=0, reason="", claimed_by="", lease_until=None)
