"""SMS through an HTTP provider.

Adapter interface, for adding another provider (a Twilio-like API, say): subclass
`HttpSmsSender` and override
- `build_request(outgoing) -> (url, body: bytes, headers: dict)`: the provider's request;
- `provider_id(answer: dict) -> str`: the message id in the provider's JSON answer.
`post_json` (channels.base) does the POST and maps the HTTP outcome to
TemporaryFailure/PermanentFailure, so a new adapter needs no error handling of its own.
"""

import json

from django.conf import settings

from guanxi.campaigns.channels.base import Sender, post_json


class HttpSmsSender(Sender):
    """POSTs {"to", "text", "reference"} as JSON with a bearer token; the outbox key
    goes along as `Idempotency-Key`, so a retried request is not sent twice."""

    channel = "sms"
    timeout = 10

    def __init__(self, url=None, token=None):
        messaging = settings.GUANXI_MESSAGING
        self.url = url or messaging.get("sms_url", "")
        self.token = token if token is not None else messaging.get("sms_token", "")

    def send(self, outgoing) -> str:
        url, body, headers = self.build_request(outgoing)
        return self.provider_id(post_json(url, body, headers, timeout=self.timeout))

    def build_request(self, outgoing):
        body = {"to": outgoing.to, "text": outgoing.text, "reference": outgoing.key}
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": outgoing.key}
        return self.url, json.dumps(body, ensure_ascii=False).encode("utf-8"), headers

    def provider_id(self, answer: dict) -> str:
        return str(answer.get("id", ""))
