"""The customer archive: one record per person, with contact points, consent,
addresses, tags, notes and a single timeline of every interaction."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.customers.choices import (
    AddressKind,
    ChannelConsent,
    ConsentStatus,
    ContactKind,
    Gender,
    TimelineKind,
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Customer(models.Model):
    """A person who bought, browsed or talked to the shop.

    Order figures (count, spent, first/last order) are kept on the row so the
    customer list can sort a million customers without aggregating orders;
    `commerce.services.refresh_order_figures()` recomputes them.
    """

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True, db_index=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender, default=Gender.UNKNOWN)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    interests = models.JSONField(_("interests"), default=list, blank=True)
    locale = models.CharField(_("language"), max_length=10, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, db_index=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    currency = models.CharField(_("preferred currency"), max_length=3, blank=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    joined_at = models.DateTimeField(_("customer since"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))

    order_count = models.PositiveIntegerField(_("orders"), default=0)
    total_spent = models.DecimalField(_("total spent"), max_digits=16, decimal_places=2, default=Decimal(0))
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True, db_index=True)
    # The team member who looks after the customer (key accounts, B2B); set
    # through customers.services.assign_owner, which checks who may own.
    account_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="key_accounts", verbose_name=_("account owner"))

    # Hash of the last imported profile, so re-importing the same row is "unchanged".
    import_hash = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["total_spent"]), models.Index(fields=["order_count"])]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.full_name:
            return self.full_name
        joined = f"{self.first_name} {self.last_name}".strip()
        return joined or f"#{self.pk}"

    @property
    def primary_email(self):
        return self._primary(ContactKind.EMAIL)

    @property
    def primary_phone(self):
        return self._primary(ContactKind.PHONE)

    def channel_consents(self):
        """[(kind, ChannelConsent)] for each kind of contact point the customer has.

        A channel is granted when one of its points has consent and has not
        bounced; bounced when the only granted points bounced; withdrawn when
        a point was denied or unsubscribed (and none is granted); otherwise
        unknown. Uses prefetched contact points when the caller prefetched them.
        """
        points = {}
        for point in self.contact_points.all():
            points.setdefault(point.kind, []).append(point)
        return [(kind, _channel_state(points[kind])) for kind in ContactKind.values if kind in points]

    def _primary(self, kind):
        # Uses prefetched contacts when the caller prefetched them (list pages).
        points = [p for p in self.contact_points.all() if p.kind == kind]
        points.sort(key=lambda p: (not p.is_primary, p.pk))
        return points[0].value if points else ""


def _channel_state(points):
    granted = [p for p in points if p.consent == ConsentStatus.GRANTED]
    if any(p.bounced_at is None for p in granted):
        return ChannelConsent.GRANTED
    if granted:
        return ChannelConsent.BOUNCED
    if any(p.consent in (ConsentStatus.DENIED, ConsentStatus.UNSUBSCRIBED) for p in points):
        return ChannelConsent.WITHDRAWN
    return ChannelConsent.UNKNOWN


class CustomerExternalId(models.Model):
    """The customer's id in a shop or system; (source, external_id) is unique."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_ids")
    source = models.CharField(_("source"), max_length=50)
    external_id = models.CharField(_("external id"), max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="customer_external_id_unique")
        ]
        verbose_name = _("external id")

    def __str__(self):
        return f"{self.source}:{self.external_id}"


class ContactPoint(models.Model):
    """An e-mail, phone or messenger id, each with its own consent.

    Values are stored normalised (lower-case e-mail, E.164 phone) and are unique
    per kind: that is what lets a second shop's export find the same person.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind)
    value = models.CharField(_("value"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=True)
    consent = models.CharField(_("marketing consent"), max_length=12, choices=ConsentStatus, default=ConsentStatus.UNKNOWN)
    consent_updated_at = models.DateTimeField(_("consent updated"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="contact_point_unique")]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def set_consent(self, status, source, note="", at=None):
        """Change consent and record it in the consent history (no-op when unchanged)."""
        if status == self.consent:
            return None
        at = at or timezone.now()
        self.consent, self.consent_updated_at = status, at
        self.save(update_fields=["consent", "consent_updated_at"])
        return ConsentEvent.objects.create(contact_point=self, status=status, source=source, note=note, recorded_at=at)


class ConsentEvent(models.Model):
    """One change of consent on a contact point: the consent ledger."""

    contact_point = models.ForeignKey(ContactPoint, on_delete=models.CASCADE, related_name="consent_events")
    status = models.CharField(_("status"), max_length=12, choices=ConsentStatus)
    source = models.CharField(_("source"), max_length=50)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent event")


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=AddressKind, default=AddressKind.SHIPPING)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=255)
    line2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        return ", ".join(p for p in [self.line1, self.line2, self.city, self.region, self.postal_code, self.country] if p)


class Note(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")


class TimelineEntry(models.Model):
    """One interaction on the customer's single timeline.

    `ref` names the source object (e.g. "order:123"); (kind, ref) is unique so
    a re-imported event never appears twice.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=10, choices=TimelineKind)
    occurred_at = models.DateTimeField(_("when"))
    ref = models.CharField(max_length=120)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="timeline_entry_unique")]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
