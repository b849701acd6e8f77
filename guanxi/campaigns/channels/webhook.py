"""Webhooks: the message's payload POSTed as JSON to the customer's (or partner's) URL.

Signed like Stripe/GitHub webhooks: the receiver recomputes
HMAC-SHA256(secret, timestamp + "." + body) and compares it with X-Guanxi-Signature;
see `verify_signature` and docs/channels.md.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.campaigns.channels.base import Sender, TemporaryFailure, post_json

SIGNATURE_HEADER = "X-Guanxi-Signature"
TIMESTAMP_HEADER = "X-Guanxi-Timestamp"
# Receivers reject older requests, so a captured request cannot be replayed later.
DEFAULT_TOLERANCE_SECONDS = 300


def sign(body: bytes, timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(body: bytes, timestamp: str, signature: str, secret: str, *,
                     tolerance=DEFAULT_TOLERANCE_SECONDS, now=None) -> bool:
    """True when `signature` was made with `secret` over exactly this timestamp and body,
    and the timestamp is within `tolerance` seconds of `now` (None: no age check)."""
    if not secret or not timestamp.isdigit():
        return False
    if tolerance is not None and abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(body, timestamp, secret), signature)


class WebhookSender(Sender):
    channel = "webhook"
    timeout = 10

    def __init__(self, secret=None):
        self.secret = secret if secret is not None else settings.GUANXI_MESSAGING.get("webhook_secret", "")

    def send(self, outgoing) -> str:
        if not self.secret:
            # Unsigned webhooks could be forged by anyone; a retry once it is set is fine.
            raise TemporaryFailure(_("GUANXI_WEBHOOK_SIGNING_SECRET is not set; webhooks are not sent unsigned."))
        body = json.dumps({"key": outgoing.key, "customer": outgoing.payload}, ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {SIGNATURE_HEADER: sign(body, timestamp, self.secret), TIMESTAMP_HEADER: timestamp,
                   "Idempotency-Key": outgoing.key}
        answer = post_json(outgoing.to, body, headers, timeout=self.timeout)
        return str(answer.get("id", ""))
