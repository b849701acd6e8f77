"""Signed webhooks: a shop pushes customers, orders and events as they happen.

A delivery is a POST of JSON with these headers (id and topic may instead be
fields of the body, `{"id", "topic", "data"}`); the data is one record or a list:
    X-Guanxi-Timestamp: Unix seconds when it was sent; refused when more than
                        5 minutes away from now (a captured delivery cannot be replayed later)
    X-Guanxi-Event-Id:  unique per delivery; a retry sends the same id
    X-Guanxi-Topic:     one of TOPICS
    X-Guanxi-Signature: sha256=<hex HMAC-SHA256 with the endpoint's secret of
                        "<timestamp>.<event id>.<topic>." followed by the raw body>
Signing the timestamp, id and topic with the body means none of them can be
changed to re-import an old delivery under a new id or another topic.

Steps of `receive()`:
1. find the endpoint of the source and check the signature over the raw bytes
   (constant-time compare; an unknown source and a bad signature look alike);
2. read the event id, topic and data; turn the data into import records;
3. in one transaction: record the delivery (unique per source and event id, so
   a repeat or a concurrent twin is a "duplicate" and imports nothing), then
   import the records through the same service as files. If the import
   raises, the delivery row rolls back with it, so the sender's retry works.
"""

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.imports.exceptions import WebhookRejected
from guanxi.imports.models import ImportRun, WebhookDelivery, WebhookEndpoint
from guanxi.imports.services import import_records

TOPICS = {
    "customer.created": "customers",
    "customer.updated": "customers",
    "order.created": "orders",
    "order.updated": "orders",
    "event.created": "events",
}
SIGNATURE_PREFIX = "sha256="
EVENT_ID_MAX = 100
SOURCE_MAX = WebhookEndpoint._meta.get_field("source").max_length


class WebhookUnauthorized(WebhookRejected):
    """Unknown source or a signature that does not match (HTTP 401)."""


class WebhookInvalid(WebhookRejected):
    """Signed correctly but unusable: not JSON, no event id, unknown topic (HTTP 422)."""

    def __init__(self, field, reason):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class WebhookResult:
    status: str  # "imported" or "duplicate"
    run: ImportRun | None = None


MAX_CLOCK_SKEW = 300  # seconds


def sign(secret, body):
    """HMAC-SHA256 signature value of these bytes (senders sign `signed_content`)."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_content(timestamp, event_id, topic, body):
    """The bytes a delivery's signature covers."""
    return f"{timestamp}.{event_id}.{topic}.".encode() + body


def delivery_headers(secret, body, event_id, topic, timestamp=None):
    """Headers for a delivery of `body` (what a sender, or a test, sends)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"X-Guanxi-Timestamp": str(timestamp), "X-Guanxi-Event-Id": event_id, "X-Guanxi-Topic": topic,
            "X-Guanxi-Signature": sign(secret, signed_content(timestamp, event_id, topic, body))}


def signature_matches(secret, body, signature):
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode(), (signature or "").strip().lower().encode())


def rotate_secret(source):
    """Create the endpoint of `source`, or give it a new secret; returns it."""
    source = source.strip()
    if not source or len(source) > SOURCE_MAX:
        raise ValueError(_("a source name has 1 to %(max)d characters") % {"max": SOURCE_MAX})
    endpoint, _created = WebhookEndpoint.objects.update_or_create(
        source=source, defaults={"secret": secrets.token_hex(32)}
    )
    return endpoint


def order_records(order):
    """One import record per order line, each carrying the order-level fields
    (the shape of an orders file). An order without lines is one record."""
    if not isinstance(order, dict):
        raise ValueError(_("each order must be an object"))
    lines = order.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise ValueError(_("lines must be a list of objects"))
    head = {key: value for key, value in order.items() if key != "lines"}
    return [{**head, **line} for line in lines] or [head]


def records_for(kind, data):
    """Import records from a delivery's data: one object or a list of them."""
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ValueError(_("data must be an object or a list of objects"))
    if kind == "orders":
        return [record for order in items for record in order_records(order)]
    return items


def receive(source, body, *, signature=None, event_id=None, topic=None, timestamp=None):
    """Verify and import one delivery; returns a WebhookResult or raises
    WebhookUnauthorized / WebhookInvalid (nothing written in either case)."""
    endpoint = WebhookEndpoint.objects.filter(source=source).first()
    envelope = _envelope(body)
    event_id = str(event_id or envelope.get("id") or "").strip()
    topic = str(topic or envelope.get("topic") or "").strip()
    if endpoint is None or not _fresh(timestamp) or not signature_matches(
            endpoint.secret, signed_content(str(timestamp).strip(), event_id, topic, body), signature):
        raise WebhookUnauthorized(_("Unknown webhook source, a bad signature or a stale timestamp."))
    payload = _parse(body)
    if not event_id or len(event_id) > EVENT_ID_MAX:
        raise WebhookInvalid("id", _("needs an event id of at most %(max)d characters (X-Guanxi-Event-Id)") % {"max": EVENT_ID_MAX})
    if topic not in TOPICS:
        raise WebhookInvalid("topic", _("%(topic)r is not one of: %(topics)s") % {"topic": topic, "topics": ", ".join(TOPICS)})
    try:
        records = records_for(TOPICS[topic], envelope["data"] if "data" in envelope else payload)
    except ValueError as exc:
        raise WebhookInvalid("data", str(exc)) from None
    if WebhookDelivery.objects.filter(source=source, event_id=event_id).exists():
        return WebhookResult("duplicate")
    return _import_once(source, event_id, topic, records)


def _fresh(timestamp):
    try:
        sent = int(str(timestamp).strip())
    except ValueError:
        return False
    return abs(time.time() - sent) <= MAX_CLOCK_SKEW


def _envelope(body):
    """id/topic from the body before verification: they are then checked by the signature."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _parse(body):
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookInvalid("body", _("the body is not JSON")) from None
    if not isinstance(payload, (dict, list)):
        raise WebhookInvalid("body", _("the body must be a JSON object or list"))
    return payload


@transaction.atomic
def _import_once(source, event_id, topic, records):
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(source=source, event_id=event_id, topic=topic)
    except IntegrityError:
        # A concurrent twin got here first; it imports the data.
        return WebhookResult("duplicate")
    run = import_records(TOPICS[topic], records, source=source)
    delivery.import_run = run
    delivery.save(update_fields=["import_run"])
    return WebhookResult("imported", run)
