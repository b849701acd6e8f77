"""Small factories for customer tests: plain functions, explicit arguments."""

import itertools

from django.utils import timezone

from guanxi.customers.choices import ConsentStatus, ContactKind, TimelineKind
from guanxi.customers.models import ContactPoint, Customer, Tag, TimelineEntry

_refs = itertools.count(1)


def make_tag(name):
    return Tag.objects.get_or_create(name=name)[0]


def make_customer(full_name="Alice Chen", *, email=None, phone=None, tags=(), **fields):
    """A customer with an optional primary e-mail and phone (values stored normalised)."""
    customer = Customer.objects.create(full_name=full_name, **fields)
    if email:
        add_contact(customer, ContactKind.EMAIL, email.lower())
    if phone:
        add_contact(customer, ContactKind.PHONE, phone)
    for name in tags:
        customer.tags.add(make_tag(name))
    return customer


def add_contact(customer, kind, value, consent=ConsentStatus.UNKNOWN, is_primary=True):
    return ContactPoint.objects.create(customer=customer, kind=kind, value=value, consent=consent, is_primary=is_primary)


def make_timeline_entry(customer, kind=TimelineKind.VISIT, summary="Viewed a product", occurred_at=None, ref=None):
    return TimelineEntry.objects.create(
        customer=customer, kind=kind, summary=summary, occurred_at=occurred_at or timezone.now(),
        ref=ref or f"test:{next(_refs)}",
    )
