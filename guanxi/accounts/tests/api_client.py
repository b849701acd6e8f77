"""Test helpers for the REST API: a JSON client carrying an API key, and
fixtures for read and write keys. Import the fixtures into a test module:
    from guanxi.accounts.tests.api_client import api, read_api, write_key  # noqa: F401
"""

import pytest
from django.test import Client

from guanxi.accounts.choices import Scope
from guanxi.accounts.services import create_api_key

BASE = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON to /api/v1 with one API key."""

    def __init__(self, key=None, header="bearer"):
        self.client = Client()
        self.headers = {}
        if key and header == "bearer":
            self.headers["Authorization"] = f"Bearer {key}"
        elif key:
            self.headers["X-API-Key"] = key

    def get(self, path, **params):
        return self.client.get(BASE + path, {k: v for k, v in params.items() if v is not None}, headers=self.headers)

    def post(self, path, data=None, **params):
        return self._send("post", path, data, params)

    def put(self, path, data=None, **params):
        return self._send("put", path, data, params)

    def _send(self, method, path, data, params):
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        return getattr(self.client, method)(BASE + path + query, data or {}, content_type="application/json", headers=self.headers)


def all_pages(api, path, **params):
    """Every item of a cursor-paged list, following next_cursor; also the page count."""
    items, cursor, pages = [], None, 0
    while True:
        response = api.get(path, cursor=cursor, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.fixture
def write_key(db):
    return create_api_key("shop sync", Scope.WRITE)


@pytest.fixture
def read_key(db):
    return create_api_key("dashboard", Scope.READ)


@pytest.fixture
def api(write_key):
    return ApiClient(write_key[1])


@pytest.fixture
def read_api(read_key):
    return ApiClient(read_key[1])
