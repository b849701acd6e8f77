"""Campaign workflows: queue a campaign's messages, pick the A/B winner, report.

Queueing writes one outbox row per segment member with the key
"campaign:<id>:c:<customer>", in set-based batches; the unique key makes a second
queueing (a retried task, a double click) add nothing. Whether each message may
go is decided later, at send time (policy.py).
"""

import datetime as dt
import hashlib

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from guanxi.campaigns import policy, sendtime
from guanxi.campaigns.choices import CampaignStatus, EventKind, MessageStatus
from guanxi.campaigns.models import AttributedOrder, Campaign, Message, MessageEvent
from guanxi.customers.models import Customer

BATCH = 2000
AB_TEST_HOURS = 4  # how long the A and B groups are watched before the rest gets the winner


class CampaignNotReady(Exception):
    def __init__(self, campaign, status):
        self.campaign, self.status = campaign, status
        super().__init__(f"Campaign {campaign.name!r} cannot be queued: it is {status}.")


def variant_of(campaign, customer_id):
    """A or B, stable per customer (a hash, not random: queueing again gives the same split)."""
    if not campaign.template_b_id:
        return ""
    bucket = int(hashlib.sha256(f"{campaign.pk}:{customer_id}".encode()).hexdigest()[:8], 16) % 100
    if bucket < campaign.test_share / 2:
        return "A"
    if bucket < campaign.test_share:
        return "B"
    return "W"  # the rest waits for the winner


def queue_campaign(campaign, now=None) -> int:
    """Write the campaign's outbox rows; returns how many were added.

    With an A/B test only the two test groups are queued; the rest waits for
    `pick_winner`, which queues them with the winning template."""
    now = now or timezone.now()
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignNotReady(campaign, campaign.get_status_display())
    send_at = campaign.send_at if campaign.send_at and campaign.send_at > now else now
    with transaction.atomic():
        added = _queue_members(campaign, send_at, lambda variant: variant != "W")
        campaign.status, campaign.queued_at = CampaignStatus.SENDING, now
        campaign.save(update_fields=["status", "queued_at"])
    return added


def _queue_members(campaign, send_at, wanted, template=None):
    members = Customer.objects.filter(segment_memberships__segment=campaign.segment).only("id", "time_zone").order_by("id")
    added, chunk = 0, []
    for customer in members.iterator(chunk_size=BATCH):
        if wanted(variant_of(campaign, customer.pk)):
            chunk.append(customer)
        if len(chunk) >= BATCH:
            added, chunk = added + _queue_chunk(campaign, chunk, send_at, template), []
    return added + _queue_chunk(campaign, chunk, send_at, template)


def _queue_chunk(campaign, customers, send_at, template):
    best = sendtime.best_hours(customers, now=send_at) if campaign.at_best_hour else {}
    messages = []
    for customer in customers:
        when = local_time(send_at, customer) if campaign.in_customer_time_zone else send_at
        if customer.pk in best:
            when = sendtime.next_at_hour(send_at, best[customer.pk], customer)
        messages.append(_campaign_message(campaign, customer, variant_of(campaign, customer.pk), when, template))
    return _insert(messages)


def _campaign_message(campaign, customer, variant, not_before, template=None):
    template = template or (campaign.template_b if variant == "B" else campaign.template)
    return Message(
        key=f"{campaign.origin}:c:{customer.pk}", customer_id=customer.pk, channel=template.channel,
        purpose=template.purpose, template=template, campaign=campaign, variant=variant,
        priority=campaign.priority, not_before=not_before,
        expires_at=not_before + dt.timedelta(hours=campaign.relevant_for_hours),
    )


def local_time(moment, customer):
    """The same wall-clock time as `moment` (in the shop's zone) in the customer's zone."""
    shop = moment.astimezone(timezone.get_default_timezone())
    zone = policy.customer_zone(customer)
    return shop.replace(tzinfo=zone).astimezone(dt.UTC)


def _insert(messages):
    if not messages:
        return 0
    keys = [m.key for m in messages]
    before = Message.objects.filter(key__in=keys).count()
    Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=500)
    return Message.objects.filter(key__in=keys).count() - before


def pick_winner(campaign, now=None) -> str:
    """The variant with the better click rate (opens break ties) gets the waiting rest."""
    now = now or timezone.now()
    rates = {}
    for variant in ("A", "B"):
        sent = campaign.messages.filter(variant=variant, status=MessageStatus.SENT)
        total = sent.count() or 1
        rates[variant] = (sent.filter(clicked_at__isnull=False).count() / total, sent.filter(opened_at__isnull=False).count() / total)
    winner = "B" if rates["B"] > rates["A"] else "A"
    template = campaign.template_b if winner == "B" else campaign.template
    with transaction.atomic():
        _queue_members(campaign, now, lambda variant: variant == "W", template=template)
        campaign.winner = winner
        campaign.save(update_fields=["winner"])
    return winner


def report(messages) -> dict:
    """Sent, opened, clicked, unsubscribed, orders and revenue of a set of messages."""
    figures = messages.aggregate(
        queued=Count("id"), sent=Count("id", filter=Q(status=MessageStatus.SENT)),
        opened=Count("id", filter=Q(opened_at__isnull=False)), clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        suppressed=Count("id", filter=Q(status__in=[MessageStatus.SUPPRESSED, MessageStatus.EXPIRED])),
        failed=Count("id", filter=Q(status__in=[MessageStatus.FAILED, MessageStatus.IN_DOUBT])),
        pending=Count("id", filter=Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])),
    )
    figures["unsubscribed"] = MessageEvent.objects.filter(message__in=messages, kind=EventKind.UNSUBSCRIBED).values("message").distinct().count()
    orders = AttributedOrder.objects.filter(message__in=messages).aggregate(orders=Count("id"), revenue=Sum("order__total"))
    figures["orders"], figures["revenue"] = orders["orders"], orders["revenue"] or 0
    figures["revenue_per_recipient"] = (figures["revenue"] / figures["sent"]) if figures["sent"] else 0
    figures["suppressed_by_reason"] = dict(messages.filter(status__in=[MessageStatus.SUPPRESSED, MessageStatus.EXPIRED])
                                           .exclude(reason="").values_list("reason").annotate(n=Count("id")).order_by("reason"))
    return figures


def campaign_report(campaign) -> dict:
    return report(Message.objects.filter(campaign=campaign))


def queue_due_campaigns(now=None) -> list:
    """Scheduled campaigns whose time has come are queued (the periodic tick calls this)."""
    now = now or timezone.now()
    queued = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, send_at__lte=now + dt.timedelta(days=1)):
        # In-customer-time-zone campaigns are queued up to a day early: the first zones reach the hour first.
        if campaign.in_customer_time_zone or campaign.send_at <= now:
            queued.append((campaign, queue_campaign(campaign, now=now)))
    return queued


def campaigns_ready_for_winner(now=None):
    now = now or timezone.now()
    return Campaign.objects.filter(template_b__isnull=False, winner="", status=CampaignStatus.SENDING,
                                   queued_at__lte=now - dt.timedelta(hours=AB_TEST_HOURS))
