"""Customer workflows: finding customers, the edits staff make on the
customer page (profile, tags, notes, consent, contact points, addresses) and
the account owner of key accounts.

Every edit validates first, then writes inside one transaction, and raises a
`guanxi.customers.exceptions.CustomerError` subclass whose message the views
show to the user. The UI and any future API call these same functions.
"""

import re
import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from guanxi.accounts.choices import Role
from guanxi.customers.choices import ConsentStatus, ContactKind, Gender, TimelineKind
from guanxi.customers.exceptions import (
    AssignmentNotAllowed,
    DuplicateContactPoint,
    InvalidAddress,
    InvalidConsent,
    InvalidContactPoint,
    InvalidNote,
    InvalidOwner,
    InvalidProfile,
    InvalidTag,
)
from guanxi.customers.models import (
    Address,
    ContactPoint,
    Customer,
    Note,
    Tag,
    TimelineEntry,
)
from guanxi.lib.parsing import (
    normalise_email,
    normalise_phone,
    parse_country,
    parse_currency,
)

# ---------------------------------------------------------------- finding

#: Sort keys offered on the customer list. Each ends with the id so OFFSET
#: pagination is stable; the leading columns are indexed on Customer.
SORTS = {
    "newest": (F("id").desc(),),
    "name": (F("full_name").asc(), F("id").asc()),
    "last_order": (F("last_order_at").desc(nulls_last=True), F("id").desc()),
    "total_spent": (F("total_spent").desc(), F("id").desc()),
    "orders": (F("order_count").desc(), F("id").desc()),
}
_PHONE_QUERY = re.compile(r"^\+?[\d\s\-().]+$")
# Used to complete a national phone number typed without a country code.
DEFAULT_PHONE_COUNTRY = "CN"


def search_customers(query="", tag=None, sort="newest"):
    """Customers matching a free-text query and an optional tag, sorted.

    The query decides what is searched: with "@" it is an e-mail (prefix of a
    normalised address), made of digits/+ it is a phone number, otherwise a
    part of the name (full, first or last; works for Chinese names too).
    Contact points are matched by a subquery, so no row is duplicated and no
    DISTINCT is needed.
    """
    customers = Customer.objects.all()
    query = (query or "").strip()
    if query:
        customers = customers.filter(_query_filter(query))
    if tag is not None:
        customers = customers.filter(tags=tag)
    return customers.order_by(*SORTS.get(sort, SORTS["newest"]))


def _query_filter(query):
    if "@" in query:
        return _contact_filter(ContactKind.EMAIL, [query.lower()], exact=False)
    if _PHONE_QUERY.match(query) and any(c.isdigit() for c in query):
        return _phone_filter(query)
    return Q(full_name__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)


def _phone_filter(query):
    try:
        return _contact_filter(ContactKind.PHONE, [normalise_phone(query, DEFAULT_PHONE_COUNTRY)], exact=True)
    except ValueError:
        pass
    digits = re.sub(r"\D", "", query)
    if query.lstrip().startswith("+"):
        return _contact_filter(ContactKind.PHONE, [f"+{digits}"], exact=False)
    # A partial number: either it starts with a country code, or it is national.
    return _contact_filter(ContactKind.PHONE, [f"+{digits}", f"+86{digits.lstrip('0')}"], exact=False)


def _contact_filter(kind, values, exact):
    match = Q()
    for value in values:
        match |= Q(value=value) if exact else _prefix(value)
    owners = ContactPoint.objects.filter(match, kind=kind).values("customer_id")
    return Q(pk__in=owners)


def _prefix(value):
    """`value LIKE 'prefix%'`, written so SQLite can use the (kind, value) index.

    SQLite's LIKE is case-insensitive and skips a BINARY index; values are
    stored normalised, so a byte range [prefix, prefix+1) finds the same rows
    through the index. PostgreSQL keeps LIKE, whose range semantics depend on
    the collation.
    """
    if connection.vendor == "sqlite" and value and ord(value[-1]) < 0x10FFFF:
        return Q(value__gte=value, value__lt=value[:-1] + chr(ord(value[-1]) + 1))
    return Q(value__startswith=value)


# ---------------------------------------------------------------- profile

PROFILE_FIELDS = ("first_name", "last_name", "full_name", "gender", "birthday", "occupation",
                  "interests", "locale", "country", "time_zone", "currency")


def update_profile(customer, changes, user=None):
    """Apply {field: value} changes to the profile after checking each value.

    Unknown fields raise InvalidProfile; an empty change set writes nothing.
    """
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidProfile(_("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(unknown)})
    cleaned = {name: _clean_profile_value(name, value) for name, value in changes.items()}
    if not cleaned:
        return customer
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(customer, name, value)
        customer.save(update_fields=[*cleaned, "updated_at"])
    return customer


def _clean_profile_value(name, value):
    if name == "birthday":
        return value
    if name == "interests":
        return _clean_interests(value)
    text = (value or "").strip()
    if not text:
        return Gender.UNKNOWN if name == "gender" else ""
    try:
        return _PROFILE_CHECKS.get(name, lambda raw: raw)(text)
    except ValueError as exc:
        raise InvalidProfile(str(exc), field=name) from None


def _clean_interests(value):
    if isinstance(value, str):
        value = re.split(r"[,，、;；\n]", value)
    return [item.strip() for item in value or [] if item and item.strip()]


def _check_gender(raw):
    if raw not in Gender.values:
        raise ValueError(_("%(value)r is not a gender this archive knows") % {"value": raw})
    return raw


def _check_time_zone(raw):
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("%(value)r is not a time zone (e.g. Asia/Shanghai)") % {"value": raw}) from None
    return raw


def _check_locale(raw):
    codes = [code for code, _name in settings.LANGUAGES]
    if raw.lower() not in codes:
        raise ValueError(_("%(value)r is not one of the languages: %(codes)s") % {"value": raw, "codes": ", ".join(codes)})
    return raw.lower()


_PROFILE_CHECKS = {
    "gender": _check_gender,
    "country": parse_country,
    "currency": parse_currency,
    "time_zone": _check_time_zone,
    "locale": _check_locale,
}


# ---------------------------------------------------------------- tags and notes

def add_tag(customer, name):
    """Tag the customer, reusing an existing tag whatever its letter case."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidTag(_("A tag needs a name."), field="name")
    if len(name) > Tag._meta.get_field("name").max_length:
        raise InvalidTag(_("A tag name is at most 80 characters."), field="name")
    with transaction.atomic():
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        customer.tags.add(tag)
    return tag


def remove_tag(customer, tag):
    customer.tags.remove(tag)


def add_note(customer, body, author=None):
    """Add a staff note and put it on the customer's timeline (ref "note:<id>")."""
    body = (body or "").strip()
    if not body:
        raise InvalidNote(_("A note cannot be empty."), field="body")
    with transaction.atomic():
        note = Note.objects.create(customer=customer, body=body, author=author)
        TimelineEntry.objects.create(
            customer=customer, kind=TimelineKind.NOTE, ref=f"note:{note.pk}", occurred_at=note.created_at,
            summary=Truncator(body).chars(200), data={"author": author.get_username() if author else ""},
        )
    return note


# ---------------------------------------------------------------- consent

def change_consent(contact_point, status, user=None, note=""):
    """Set marketing consent on one contact point; returns the ConsentEvent or None.

    Steps: check the status; record it through ContactPoint.set_consent (which
    writes the consent ledger and does nothing when unchanged); put the change
    on the customer's timeline.
    """
    if status not in ConsentStatus.values:
        raise InvalidConsent(_("%(value)r is not a consent status") % {"value": status}, field="status")
    source = f"user:{user.get_username()}"[:50] if user else "crm"
    with transaction.atomic():
        event = contact_point.set_consent(status, source=source, note=(note or "").strip()[:255])
        if event is not None:
            TimelineEntry.objects.create(
                customer_id=contact_point.customer_id, kind=TimelineKind.CONSENT, ref=f"consent:{event.pk}",
                occurred_at=event.recorded_at, summary=f"{contact_point.value}: {ConsentStatus(status).label}",
                data={"contact_point": contact_point.pk, "status": status, "source": source},
            )
    return event


# ---------------------------------------------------------------- contact points and addresses

def add_contact_point(customer, kind, value, consent=ConsentStatus.UNKNOWN, is_primary=False, user=None):
    """Add an e-mail, phone or messenger id to the customer.

    E-mails and phones are normalised first; a value already held by any
    customer raises DuplicateContactPoint. The first point of its kind becomes
    primary. A known consent is recorded in the consent ledger.
    """
    if kind not in ContactKind.values:
        raise InvalidContactPoint(_("%(value)r is not a kind of contact point") % {"value": kind}, field="kind")
    value = _normalise_contact(kind, value, customer.country)
    owner = ContactPoint.objects.filter(kind=kind, value=value).select_related("customer").first()
    if owner:
        raise _duplicate(value, owner.customer)
    try:
        with transaction.atomic():
            point = _create_contact_point(customer, kind, value, is_primary)
            if consent and consent != ConsentStatus.UNKNOWN:
                change_consent(point, consent, user=user)
    except IntegrityError:
        # Someone added the same value between our check and our write.
        raise _duplicate(value, None) from None
    return point


def _normalise_contact(kind, value, country):
    value = (value or "").strip()
    if not value:
        raise InvalidContactPoint(_("Enter a value."), field="value")
    try:
        if kind == ContactKind.EMAIL:
            return normalise_email(value)
        if kind == ContactKind.PHONE:
            return normalise_phone(value, country)
    except ValueError as exc:
        raise InvalidContactPoint(str(exc), field="value") from None
    return value


def _create_contact_point(customer, kind, value, is_primary):
    siblings = ContactPoint.objects.filter(customer=customer, kind=kind)
    if is_primary:
        siblings.update(is_primary=False)
    else:
        is_primary = not siblings.exists()
    return ContactPoint.objects.create(customer=customer, kind=kind, value=value, is_primary=is_primary)


def _duplicate(value, customer):
    if customer is None:
        return DuplicateContactPoint(_("%(value)s already belongs to another customer.") % {"value": value}, field="value")
    return DuplicateContactPoint(
        _("%(value)s already belongs to customer %(name)s (#%(id)s).") % {"value": value, "name": customer.display_name, "id": customer.pk},
        field="value",
    )


ADDRESS_FIELDS = ("kind", "recipient", "line1", "line2", "city", "region", "postal_code", "country", "phone", "is_default")


def add_address(customer, data):
    """Add an address from {field: value}; the first address becomes the default."""
    fields = {name: data.get(name) for name in ADDRESS_FIELDS if name in data}
    fields = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
    if not fields.get("line1"):
        raise InvalidAddress(_("An address needs its first line."), field="line1")
    try:
        if fields.get("country"):
            fields["country"] = parse_country(fields["country"])
    except ValueError as exc:
        raise InvalidAddress(str(exc), field="country") from None
    try:
        if fields.get("phone"):
            fields["phone"] = normalise_phone(fields["phone"], fields.get("country") or customer.country)
    except ValueError as exc:
        raise InvalidAddress(str(exc), field="phone") from None
    with transaction.atomic():
        others = Address.objects.filter(customer=customer)
        if fields.get("is_default"):
            others.update(is_default=False)
        else:
            fields["is_default"] = not others.exists()
        return Address.objects.create(customer=customer, **fields)


# ---------------------------------------------------------------- account owner

#: Roles whose members look after accounts: they may own one and assign owners.
ACCOUNT_MANAGER_ROLES = (Role.SALES, Role.ADMIN)


def account_managers():
    """Active users who may own an account: sales and admin roles, and staff."""
    managers = Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=[r.value for r in ACCOUNT_MANAGER_ROLES])
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(pk__in=users.filter(managers).values("pk")).order_by("username")


def is_account_manager(user):
    return bool(user and user.is_active and account_managers().filter(pk=user.pk).exists())


def assign_owner(customer, owner, by=None):
    """Make `owner` (a user, or None to unassign) the customer's account owner.

    Steps: check that `by` may assign (sales, admin or staff; None is the
    system, e.g. a write API key without a user) and that the owner is an
    account manager; lock the customer row and do nothing when the owner is
    unchanged; save and put the change on the timeline. Returns True when
    something changed.
    """
    if by is not None and not is_account_manager(by):
        raise AssignmentNotAllowed(_("Only sales team members and admins may assign account owners."))
    if owner is not None and not is_account_manager(owner):
        raise InvalidOwner(
            _("%(name)s cannot own accounts: choose an active sales team member or admin.") % {"name": owner.get_username()},
            field="owner",
        )
    with transaction.atomic():
        # Lock the row alone: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
        locked = Customer.objects.select_for_update().only("pk", "account_owner").get(pk=customer.pk)
        previous = locked.account_owner
        if previous == owner:
            return False
        locked.account_owner = customer.account_owner = owner
        locked.save(update_fields=["account_owner", "updated_at"])
        TimelineEntry.objects.create(
            customer=locked, kind=TimelineKind.PROFILE, ref=f"owner:{locked.pk}:{uuid.uuid4().hex}",
            occurred_at=timezone.now(), summary=owner.get_username() if owner else "",
            data={"change": "account_owner", "owner": owner.get_username() if owner else "",
                  "previous": previous.get_username() if previous else "", "by": by.get_username() if by else ""},
        )
    return True
