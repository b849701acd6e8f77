"""Records of data coming in: import runs (files, API batches) and webhook deliveries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.imports.choices import ImportKind, Preset, RunStatus


class ImportRun(models.Model):
    """One import of a file or an API batch, with counts that add up:
    read = created + updated + unchanged + rejected."""

    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind)
    source = models.CharField(_("source"), max_length=50)
    preset = models.CharField(_("preset"), max_length=12, choices=Preset, default=Preset.GENERIC)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=RunStatus, default=RunStatus.QUEUED)
    read = models.PositiveIntegerField(_("read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejects_file = models.CharField(_("rejects file"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def summary(self):
        return {
            "id": self.pk,
            "kind": self.kind,
            "status": self.status,
            "dry_run": self.dry_run,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file or None,
        }


class WebhookEndpoint(models.Model):
    """A shop allowed to push events; its secret signs each delivery (HMAC-SHA256)."""

    source = models.CharField(_("source"), max_length=50, unique=True)
    secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")

    def __str__(self):
        return self.source


class WebhookDelivery(models.Model):
    """A received webhook event; (source, event_id) is unique so a retry changes nothing."""

    source = models.CharField(max_length=50)
    event_id = models.CharField(max_length=100)
    topic = models.CharField(max_length=50)
    received_at = models.DateTimeField(auto_now_add=True)
    import_run = models.ForeignKey(ImportRun, null=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="webhook_delivery_unique")]
        verbose_name = _("webhook delivery")
