"""Send-time checks: consent per channel, bounces, quiet hours in the customer's
zone, the contact budget across channels, expiry. Every refusal names its reason."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.campaigns import policy
from guanxi.campaigns.choices import Channel, MessageStatus, Purpose, Reason
from guanxi.campaigns.models import Message
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.tests.factories import add_contact, make_customer

pytestmark = pytest.mark.django_db
# 10:00 in Shanghai, 03:00 in Paris, 21:00 (previous day) in Los Angeles
NOON_ISH = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "budget_messages": 2, "budget_days": 7,
                                 "quiet_start": 21, "quiet_end": 9}


def customer(consent=ConsentStatus.GRANTED, zone="Asia/Shanghai", kind=ContactKind.EMAIL, value="li@example.com"):
    person = make_customer("Li Na", time_zone=zone)
    add_contact(person, kind, value, consent=consent)
    return person


def message(person, channel=Channel.EMAIL, purpose=Purpose.MARKETING, key="m", **fields):
    return Message.objects.create(key=key, customer=person, channel=channel, purpose=purpose,
                                  not_before=NOON_ISH, **fields)


def decide(msg, now=NOON_ISH):
    msg = Message.objects.select_related("customer").prefetch_related("customer__contact_points").get(pk=msg.pk)
    return policy.decide(msg, now)


def test_granted_consent_in_daytime_sends_to_the_granted_address():
    decision = decide(message(customer()))
    assert decision.send and decision.address == "li@example.com" and decision.reason == ""


@pytest.mark.parametrize(("consent", "reason"), [
    (ConsentStatus.UNKNOWN, Reason.NO_CONSENT), (ConsentStatus.DENIED, Reason.NO_CONSENT),
    (ConsentStatus.UNSUBSCRIBED, Reason.UNSUBSCRIBED),
])
def test_marketing_without_consent_is_suppressed_with_the_reason(consent, reason):
    decision = decide(message(customer(consent)))
    assert decision.suppressed and decision.reason == reason


def test_transactional_messages_need_no_consent_and_ignore_quiet_hours():
    decision = decide(message(customer(ConsentStatus.UNSUBSCRIBED, zone="Europe/Paris"), purpose=Purpose.TRANSACTIONAL))
    assert decision.send and decision.address == "li@example.com"


def test_consent_is_per_channel():
    person = customer()  # e-mail granted, no phone at all, then a phone without consent
    assert decide(message(person, channel=Channel.SMS, key="s1")).reason == Reason.NO_CONTACT
    add_contact(person, ContactKind.PHONE, "+8613800000000")
    assert decide(message(person, channel=Channel.SMS, key="s2")).reason == Reason.NO_CONSENT


def test_a_bounced_address_is_not_used():
    person = customer()
    person.contact_points.update(bounced_at=NOON_ISH)
    assert decide(message(person)).reason == Reason.BOUNCED


def test_quiet_hours_postpone_to_nine_in_the_customers_zone():
    decision = decide(message(customer(zone="Europe/Paris")))  # 04:00 in Paris (summer time)
    assert not decision.send and decision.reason == Reason.QUIET_HOURS
    assert decision.postpone_to == dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)  # 09:00 Paris


def test_quiet_hours_before_midnight_wait_for_the_next_morning():
    decision = decide(message(customer(zone="America/Los_Angeles")))  # 19:00 the evening before
    assert decision.send  # 19:00 is not quiet
    late = NOON_ISH + dt.timedelta(hours=3)  # 22:00 in Los Angeles
    decision = decide(message(Message.objects.get().customer, key="m2"), now=late)
    assert decision.postpone_to == dt.datetime(2026, 5, 4, 16, 0, tzinfo=dt.UTC)  # 09:00 PDT


def test_the_contact_budget_counts_every_channel_and_postpones_to_the_free_slot():
    person = customer()
    add_contact(person, ContactKind.PHONE, "+8613800000000", consent=ConsentStatus.GRANTED)
    first, second = NOON_ISH - dt.timedelta(days=6), NOON_ISH - dt.timedelta(days=2)
    message(person, key="old-email", status=MessageStatus.SENT, sent_at=first)
    message(person, channel=Channel.SMS, key="old-sms", status=MessageStatus.SENT, sent_at=second)
    message(person, purpose=Purpose.TRANSACTIONAL, key="receipt", status=MessageStatus.SENT, sent_at=second)
    decision = decide(message(person, key="new"))
    assert decision.reason == Reason.CONTACT_BUDGET
    assert decision.postpone_to == first + dt.timedelta(days=7)  # the oldest of the two leaves the window


def test_a_message_that_could_only_go_after_it_expires_is_suppressed():
    person = customer()
    message(person, key="a", status=MessageStatus.SENT, sent_at=NOON_ISH - dt.timedelta(days=1))
    message(person, key="b", status=MessageStatus.SENT, sent_at=NOON_ISH - dt.timedelta(days=1))
    decision = decide(message(person, key="c", expires_at=NOON_ISH + dt.timedelta(days=2)))
    assert decision.suppressed and decision.reason == Reason.CONTACT_BUDGET


def test_an_expired_message_is_not_sent():
    decision = decide(message(customer(), expires_at=NOON_ISH))
    assert decision.suppressed and decision.reason == Reason.EXPIRED


def test_an_unknown_time_zone_falls_back_to_the_shops():
    person = customer(zone="Mars/Olympus")
    assert policy.customer_zone(person) == timezone.get_default_timezone()


def test_webhooks_go_to_the_url_in_their_context():
    person = make_customer("Amy")
    assert decide(message(person, channel=Channel.WEBHOOK, context={"url": "http://127.0.0.1:9/x"})).address == "http://127.0.0.1:9/x"
    assert decide(message(person, channel=Channel.WEBHOOK, key="w2")).reason == Reason.NO_CONTACT
