"""Queueing a campaign: one outbox row per member, idempotent, A/B split kept
stable, the rest queued with the winner, send times in each customer's zone."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from guanxi.campaigns import services
from guanxi.campaigns.choices import CampaignStatus, Channel, MessageStatus
from guanxi.campaigns.models import Campaign, Message, MessageTemplate
from guanxi.customers.tests.factories import make_customer
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment, SegmentMembership

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)


def list_of(customers, name="VIP list"):
    segment = Segment.objects.create(name=name, kind=SegmentKind.STATIC)
    SegmentMembership.objects.bulk_create(SegmentMembership(segment=segment, customer=c, entered_at=NOW) for c in customers)
    return segment


def campaign(segment, *, b=False, **fields):
    template = MessageTemplate.objects.create(name="Spring sale", channel=Channel.EMAIL)
    template_b = MessageTemplate.objects.create(name="Spring sale B", channel=Channel.EMAIL) if b else None
    return Campaign.objects.create(name="Spring", segment=segment, template=template, template_b=template_b, **fields)


def test_a_campaign_queues_one_message_per_member_once():
    people = [make_customer(f"C{i}") for i in range(5)]
    spring = campaign(list_of(people))
    assert services.queue_campaign(spring, now=NOW) == 5
    assert sorted(Message.objects.values_list("key", flat=True)) == sorted(f"campaign:{spring.pk}:c:{p.pk}" for p in people)
    assert set(Message.objects.values_list("status", "not_before", "expires_at")) == {
        (MessageStatus.PENDING, NOW, NOW + dt.timedelta(hours=72))}
    spring.refresh_from_db()
    assert spring.status == CampaignStatus.SENDING and spring.queued_at == NOW
    # Queued again (a retried task): refused by status, and even forced, nothing is added.
    with pytest.raises(services.CampaignNotReady):
        services.queue_campaign(spring, now=NOW)
    spring.status = CampaignStatus.SCHEDULED
    assert services.queue_campaign(spring, now=NOW) == 0
    assert Message.objects.count() == 5


def test_an_ab_test_queues_the_two_groups_then_the_rest_with_the_winner():
    people = [make_customer(f"C{i}") for i in range(200)]
    spring = campaign(list_of(people), b=True, test_share=20)
    queued = services.queue_campaign(spring, now=NOW)
    by_variant = {v: Message.objects.filter(variant=v).count() for v in "AB"}
    assert queued == by_variant["A"] + by_variant["B"]
    assert 20 <= queued <= 60 and by_variant["A"] > 0 and by_variant["B"] > 0  # about 20% of 200
    assert set(Message.objects.filter(variant="B").values_list("template__name", flat=True)) == {"Spring sale B"}
    # B gets the clicks: it wins, and the remaining customers get B.
    Message.objects.update(status=MessageStatus.SENT, sent_at=NOW)
    Message.objects.filter(variant="B").update(clicked_at=NOW)
    later = NOW + dt.timedelta(hours=services.AB_TEST_HOURS)
    assert list(services.campaigns_ready_for_winner(now=later)) == [spring]
    assert services.pick_winner(spring, now=later) == "B"
    rest = Message.objects.filter(variant="W")
    assert rest.count() == 200 - queued
    assert set(rest.values_list("template__name", "status")) == {("Spring sale B", MessageStatus.PENDING)}
    assert list(services.campaigns_ready_for_winner(now=later)) == []


def test_the_split_is_stable_per_customer():
    people = [make_customer(f"C{i}") for i in range(50)]
    spring = campaign(list_of(people), b=True, test_share=50)
    assert [services.variant_of(spring, p.pk) for p in people] == [services.variant_of(spring, p.pk) for p in people]


def test_in_the_customers_time_zone_each_gets_the_hour_on_their_own_clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    shanghai, paris = make_customer("Li", time_zone="Asia/Shanghai"), make_customer("Amélie", time_zone="Europe/Paris")
    ten_am = dt.datetime(2026, 5, 5, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    spring = campaign(list_of([shanghai, paris]), send_at=ten_am, in_customer_time_zone=True, status=CampaignStatus.SCHEDULED)
    with timezone.override("Asia/Shanghai"):
        services.queue_campaign(spring, now=NOW)
    times = dict(Message.objects.values_list("customer__full_name", "not_before"))
    assert times["Li"] == dt.datetime(2026, 5, 5, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    assert times["Amélie"] == dt.datetime(2026, 5, 5, 8, 0, tzinfo=dt.UTC)  # 10:00 in Paris


def test_scheduled_campaigns_are_queued_when_due():
    person = make_customer("Li")
    spring = campaign(list_of([person]), send_at=NOW + dt.timedelta(hours=2), status=CampaignStatus.SCHEDULED)
    assert services.queue_due_campaigns(now=NOW) == []
    assert services.queue_due_campaigns(now=NOW + dt.timedelta(hours=2)) == [(spring, 1)]


def test_at_the_best_hour_each_customer_gets_the_hour_they_usually_engage(settings):
    from guanxi.commerce.tests.factories import make_order

    evening, unknown = make_customer("Evening", time_zone="Asia/Shanghai"), make_customer("New", time_zone="Asia/Shanghai")
    for day in range(1, 5):  # four orders around 20:xx Shanghai time, one at 08:00
        make_order(evening, ordered_at=dt.datetime(2026, 4, day, 12, 15, tzinfo=dt.UTC))
    make_order(evening, ordered_at=dt.datetime(2026, 4, 9, 0, 0, tzinfo=dt.UTC))
    make_order(unknown, ordered_at=dt.datetime(2026, 4, 9, 0, 0, tzinfo=dt.UTC))  # one signal: not enough
    spring = campaign(list_of([evening, unknown]), at_best_hour=True)
    services.queue_campaign(spring, now=NOW)  # NOW is 10:00 in Shanghai
    times = dict(Message.objects.values_list("customer__full_name", "not_before"))
    assert times == {"Evening": dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC),  # 20:00 Shanghai, same day
                     "New": NOW}
