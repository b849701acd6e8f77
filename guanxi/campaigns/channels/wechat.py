"""WeChat-style template messages through an HTTP endpoint.

The body follows WeChat's template message API: `touser` (the openid), `template_id`,
an optional click-through `url`, and `data`, where each field is `{"value": ...}`.
WeChat answers HTTP 200 even on errors, with `errcode` in the body, so that is checked too.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.campaigns.channels.base import (
    PermanentFailure,
    Sender,
    TemporaryFailure,
    post_json,
)

# errcodes that mean this openid cannot receive: invalid openid, not following, refused.
# Any other errcode (busy, rate limit, expired access token) is worth a retry.
BAD_RECIPIENT = {40003, 43004, 43101}
TOP_LEVEL = {"template_id", "url"}


class WechatSender(Sender):
    channel = "wechat"
    timeout = 10

    def __init__(self, url=None, token=None):
        messaging = settings.GUANXI_MESSAGING
        self.url = url or messaging.get("wechat_url", "")
        self.token = token if token is not None else messaging.get("wechat_token", "")

    def send(self, outgoing) -> str:
        headers = {"Idempotency-Key": outgoing.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(template_body(outgoing), ensure_ascii=False).encode("utf-8")
        answer = post_json(self.url, body, headers, timeout=self.timeout)
        check_errcode(answer)
        return str(answer.get("msgid") or answer.get("id") or "")


def template_body(outgoing) -> dict:
    """The payload's fields become template data; without any, the text goes in a `text` field."""
    fields = {name: value for name, value in outgoing.payload.items() if name not in TOP_LEVEL}
    if not fields:
        fields = {"text": outgoing.text}
    body = {"touser": outgoing.to, "template_id": outgoing.payload.get("template_id", ""),
            "data": {name: _as_field(value) for name, value in fields.items()}}
    if outgoing.payload.get("url"):
        body["url"] = outgoing.payload["url"]
    return body


def _as_field(value):
    return value if isinstance(value, dict) else {"value": value}


def check_errcode(answer: dict):
    code = answer.get("errcode", 0)
    if not code:
        return
    text = f"{code} {answer.get('errmsg', '')}".strip()
    if code in BAD_RECIPIENT:
        raise PermanentFailure(_("WeChat rejected the recipient: %(reply)s") % {"reply": text})
    raise TemporaryFailure(_("WeChat did not send the message: %(reply)s") % {"reply": text})
