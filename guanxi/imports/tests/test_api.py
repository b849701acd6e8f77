"""Batch ingest through the REST API: events and any kind of import, with the
run's counts and rejects."""

import pytest

from guanxi.accounts.tests.api_client import api, read_api, read_key, write_key  # noqa: F401
from guanxi.commerce.models import Event, Order
from guanxi.customers.models import Customer
from guanxi.imports.api_schemas import EventIn
from guanxi.imports.models import ImportRun
from guanxi.imports.schemas import SCHEMAS

pytestmark = pytest.mark.django_db


def event(n, **fields):
    return {"event_id": f"E{n}", "event_type": "view", "customer_id": f"C{n % 3}", "occurred_at": "2025-03-08T10:00:00Z",
            "sku": "TEA-1", **fields}


def order_line(order_id, line, **fields):
    return {"order_id": order_id, "customer_email": "mei@example.com", "ordered_at": "2025-03-08", "currency": "CNY",
            "total": "30.00", "sku": f"S{line}", "quantity": "1", "unit_price": "15.00", **fields}


def test_the_api_takes_every_field_of_an_events_import():
    assert set(EventIn.model_fields) == set(SCHEMAS["events"].names)


def test_a_batch_of_events_is_imported_and_counted(api):
    response = api.post("/events/batch", {"records": [event(n) for n in range(10)]})
    assert response.status_code == 200, response.content
    summary = response.json()
    assert (summary["kind"], summary["status"], summary["read"], summary["created"], summary["rejected"]) == ("events", "done", 10, 10, 0)
    assert Event.objects.count() == 10


def test_sending_the_same_events_again_changes_nothing(api):
    api.post("/events/batch", {"records": [event(n) for n in range(5)]})
    again = api.post("/events/batch", {"records": [event(n) for n in range(5)]}).json()
    assert again["created"] == 0 and again["unchanged"] + again["updated"] == 5
    assert Event.objects.count() == 5


def test_a_bad_event_is_rejected_with_its_line_and_the_rest_imported(api):
    records = [event(1), event(2, occurred_at="whenever"), event(3)]
    summary = api.post("/events/batch", {"records": records}).json()
    assert (summary["created"], summary["rejected"]) == (2, 1)
    reject = summary["rejects"][0]
    assert (reject["line"], reject["field"]) == (2, "occurred_at")
    assert reject["row"]["event_id"] == "E2"


def test_an_event_of_the_wrong_shape_is_a_422_with_its_line(api):
    response = api.post("/events/batch", {"records": [event(1), event(2, sku={"not": "text"})]})
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert (problem["line"], problem["field"]) == (2, "sku")
    assert not Event.objects.exists()


def test_more_than_1000_events_is_a_413(api):
    response = api.post("/events/batch", {"records": [event(n) for n in range(1001)]})
    assert response.status_code == 413
    assert "1000" in response.json()["detail"].replace(",", "")
    assert not ImportRun.objects.exists()


def test_a_dry_run_counts_but_writes_nothing(api):
    summary = api.post("/events/batch", {"records": [event(1), event(2)], "dry_run": True}).json()
    assert summary["dry_run"] is True and summary["created"] == 2
    assert not Event.objects.exists() and not Customer.objects.exists()


def test_a_batch_of_order_lines_imports_orders(api):
    records = [order_line("O1", 1), order_line("O1", 2), order_line("O2", 1, total="15.00")]
    response = api.post("/imports/orders", {"records": records, "source": "tmall"})
    assert response.status_code == 200, response.content
    assert response.json()["rejected"] == 0
    assert sorted(Order.objects.filter(source="tmall").values_list("external_id", flat=True)) == ["O1", "O2"]


def test_a_batch_of_customers_is_imported(api):
    records = [{"customer_id": f"C{n}", "email": f"c{n}@example.com"} for n in range(4)]
    summary = api.post("/imports/customers", {"records": records}).json()
    assert (summary["created"], summary["rejected"]) == (4, 0)
    assert Customer.objects.count() == 4


def test_an_unknown_kind_is_a_422(api):
    response = api.post("/imports/invoices", {"records": [{"a": 1}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "key"


def test_more_than_5000_records_is_a_413(api):
    response = api.post("/imports/products", {"records": [{"sku": str(n), "name": "x"} for n in range(5001)]})
    assert response.status_code == 413


def test_a_body_that_is_not_json_is_a_400(api):
    response = api.client.post("/api/v1/imports/products", "{nope", content_type="application/json", headers=api.headers)
    assert response.status_code == 400


def test_an_import_run_shows_its_counts_and_first_rejects(api, read_api):
    run_id = api.post("/imports/products", {"records": [{"sku": "A", "name": "Tea"}, {"sku": "B"}]}).json()["id"]
    response = read_api.get(f"/imports/{run_id}")
    assert response.status_code == 200
    run = response.json()
    assert (run["read"], run["created"], run["rejected"]) == (2, 1, 1)
    assert run["rejects"] == [{"line": 2, "field": "name", "reason": "missing value", "row": {"sku": "B"}}]
    assert "rejects_file" not in run  # a server path is nobody's business


def test_a_missing_import_run_is_a_404(read_api):
    assert read_api.get("/imports/12345").status_code == 404


def test_a_body_over_the_upload_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api.post("/events/batch", {"records": [event(n) for n in range(50)]})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("body,field", [
    ({"records": [], "dry_run": 0}, "dry_run"),
    ({"records": [event(1, session_id=False)]}, "session_id"),
    ({"records": [event(1, sku=1.5)]}, "sku"),
])
def test_a_body_is_not_coerced_into_the_type_its_schema_names(api, body, field):
    response = api.post("/events/batch", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
