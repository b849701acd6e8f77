"""The OpenAPI schema is complete and truthful, and the docs work offline."""

import pytest

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/customers/": {"get", "post"},
    "/api/v1/customers/{id}": {"get", "patch"},
    "/api/v1/products/": {"get", "post"},
    "/api/v1/products/{sku}": {"get", "put"},
    "/api/v1/orders/": {"get", "post"},
    "/api/v1/orders/{order_id}": {"get", "put"},
    "/api/v1/events/batch": {"post"},
    "/api/v1/imports/{key}": {"get", "post"},
    "/api/v1/webhooks/{source}": {"post"},
    "/api/v1/segments/": {"get", "post"},
    "/api/v1/segments/fields": {"get"},
    "/api/v1/segments/preview": {"post"},
    "/api/v1/segments/{id}": {"get", "patch", "delete"},
    "/api/v1/segments/{id}/refresh": {"post"},
    "/api/v1/segments/{id}/members": {"get", "post"},
    "/api/v1/campaigns/": {"get", "post"},
    "/api/v1/campaigns/{id}": {"get"},
    "/api/v1/campaigns/{id}/send": {"post"},
    "/api/v1/campaigns/templates/": {"get", "post"},
    "/api/v1/campaigns/messages/": {"get"},
    "/api/v1/campaigns/messages/retry": {"post"},
    "/api/v1/campaigns/flows/": {"get", "post"},
    "/api/v1/campaigns/flows/presets": {"post"},
    "/api/v1/campaigns/flows/{id}": {"get", "put"},
    "/api/v1/campaigns/flows/{id}/activate": {"post"},
    "/api/v1/campaigns/flows/{id}/pause": {"post"},
    "/api/v1/campaigns/flows/{id}/enrolments": {"get"},
    "/api/v1/campaigns/flows/{id}/enrolments/retry": {"post"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, ops in schema["paths"].items():
        for method, operation in ops.items():
            yield path, method, operation


def test_the_schema_is_openapi_3_1_and_lists_every_path(schema):
    assert schema["openapi"].startswith("3.1")
    assert {path: set(ops) for path, ops in schema["paths"].items()} == EXPECTED_PATHS


def test_both_ways_of_sending_a_key_are_described(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert any(s.get("name") == "X-API-Key" for s in schemes.values())


def test_every_operation_declares_the_errors_it_can_answer(schema):
    for path, method, operation in operations(schema):
        declared = set(operation["responses"])
        assert {"401", "422"} <= declared, (method, path)
        if method in {"post", "put"}:
            assert "413" in declared, (method, path)
        if method in {"post", "put"} and "webhooks" not in path:
            assert {"400", "403"} <= declared, (method, path)
        if "{" in path and method == "get":
            assert "404" in declared, (method, path)


def test_webhooks_need_no_api_key_and_everything_else_does(schema):
    for path, method, operation in operations(schema):
        assert bool(operation.get("security")) == ("webhooks" not in path), (method, path)


def test_no_two_paths_differ_only_in_a_parameter_name(schema):
    import re

    shapes = [re.sub(r"\{[^}]+\}", "{}", path) for path in schema["paths"]]
    assert len(shapes) == len(set(shapes))


def test_the_docs_page_renders_without_a_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


# --- fuzzing: schemathesis generates requests from the schema ---------------------------

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402

from guanxi.wsgi import application  # noqa: E402

# Loading the schema needs no database: the schema view is a plain GET.
fuzzed = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def write_key(db):
    from guanxi.accounts.choices import Scope
    from guanxi.accounts.services import create_api_key

    return create_api_key("fuzz", Scope.WRITE)[1]


@pytest.fixture
def keep_db_connection():
    """Schemathesis calls the WSGI app directly, so Django's request signals
    would close the connection that holds the test's transaction (on
    PostgreSQL; SQLite's in-memory test database ignores the close). Django's
    own test client disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@fuzzed.parametrize()
# derandomize: the same examples every run, so CI is not flaky; run with a
# random seed locally (remove it) when the API changes.
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_schema_says(case, write_key, keep_db_connection):
    # All checks but two that judge the data rather than the answer:
    # - "valid-looking data is accepted": the importer's rules (an e-mail's
    #   syntax, one of id/e-mail/phone, a phone valid in its country) go beyond
    #   JSON Schema; it answers them with a declared 422;
    # - "invalid data is rejected": unknown query parameters are ignored, as
    #   most APIs do, and schemathesis counts that as accepting invalid data.
    #   Bodies are strict (see test_a_body_is_not_coerced...); the check is
    #   worth running by hand when the API changes: it found those coercions.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {write_key}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
