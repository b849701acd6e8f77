"""Segments: saved definitions, their materialised members and the history.

A rule-based segment keeps its definition (a JSON tree of AND/OR groups, see
rules.py) and is refreshed into `SegmentMembership` rows: by the nightly task,
after each analysis, on save and on demand. Each refresh is a `SegmentRefresh`
(size, revenue and CLV then: the size-over-time chart) and records who entered
and who left as `SegmentChange` rows. A static list is filled from an uploaded
file or the API and changes only then.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.segments.choices import Change, RefreshTrigger, SegmentKind


class Segment(models.Model):
    """A named group of customers, by rules or by list, with its latest figures."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind, default=SegmentKind.DYNAMIC)
    definition = models.JSONField(_("rules"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Figures of the last refresh, so lists never count members on the fly.
    size = models.PositiveIntegerField(_("members"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2, default=0)
    clv = models.FloatField(_("predicted CLV"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        permissions = [("export_segment", _("Can export segment members"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("segments:detail", args=[self.pk])

    @property
    def is_static(self):
        return self.kind == SegmentKind.STATIC


class SegmentMembership(models.Model):
    """A customer in a segment since `entered_at` (one row per pair)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="segment_memberships")
    entered_at = models.DateTimeField(_("member since"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_once")]
        indexes = [models.Index(fields=["customer"], name="segment_member_customer")]
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")


class SegmentRefresh(models.Model):
    """One refresh (or list upload): the segment's figures then and how many moved."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="refreshes")
    trigger = models.CharField(_("trigger"), max_length=10, choices=RefreshTrigger)
    at = models.DateTimeField(_("when"))
    size = models.PositiveIntegerField(_("members"))
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2, default=0)
    clv = models.FloatField(_("predicted CLV"), default=0)
    entered = models.PositiveIntegerField(_("entered"), default=0)
    left = models.PositiveIntegerField(_("left"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("segment refresh")
        verbose_name_plural = _("segment refreshes")


class SegmentChange(models.Model):
    """A customer entering or leaving a segment at a refresh."""

    refresh = models.ForeignKey(SegmentRefresh, on_delete=models.CASCADE, related_name="changes")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="changes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="segment_changes")
    change = models.CharField(_("change"), max_length=8, choices=Change)
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["segment", "-at"], name="segment_change_recent"),
                   models.Index(fields=["customer"], name="segment_change_customer")]
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")
