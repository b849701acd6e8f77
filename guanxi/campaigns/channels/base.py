"""The one interface every channel implements.

The outbox renders a due row into an `Outgoing` and hands it to a `Sender`.
A sender either returns the provider's message id or raises:
- `TemporaryFailure`: try again later (timeouts, busy servers, rate limits);
- `PermanentFailure`: never retry, the address itself is bad.
"""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Outgoing:
    """One rendered message, ready for a channel. `key` is the outbox row's unique key:
    providers receive it as an idempotency key, so a resend is recognisable."""

    key: str
    channel: str
    to: str
    subject: str = ""
    html: str = ""
    text: str = ""
    headers: dict = field(default_factory=dict)
    language: str = ""
    payload: dict = field(default_factory=dict)


class SendFailed(Exception):
    """The channel did not accept the message; `str(error)` is a message for people."""


class TemporaryFailure(SendFailed):
    """Worth retrying later: nothing is known to be wrong with the address."""


class PermanentFailure(SendFailed):
    """Not worth retrying: the provider rejected the address or the message itself."""


class Sender(ABC):
    """Sends `Outgoing` messages on one channel.

    `open()` and `close()` bracket a batch so that a connection (SMTP) is reused;
    senders without a connection keep the default no-ops. Usable as a context manager.
    """

    channel = ""

    def open(self):
        """Prepare for a batch (connect); the default has nothing to prepare."""

    def close(self):
        """End the batch (disconnect); safe to call more than once."""

    @abstractmethod
    def send(self, outgoing: Outgoing) -> str:
        """Hand one message to the provider and return the provider's message id."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


# HTTP statuses that say nothing about the address: our credentials (401, 403), a slow
# request (408) or a busy provider (429). Everything else from 400 to 499 is about the message.
RETRY_HTTP_4XX = {401, 403, 408, 429}
PROVIDER_TEXT_LIMIT = 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be re-sent as a GET without its body: stop and report instead."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: bytes, headers: dict, timeout: float = 10) -> dict:
    """POST `body` to an HTTP provider; return its JSON answer or raise a SendFailed.

    2xx → the parsed JSON object ({} when the body is not a JSON object);
    429, 5xx, 401/403/408, redirects, timeouts, refused connections → TemporaryFailure;
    other 4xx → PermanentFailure carrying the provider's error text.
    """
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise PermanentFailure(_("Not an http(s) address: %(url)s") % {"url": url[:200]})
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return _json_object(response.read())
    except urllib.error.HTTPError as error:
        raise _http_failure(error.code, error.read()) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise TemporaryFailure(_("The provider could not be reached: %(error)s") % {"error": reason}) from error


def _http_failure(status: int, body: bytes) -> SendFailed:
    text = provider_text(body)
    if status >= 500 or status < 400 or status in RETRY_HTTP_4XX:
        return TemporaryFailure(_("The provider answered HTTP %(status)s: %(text)s") % {"status": status, "text": text})
    return PermanentFailure(_("The provider rejected the message (HTTP %(status)s): %(text)s")
                            % {"status": status, "text": text})


def provider_text(body: bytes) -> str:
    """The provider's own explanation: a JSON `error`/`message` field, else the raw body, shortened."""
    answer = _json_object(body)
    text = answer.get("error") or answer.get("message") or answer.get("errmsg")
    if isinstance(text, dict):
        text = text.get("message") or json.dumps(text)
    if not text:
        text = body.decode("utf-8", "replace").strip()
    return str(text)[:PROVIDER_TEXT_LIMIT]


def _json_object(body: bytes) -> dict:
    try:
        answer = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return answer if isinstance(answer, dict) else {}
