"""Team accounts: roles are auth groups (see services.ensure_roles); API keys."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.choices import Scope


def hash_api_key(plaintext):
    # Keys are 256-bit random strings, so a fast hash is enough: there is
    # nothing to brute-force, unlike a human password.
    return hashlib.sha256(plaintext.encode()).hexdigest()


class ApiKey(models.Model):
    """An API key; only its SHA-256 is stored, and the prefix to find it."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope, default=Scope.READ)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope):
        return self.revoked_at is None and (self.scope == Scope.WRITE or scope == Scope.READ)

    def matches(self, plaintext):
        import hmac

        return hmac.compare_digest(self.key_hash, hash_api_key(plaintext))


class AuditEvent(models.Model):
    """Who did something sensitive (an export, a bulk change), when and to what.

    Rows are only ever added (services.record_audit); nothing in the app edits them.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target = models.CharField(_("target"), max_length=120, blank=True)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"
