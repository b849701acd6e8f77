"""Users, roles and API keys."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.choices import Role, Scope
from guanxi.accounts.exceptions import UnknownRole
from guanxi.accounts.models import ApiKey, hash_api_key

# The apps whose permissions roles hand out (an admin gets all of them).
GUANXI_APPS = ["customers", "commerce", "imports", "accounts", "insights", "segments", "reports", "campaigns"]

# What each role may do, as "app_label.codename" (Django's model permissions).
ROLE_PERMISSIONS = {
    Role.ADMIN: ["*"],
    Role.MARKETING: ["customers.view_customer", "customers.change_customer", "customers.add_note",
                     "commerce.view_order", "commerce.view_product", "imports.view_importrun",
                     "insights.view_analysisrun", "segments.view_segment", "segments.add_segment",
                     "segments.change_segment", "segments.delete_segment", "segments.export_segment",
                     "reports.view_dashboard", "campaigns.view_campaign", "campaigns.add_campaign",
                     "campaigns.change_campaign", "campaigns.view_messagetemplate", "campaigns.add_messagetemplate",
                     "campaigns.change_messagetemplate", "campaigns.view_message", "campaigns.change_message",
                     "campaigns.view_flow", "campaigns.add_flow", "campaigns.change_flow", "campaigns.view_enrolment",
                     "campaigns.change_enrolment"],
    Role.SALES: ["customers.view_customer", "customers.change_customer", "customers.add_note",
                 "commerce.view_order", "commerce.view_product", "insights.view_analysisrun",
                 "segments.view_segment", "segments.export_segment", "reports.view_dashboard",
                 "campaigns.view_campaign"],
    Role.SERVICE: ["customers.view_customer", "customers.change_customer", "customers.add_note",
                   "commerce.view_order", "commerce.view_product", "segments.view_segment",
                   "campaigns.view_campaign"],
    Role.ANALYST: ["customers.view_customer", "commerce.view_order", "commerce.view_product",
                   "imports.view_importrun", "imports.add_importrun", "insights.view_analysisrun",
                   "segments.view_segment", "segments.add_segment", "segments.change_segment",
                   "segments.export_segment", "reports.view_dashboard", "campaigns.view_campaign",
                   "campaigns.view_messagetemplate", "campaigns.view_message", "campaigns.view_flow",
                   "campaigns.view_enrolment"],
}


def ensure_roles():
    """Create or refresh one auth group per role with its permissions."""
    every = Permission.objects.filter(content_type__app_label__in=GUANXI_APPS)
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        if names == ["*"]:
            group.permissions.set(every)
            continue
        wanted = [tuple(name.split(".")) for name in names]
        perms = [p for p in every.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted]
        group.permissions.set(perms)


@transaction.atomic
def create_user(username, password, role=Role.ADMIN, email=""):
    """Create (or update the password and role of) a team member."""
    if role not in Role.values:
        raise UnknownRole(_("Unknown role %(role)s: choose one of %(roles)s") % {"role": role, "roles": ", ".join(Role.values)})
    ensure_roles()
    user, _created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user


def record_audit(actor, action, target="", summary="", request=None, **detail):
    """Add one row to the audit log (exports, bulk changes); returns it."""
    from guanxi.accounts.models import AuditEvent

    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEvent.objects.create(actor=actor if getattr(actor, "pk", None) else None, action=action,
                                     target=str(target)[:120], summary=str(summary)[:255], detail=detail,
                                     ip_address=ip or None)


def role_of(user):
    names = set(user.groups.values_list("name", flat=True))
    return next((r for r in Role if r.value in names), None)


def create_api_key(name, scope=Scope.READ, user=None):
    """Make a new key; returns (ApiKey, plaintext). The plaintext is shown once."""
    prefix = secrets.token_hex(4)
    plaintext = f"gx_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=hash_api_key(plaintext), scope=scope, user=user)
    return key, plaintext


def find_api_key(plaintext):
    """The live key for this plaintext, or None."""
    parts = (plaintext or "").split("_")
    if len(parts) < 3 or parts[0] != "gx":
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    return key if key and key.matches(plaintext) else None


def revoke_api_key(key_id):
    """Revoke a live key; returns False when it was unknown or already revoked."""
    from django.utils import timezone

    return bool(ApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(revoked_at=timezone.now()))
