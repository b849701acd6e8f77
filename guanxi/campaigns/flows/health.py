"""Flows that need a person: what the dashboard flags, so nothing stops silently.

An active flow is flagged when
- enrolments failed in the last week (they wait in the error queue);
- its enrolments are overdue: due for more than OVERDUE_MINUTES, so the periodic
  tick is not running (no worker) or keeps failing;
- it stopped sending: it sent messages in the four weeks before the last week,
  and none in the last week;
- its messages failed or were left in doubt in the last week.
Each figure is one grouped query over all active flows, not one per flow.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import ngettext

from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus, MessageStatus
from guanxi.campaigns.models import Enrolment, Flow, Message

RECENT_DAYS = 7
BEFORE_DAYS = 28
OVERDUE_MINUTES = 30


@dataclass
class FlowAlert:
    flow: Flow
    reasons: list = field(default_factory=list)


def flows_needing_attention(now=None) -> list:
    """FlowAlerts for the active flows with a problem, by flow name."""
    now = now or timezone.now()
    flows = {flow.pk: flow for flow in Flow.objects.filter(status=FlowStatus.ACTIVE)}
    if not flows:
        return []
    recent = now - dt.timedelta(days=RECENT_DAYS)
    alerts = {}

    def flag(flow_id, reason):
        alerts.setdefault(flow_id, FlowAlert(flows[flow_id])).reasons.append(reason)

    enrolments = Enrolment.objects.filter(flow_id__in=list(flows))
    for flow_id, count in _count(enrolments.filter(status=EnrolmentStatus.FAILED, finished_at__gte=recent)):
        flag(flow_id, ngettext("%(n)d enrolment failed this week: see the error queue.",
                               "%(n)d enrolments failed this week: see the error queue.", count) % {"n": count})
    overdue = enrolments.filter(status=EnrolmentStatus.ACTIVE,
                                next_run_at__lt=now - dt.timedelta(minutes=OVERDUE_MINUTES))
    for flow_id, count in _count(overdue):
        flag(flow_id, ngettext("%(n)d enrolment is overdue: is the background worker running?",
                               "%(n)d enrolments are overdue: is the background worker running?", count) % {"n": count})
    messages = Message.objects.filter(flow_id__in=list(flows))
    sent_recently = {flow_id for flow_id, _n in _count(messages.filter(status=MessageStatus.SENT, sent_at__gte=recent))}
    before = messages.filter(status=MessageStatus.SENT, sent_at__lt=recent,
                             sent_at__gte=recent - dt.timedelta(days=BEFORE_DAYS))
    for flow_id, count in _count(before):
        if flow_id not in sent_recently:
            flag(flow_id, ngettext("It sent %(n)d message in the four weeks before, and none in the last 7 days.",
                                   "It sent %(n)d messages in the four weeks before, and none in the last 7 days.",
                                   count) % {"n": count})
    failing = messages.filter(status__in=[MessageStatus.FAILED, MessageStatus.IN_DOUBT], queued_at__gte=recent)
    for flow_id, count in _count(failing):
        flag(flow_id, ngettext("%(n)d message failed this week.", "%(n)d messages failed this week.", count) % {"n": count})
    return sorted(alerts.values(), key=lambda alert: alert.flow.name)


def _count(queryset):
    return queryset.values_list("flow_id").annotate(n=Count("id")).order_by()
