"""API-key authentication for the REST API.

A key travels as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Steps:
1. find the live key (accounts.services.find_api_key: hashed, revoked keys never match);
2. check its scope against the method: GET/HEAD/OPTIONS need `read`, anything
   else `write` (a read key on a write call is a 403, not a 401: the caller is
   known, the key is just not allowed);
3. note when it was last used, at most once a minute, so a busy integration
   does not turn every read into a write.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, HttpBearer

from guanxi.accounts.choices import Scope
from guanxi.accounts.models import ApiKey
from guanxi.accounts.services import find_api_key

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LAST_USED_RESOLUTION = timedelta(minutes=1)


def scope_for(method):
    return Scope.READ if method.upper() in SAFE_METHODS else Scope.WRITE


def authenticate_key(request, plaintext):
    """The ApiKey for this request, None (→ 401), or HttpError 403 on a scope miss."""
    key = find_api_key((plaintext or "").strip())
    if key is None:
        return None
    needed = scope_for(request.method)
    if not key.allows(needed):
        raise HttpError(403, _("This API key has the %(scope)s scope; this call needs a write key.") % {"scope": key.scope})
    touch(key)
    return key


def touch(key, now=None):
    """Record use of the key unless it was recorded less than a minute ago.

    The conditional UPDATE keeps two concurrent requests from both writing.
    """
    now = now or timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    stale = ApiKey.objects.filter(pk=key.pk, last_used_at__lt=now - LAST_USED_RESOLUTION)
    if key.last_used_at is None:
        stale = ApiKey.objects.filter(pk=key.pk, last_used_at__isnull=True)
    key.last_used_at = now
    return stale.update(last_used_at=now) == 1


class BearerKey(HttpBearer):
    """`Authorization: Bearer gx_...`"""

    openapi_description = "An API key as a bearer token: `Authorization: Bearer gx_...`."

    def authenticate(self, request, token):
        return authenticate_key(request, token)


class HeaderKey(APIKeyHeader):
    """`X-API-Key: gx_...`"""

    param_name = "X-API-Key"
    openapi_description = "An API key in its own header: `X-API-Key: gx_...`."

    def authenticate(self, request, key):
        return authenticate_key(request, key)


def api_key_auth():
    """The auth list for NinjaAPI: either header works."""
    return [BearerKey(), HeaderKey()]
