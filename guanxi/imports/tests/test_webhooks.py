"""Signed webhooks: verification, idempotency on the event id, dispatch through
the importer, and the createwebhook command."""

import io
import json

import pytest
from django.core.management import call_command

from guanxi.commerce.models import Event, Order, OrderLine
from guanxi.customers.models import Customer
from guanxi.imports import webhooks
from guanxi.imports.models import ImportRun, WebhookDelivery, WebhookEndpoint
from guanxi.imports.webhooks import delivery_headers, order_records, rotate_secret, sign, signature_matches

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/shopify"
ORDER = {
    "order_id": "#1001",
    "customer_id": "42",
    "customer_email": "mei@example.com",
    "ordered_at": "2025-03-08T14:30:00+08:00",
    "currency": "CNY",
    "total": "120.00",
    "lines": [{"sku": "TEA-1", "quantity": 2, "unit_price": "40.00"}, {"sku": "CUP-1", "quantity": 1, "unit_price": "40.00"}],
}


@pytest.fixture
def endpoint(db):
    return rotate_secret("shopify")


def deliver(client, endpoint, data, topic="order.created", event_id="evt-1", secret=None, url=URL, timestamp=None):
    body = json.dumps(data).encode()
    headers = delivery_headers(secret or endpoint.secret, body, event_id, topic, timestamp)
    return client.post(url, body, content_type="application/json", headers=headers)


def signed_only(secret, body, event_id="", topic=""):
    """Timestamp and signature headers, leaving id and topic to the body."""
    headers = delivery_headers(secret, body, event_id, topic)
    return {k: v for k, v in headers.items() if k in ("X-Guanxi-Timestamp", "X-Guanxi-Signature")}


def test_a_signature_is_an_hmac_sha256_of_the_raw_body():
    import hashlib
    import hmac

    body = b'{"a": 1}'
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == expected
    assert signature_matches("s3cret", body, expected)
    assert signature_matches("s3cret", body, expected.upper().replace("SHA256=", "sha256="))
    assert not signature_matches("s3cret", body + b" ", expected)
    assert not signature_matches("s3cret", body, None)


def test_an_order_becomes_one_record_per_line():
    records = order_records(ORDER)
    assert [r["sku"] for r in records] == ["TEA-1", "CUP-1"]
    assert all(r["order_id"] == "#1001" and r["total"] == "120.00" and "lines" not in r for r in records)
    assert order_records({"order_id": "X"}) == [{"order_id": "X"}]


def test_a_correctly_signed_order_is_imported_without_an_api_key(client, endpoint):
    response = deliver(client, endpoint, ORDER)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "imported"
    order = Order.objects.get(source="shopify", external_id="#1001")
    assert order.lines.count() == 2 and str(order.total) == "120.00"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.source, delivery.event_id, delivery.topic, delivery.import_run_id) == ("shopify", "evt-1", "order.created", response.json()["run"]["id"])


def test_a_wrong_signature_is_a_401_and_writes_nothing(client, endpoint):
    response = deliver(client, endpoint, ORDER, secret="not-the-secret")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert not Order.objects.exists() and not WebhookDelivery.objects.exists() and not ImportRun.objects.exists()


def test_a_missing_signature_is_a_401(client, endpoint):
    response = client.post(URL, json.dumps(ORDER), content_type="application/json", headers={"X-Guanxi-Topic": "order.created", "X-Guanxi-Event-Id": "e"})
    assert response.status_code == 401


def test_an_unknown_source_is_a_401(client, endpoint):
    response = deliver(client, endpoint, ORDER, url="/api/v1/webhooks/elsewhere")
    assert response.status_code == 401
    assert not Order.objects.exists()


def test_the_same_event_twice_is_imported_once(client, endpoint):
    assert deliver(client, endpoint, ORDER).json()["status"] == "imported"
    changed = {**ORDER, "total": "999.00"}
    second = deliver(client, endpoint, changed)
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "run": None}
    assert Order.objects.get().total == 120
    assert WebhookDelivery.objects.count() == 1 and ImportRun.objects.count() == 1


def test_a_new_event_about_the_same_order_updates_it(client, endpoint):
    deliver(client, endpoint, ORDER)
    deliver(client, endpoint, {**ORDER, "status": "fulfilled"}, topic="order.updated", event_id="evt-2")
    assert Order.objects.get().status == "fulfilled"
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 2


def test_id_topic_and_data_may_come_in_the_body(client, endpoint):
    body = json.dumps({"id": "evt-9", "topic": "customer.created", "data": {"customer_id": "42", "email": "mei@example.com"}}).encode()
    response = client.post(URL, body, content_type="application/json", headers=signed_only(endpoint.secret, body, "evt-9", "customer.created"))
    assert response.status_code == 200, response.content
    assert Customer.objects.filter(external_ids__source="shopify", external_ids__external_id="42").exists()
    assert WebhookDelivery.objects.get().event_id == "evt-9"


def test_events_may_come_as_a_list(client, endpoint):
    events = [{"event_id": f"v{n}", "event_type": "view", "customer_id": "42", "occurred_at": "2025-03-08T10:00:00Z"} for n in range(3)]
    response = deliver(client, endpoint, events, topic="event.created")
    assert response.json()["run"]["created"] == 3
    assert Event.objects.count() == 3


@pytest.mark.parametrize("headers,field", [
    ({"X-Guanxi-Topic": "order.deleted", "X-Guanxi-Event-Id": "e1"}, "topic"),
    ({"X-Guanxi-Topic": "order.created"}, "id"),
])
def test_a_signed_delivery_without_a_known_topic_or_an_id_is_a_422(client, endpoint, headers, field):
    body = json.dumps(ORDER).encode()
    signed = signed_only(endpoint.secret, body, headers.get("X-Guanxi-Event-Id", ""), headers.get("X-Guanxi-Topic", ""))
    response = client.post(URL, body, content_type="application/json", headers={**signed, **headers})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert not WebhookDelivery.objects.exists()


def test_a_signed_body_that_is_not_json_is_a_422(client, endpoint):
    body = b"<xml/>"
    headers = delivery_headers(endpoint.secret, body, "e1", "order.created")
    response = client.post(URL, body, content_type="application/json", headers=headers)
    assert response.status_code == 422


def test_when_the_import_fails_no_delivery_is_stored_so_a_retry_works(client, endpoint, monkeypatch):
    def broken(kind, records, **kwargs):
        ImportRun.objects.create(kind=kind, source="shopify")  # what a real run writes first
        raise RuntimeError("disk full")

    monkeypatch.setattr(webhooks, "import_records", broken)
    client.raise_request_exception = False
    assert deliver(client, endpoint, ORDER).status_code == 500
    assert not WebhookDelivery.objects.exists() and not ImportRun.objects.exists()
    monkeypatch.undo()
    assert deliver(client, endpoint, ORDER).json()["status"] == "imported"
    assert Order.objects.count() == 1


def test_createwebhook_prints_the_url_and_a_new_secret_each_time(db):
    out = io.StringIO()
    call_command("createwebhook", "tmall", "--base-url", "https://crm.example.com/", stdout=out)
    first = WebhookEndpoint.objects.get(source="tmall").secret
    assert len(first) == 64
    assert "https://crm.example.com/api/v1/webhooks/tmall" in out.getvalue() and first in out.getvalue()
    call_command("createwebhook", "tmall", stdout=io.StringIO())
    assert WebhookEndpoint.objects.get(source="tmall").secret != first
    assert WebhookEndpoint.objects.count() == 1


def test_a_captured_delivery_cannot_be_replayed_under_a_new_id_or_topic_or_later(client, endpoint):
    import time

    body = json.dumps(ORDER).encode()
    headers = delivery_headers(endpoint.secret, body, "evt-1", "order.created")
    assert client.post(URL, body, content_type="application/json", headers=headers).status_code == 200
    for changed in ({"X-Guanxi-Event-Id": "evt-attacker"}, {"X-Guanxi-Topic": "order.updated"},
                    {"X-Guanxi-Timestamp": str(int(time.time()) + 1)}):
        response = client.post(URL, body, content_type="application/json", headers={**headers, **changed})
        assert response.status_code == 401, changed
    stale = deliver(client, endpoint, ORDER, event_id="evt-old", timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    assert WebhookDelivery.objects.count() == 1
