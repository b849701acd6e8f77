"""Customer workflows: each validates, then writes, or raises a named error."""

import pytest

from guanxi.customers import services
from guanxi.customers.choices import ConsentStatus, ContactKind, TimelineKind
from guanxi.customers.exceptions import (
    DuplicateContactPoint,
    InvalidAddress,
    InvalidConsent,
    InvalidContactPoint,
    InvalidNote,
    InvalidProfile,
    InvalidTag,
)
from guanxi.customers.models import ConsentEvent, Tag, TimelineEntry
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return make_customer("Li Na", email="li.na@example.com", country="CN")


def test_update_profile_normalises_codes_and_splits_interests(customer):
    services.update_profile(customer, {"country": "us", "currency": "usd", "interests": "tea，books、 hiking",
                                       "time_zone": "Asia/Shanghai", "locale": "zh-Hans"})
    customer.refresh_from_db()
    assert (customer.country, customer.currency, customer.time_zone, customer.locale) == ("US", "USD", "Asia/Shanghai", "zh-hans")
    assert customer.interests == ["tea", "books", "hiking"]


@pytest.mark.parametrize(("field", "value"), [("country", "China"), ("currency", "yuan"), ("time_zone", "Mars/Base"),
                                              ("locale", "fr"), ("gender", "robot")])
def test_update_profile_refuses_malformed_values_and_writes_nothing(customer, field, value):
    with pytest.raises(InvalidProfile) as caught:
        services.update_profile(customer, {"occupation": "Chef", field: value})
    assert caught.value.field == field
    customer.refresh_from_db()
    assert customer.occupation == ""


def test_update_profile_refuses_fields_outside_the_profile(customer):
    with pytest.raises(InvalidProfile):
        services.update_profile(customer, {"total_spent": 1})


def test_add_tag_reuses_a_tag_whatever_its_case(customer):
    existing = Tag.objects.create(name="VIP")
    assert services.add_tag(customer, "  vip ") == existing
    assert list(customer.tags.all()) == [existing]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_add_tag_refuses_empty_or_long_names(customer, name):
    with pytest.raises(InvalidTag):
        services.add_tag(customer, name)


def test_remove_tag(customer):
    tag = services.add_tag(customer, "VIP")
    services.remove_tag(customer, tag)
    assert not customer.tags.exists()


def test_add_note_puts_it_on_the_timeline(customer):
    note = services.add_note(customer, "  Asked about bulk prices  ")
    entry = TimelineEntry.objects.get(kind=TimelineKind.NOTE)
    assert (note.body, entry.ref, entry.summary, entry.customer) == (
        "Asked about bulk prices", f"note:{note.pk}", "Asked about bulk prices", customer)


def test_add_note_refuses_an_empty_note(customer):
    with pytest.raises(InvalidNote):
        services.add_note(customer, "\n ")


def test_change_consent_records_the_ledger_and_the_timeline(customer):
    point = customer.contact_points.get()
    event = services.change_consent(point, ConsentStatus.UNSUBSCRIBED, note="clicked unsubscribe")
    assert (event.status, event.source, event.note) == ("unsubscribed", "crm", "clicked unsubscribe")
    assert TimelineEntry.objects.get(kind=TimelineKind.CONSENT).ref == f"consent:{event.pk}"


def test_change_consent_to_the_same_status_records_nothing(customer):
    point = customer.contact_points.get()
    assert services.change_consent(point, ConsentStatus.UNKNOWN) is None
    assert not ConsentEvent.objects.exists() and not TimelineEntry.objects.exists()


def test_change_consent_refuses_an_unknown_status(customer):
    with pytest.raises(InvalidConsent):
        services.change_consent(customer.contact_points.get(), "maybe")


def test_add_contact_point_normalises_a_phone_in_the_customers_country(customer):
    point = services.add_contact_point(customer, ContactKind.PHONE, "138-1234-5678")
    assert (point.value, point.is_primary) == ("+8613812345678", True)


def test_a_second_email_is_not_primary_unless_asked(customer):
    second = services.add_contact_point(customer, ContactKind.EMAIL, "li@work.example")
    assert not second.is_primary
    third = services.add_contact_point(customer, ContactKind.EMAIL, "li@home.example", is_primary=True)
    assert third.is_primary
    assert customer.contact_points.filter(kind=ContactKind.EMAIL, is_primary=True).get() == third


def test_add_contact_point_records_a_given_consent(customer):
    point = services.add_contact_point(customer, ContactKind.WECHAT, "lina_wx", consent=ConsentStatus.GRANTED)
    assert point.consent_events.get().status == ConsentStatus.GRANTED


@pytest.mark.parametrize(("kind", "value"), [("email", "not-an-email"), ("phone", "12"), ("wechat", " "), ("fax", "1")])
def test_add_contact_point_refuses_bad_values(customer, kind, value):
    with pytest.raises(InvalidContactPoint):
        services.add_contact_point(customer, kind, value)


def test_add_contact_point_refuses_a_value_another_customer_holds(customer):
    make_customer("Other", email="taken@example.com")
    with pytest.raises(DuplicateContactPoint, match="Other"):
        services.add_contact_point(customer, ContactKind.EMAIL, "TAKEN@example.com")


def test_the_first_address_becomes_the_default(customer):
    first = services.add_address(customer, {"line1": "1 Road", "country": "cn", "phone": "13812345678"})
    second = services.add_address(customer, {"line1": "2 Road"})
    assert (first.is_default, first.country, first.phone, second.is_default) == (True, "CN", "+8613812345678", False)


def test_a_new_default_address_replaces_the_old_default(customer):
    first = services.add_address(customer, {"line1": "1 Road"})
    services.add_address(customer, {"line1": "2 Road", "is_default": True})
    first.refresh_from_db()
    assert not first.is_default


@pytest.mark.parametrize("data", [{"line1": " "}, {"line1": "1 Road", "country": "China"}, {"line1": "1 Road", "phone": "1"}])
def test_add_address_refuses_bad_addresses(customer, data):
    with pytest.raises(InvalidAddress):
        services.add_address(customer, data)


def test_search_by_email_uses_the_prefix_of_normalised_addresses(customer):
    make_customer("Lin Nan", email="lin.nan@example.com")
    assert [c.full_name for c in services.search_customers("Li.Na@Ex")] == ["Li Na"]
    assert [c.full_name for c in services.search_customers("li.na@example.com")] == ["Li Na"]
