"""Refuse NUL characters in requests before they reach the database.

PostgreSQL text cannot hold U+0000 and answers such a query with an error (a 500
for the client); SQLite would store it silently. Either way it is never a real
search or value, so the request is refused: a 422 in the API's problem shape,
a 400 for pages.
"""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(request) -> bool:
    if any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()):
        return True
    if request.method not in ("POST", "PUT", "PATCH") or request.content_type.startswith("multipart/"):
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return False  # left for the view to answer 413
    body = request.body
    return b"\x00" in body or b"\\u0000" in body


def reject_nul_bytes(get_response):
    def middleware(request):
        if _has_nul(request):
            reason = _("NUL characters (U+0000) are not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": [{"line": None, "field": "request", "reason": reason}]}, status=422)
            return HttpResponseBadRequest(reason)
        return get_response(request)

    return middleware
