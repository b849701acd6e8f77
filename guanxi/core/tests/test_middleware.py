"""NUL characters never reach the database (PostgreSQL would answer with a 500)."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_api_query_is_a_422_problem(client):
    response = client.get("/api/v1/products/", {"q": "tea\x00"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["reason"] == "NUL characters (U+0000) are not allowed."


def test_a_nul_in_an_api_body_is_a_422_problem(client):
    response = client.post("/api/v1/events/", data='{"events": [{"event_id": "a\\u0000"}]}', content_type="application/json")
    assert response.status_code == 422


def test_a_nul_in_a_page_search_is_a_400(admin_client):
    assert admin_client.get("/customers/", {"q": "\x00"}).status_code == 400
    assert admin_client.get("/customers/", {"q": "王"}).status_code == 200
