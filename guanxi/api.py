"""The REST API root: /api/v1/, OpenAPI 3.1 at /api/v1/openapi.json, docs at /api/v1/docs.

Each app contributes a router from its own api.py. Authentication is by API
key (guanxi.accounts.api_auth) on every operation except the signed webhooks.
The API is exempt from the login-required middleware (a machine has no
session; a missing key is a 401 JSON answer, not a redirect to the login page)
and, like every django-ninja view, from CSRF: no cookie authenticates it.

Errors always answer JSON: {"detail": "message"}, or for bad input
{"detail": [{"line", "field", "reason"}]} - the shape of an import's rejects.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.parser import Parser

from guanxi.accounts.api_auth import api_key_auth
from guanxi.core.api import InvalidInput
from guanxi.imports.exceptions import ImportRejected

DESCRIPTION = """Customers, products, orders, events and imports of Guanxi.

Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>` (make one with
`guanxi createapikey NAME --scope read|write`). Lists are paged with an opaque `cursor`.
Every write goes through the importer, so a record means the same as a row of an import file.
See docs/api.md."""


class GuanxiAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        _mark_login_not_required(patterns)
        return patterns, app_name, namespace


def _mark_login_not_required(patterns):
    # What django.contrib.auth.decorators.login_not_required does, applied to
    # every view django-ninja builds (LoginRequiredMiddleware reads the flag).
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _mark_login_not_required(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback.login_required = False


class SingleValueParser(Parser):
    """A parameter that takes one value, sent twice, is an error (422), not a
    silent pick of the last one: the client meant something we would ignore."""

    def parse_querydict(self, data, list_fields, request):
        repeated = [key for key in data if key not in list_fields and len(data.getlist(key)) > 1]
        if repeated:
            raise ValidationError([{"loc": ("query", key), "msg": _("given more than once")} for key in repeated])
        return super().parse_querydict(data, list_fields, request)


api = GuanxiAPI(
    title="Guanxi API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=api_key_auth(),
    parser=SingleValueParser(),
)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = api.create_response(
        request, {"detail": _("A valid API key is required (Authorization: Bearer <key> or X-API-Key: <key>).")}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="guanxi"'
    return response


@api.exception_handler(ValidationError)
def _invalid_request(request, exc):
    return api.create_response(request, {"detail": problems_of(exc.errors)}, status=422)


# Pydantic names the branch of a union that failed ("sku.str", "sku.int");
# the client named neither.
_UNION_BRANCHES = {"str", "int", "float", "bool", "none", "list", "dict", "decimal"}


def problems_of(errors):
    """Pydantic errors as {line, field, reason}, one per field: records[3].x
    becomes line 4, field x - the shape of an import's rejects."""
    merged = {}
    for error in errors:
        loc = list(error.get("loc") or [])
        path = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:] or loc
        path = [p for p in path if not (isinstance(p, str) and (p in _UNION_BRANCHES or "[" in p))]
        line = None
        if len(path) >= 2 and path[0] == "records" and isinstance(path[1], int):
            line, path = path[1] + 1, path[2:]
        key = (line, ".".join(str(p) for p in path))
        reasons = merged.setdefault(key, [])
        if error.get("msg") and error["msg"] not in reasons:
            reasons.append(error["msg"])
    return [{"line": line, "field": field, "reason": "; ".join(reasons)} for (line, field), reasons in merged.items()]


@api.exception_handler(InvalidInput)
def _invalid_input(request, exc):
    return api.create_response(request, {"detail": exc.problems}, status=422)


@api.exception_handler(ImportRejected)
def _import_rejected(request, exc):
    return api.create_response(request, {"detail": [{"line": None, "field": "", "reason": str(exc)}]}, status=422)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return api.create_response(request, {"detail": _("The request body is too large.")}, status=413)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


def _mount_routers():
    # guanxi.imports.api mounts the write operations on the customers and
    # commerce routers, so it is imported before they are added.
    from guanxi.campaigns.api import router as campaigns_router
    from guanxi.commerce.api import orders_router, products_router
    from guanxi.customers.api import router as customers_router
    from guanxi.imports.api import events_router, imports_router, webhooks_router
    from guanxi.segments.api import router as segments_router

    api.add_router("/customers", customers_router)
    api.add_router("/products", products_router)
    api.add_router("/orders", orders_router)
    api.add_router("/events", events_router)
    api.add_router("/imports", imports_router)
    api.add_router("/webhooks", webhooks_router)
    api.add_router("/segments", segments_router)
    api.add_router("/campaigns", campaigns_router)


_mount_routers()
