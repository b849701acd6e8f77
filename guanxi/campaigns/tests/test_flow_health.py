"""The dashboard flags active flows that stopped sending or need a person."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus, MessageStatus
from guanxi.campaigns.flows.health import flows_needing_attention
from guanxi.campaigns.models import Enrolment, Flow
from guanxi.campaigns.tests.factories import make_message
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


def active_flow(name):
    return Flow.objects.create(name=name, trigger="customer_created", status=FlowStatus.ACTIVE,
                               steps=[{"id": "s1", "kind": "tag", "tag": "x"}])


def enrol(flow, **fields):
    return Enrolment.objects.create(flow=flow, customer=make_customer(), occurrence=f"t:{Enrolment.objects.count()}",
                                    entered_at=NOW - dt.timedelta(days=1), step="s1", **fields)


def sent(flow, days_ago, status=MessageStatus.SENT):
    message = make_message(make_customer(), status=status, sent_at=NOW - dt.timedelta(days=days_ago))
    message.flow, message.queued_at = flow, NOW - dt.timedelta(days=days_ago)
    message.save(update_fields=["flow", "queued_at"])


def reasons():
    return {alert.flow.name: alert.reasons for alert in flows_needing_attention(NOW)}


def test_a_healthy_flow_and_a_paused_one_are_not_flagged():
    healthy = active_flow("Healthy")
    sent(healthy, 2)
    sent(healthy, 10)
    enrol(healthy, next_run_at=NOW + dt.timedelta(days=1))
    paused = active_flow("Paused")
    sent(paused, 10)
    Flow.objects.filter(pk=paused.pk).update(status=FlowStatus.PAUSED)
    assert reasons() == {}


def test_a_flow_that_sent_before_and_not_this_week_is_flagged():
    sent(active_flow("Win-back"), 9)
    sent(Flow.objects.get(name="Win-back"), 20)
    sent(active_flow("Very old"), 40)  # nothing in the four weeks before: not a recent stop
    assert reasons() == {"Win-back": ["It sent 2 messages in the four weeks before, and none in the last 7 days."]}


def test_failed_overdue_enrolments_and_failed_messages_are_flagged_with_counts():
    flow = active_flow("Birthday")
    sent(flow, 1)
    enrol(flow, status=EnrolmentStatus.FAILED, finished_at=NOW - dt.timedelta(days=1))
    enrol(flow, status=EnrolmentStatus.FAILED, finished_at=NOW - dt.timedelta(days=30))  # long ago: not counted
    enrol(flow, next_run_at=NOW - dt.timedelta(hours=2))
    enrol(flow, next_run_at=NOW - dt.timedelta(minutes=5))  # just due: the next tick takes it
    sent(flow, 1, status=MessageStatus.FAILED)
    assert reasons() == {"Birthday": ["1 enrolment failed this week: see the error queue.",
                                      "1 enrolment is overdue: is the background worker running?",
                                      "1 message failed this week."]}


def test_the_dashboard_shows_the_flagged_flows_to_who_may_see_flows(admin_client):
    flow = active_flow("Win-back")
    enrol(flow, next_run_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    html = admin_client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="flow-alerts"' in html and "Win-back" in html
    assert "1 enrolment is overdue: is the background worker running?" in html
    assert reverse("campaigns:flow_detail", args=[flow.pk]) in html
