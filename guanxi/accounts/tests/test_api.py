"""API keys: authentication, scopes, last-used bookkeeping, and the commands
that make users and keys."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from guanxi.accounts.api_auth import touch
from guanxi.accounts.choices import Role, Scope
from guanxi.accounts.models import ApiKey
from guanxi.accounts.services import create_api_key, role_of
from guanxi.accounts.tests.api_client import ApiClient, api, read_api, read_key, write_key  # noqa: F401
from guanxi.api import api as ninja_api

pytestmark = pytest.mark.django_db


def every_operation():
    """(method, concrete path) of every API operation, for the permission sweep."""
    schema = ninja_api.get_openapi_schema(path_prefix="")
    examples = {"{id}": "1", "{key}": "1", "{sku}": "SKU-1", "{order_id}": "O-1", "{source}": "shop"}
    for path, operations in schema["paths"].items():
        for name, value in examples.items():
            path = path.replace(name, value)
        for method in operations:
            yield method, path


def test_a_call_without_a_key_is_a_401_json_answer_not_a_login_redirect(client):
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize("method,path", [op for op in every_operation() if not op[1].startswith("/webhooks")])
def test_every_operation_but_webhooks_needs_a_key(client, method, path):
    response = getattr(client, method)("/api/v1" + path, content_type="application/json")
    assert response.status_code == 401, (method, path, response.content)


def test_a_wrong_key_is_refused(db):
    assert ApiClient("gx_nope_not-a-key").get("/customers/").status_code == 401
    assert ApiClient("something else entirely").get("/customers/").status_code == 401


def test_a_key_with_a_known_prefix_but_wrong_secret_is_refused(write_key):
    key, plaintext = write_key
    assert ApiClient(plaintext[:-2] + "xx").get("/customers/").status_code == 401


def test_a_revoked_key_is_refused(write_key):
    key, plaintext = write_key
    key.revoked_at = timezone.now()
    key.save()
    assert ApiClient(plaintext).get("/customers/").status_code == 401


def test_the_key_works_as_a_bearer_token_and_in_x_api_key(read_key):
    assert ApiClient(read_key[1], header="bearer").get("/customers/").status_code == 200
    assert ApiClient(read_key[1], header="x-api-key").get("/customers/").status_code == 200


def test_a_read_key_cannot_write(read_api):
    response = read_api.post("/customers/", {"customer_id": "C1", "email": "a@example.com"})
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


@pytest.mark.parametrize("method,path", [op for op in every_operation() if op[0] != "get" and not op[1].startswith("/webhooks")])
def test_every_write_operation_refuses_a_read_key(read_key, method, path):
    client = ApiClient(read_key[1])
    response = getattr(client.client, method)("/api/v1" + path, {}, content_type="application/json", headers=client.headers)
    assert response.status_code == 403, (method, path, response.content)


def test_use_of_a_key_is_recorded_at_most_once_a_minute(read_key):
    key, plaintext = read_key
    client = ApiClient(plaintext)
    client.get("/customers/")
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    client.get("/customers/")
    key.refresh_from_db()
    assert key.last_used_at == first
    assert touch(key, now=first + timedelta(seconds=61)) is True
    assert touch(key, now=first + timedelta(seconds=62)) is False


def test_the_key_is_stored_hashed(write_key):
    key, plaintext = write_key
    secret = plaintext.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey WHERE id = %s", [key.pk])
        row = cursor.fetchone()
    assert not any(plaintext in str(value) or secret in str(value) for value in row)


def test_createapikey_prints_a_key_that_works_once_and_only_once(make_user):
    make_user("bot", Role.ANALYST)
    out, err = io.StringIO(), io.StringIO()
    call_command("createapikey", "nightly export", "--scope", "write", "--user", "bot", stdout=out, stderr=err)
    plaintext = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.scope == Scope.WRITE and key.user.username == "bot"
    assert plaintext.startswith("gx_") and plaintext not in key.key_hash
    assert ApiClient(plaintext).get("/customers/").status_code == 200


def test_createapikey_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("createapikey", "x", "--user", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_createuser_takes_the_password_from_the_option(db):
    call_command("createuser", "mei", "--role", "service", "--password", "long-enough-pass", stdout=io.StringIO())
    user = get_user_model().objects.get(username="mei")
    assert user.check_password("long-enough-pass")
    assert role_of(user) == Role.SERVICE and not user.is_staff


def test_createuser_takes_the_password_from_guanxi_password(db, monkeypatch):
    monkeypatch.setenv("GUANXI_PASSWORD", "from-the-environment")
    call_command("createuser", "boss", "--role", "admin", stdout=io.StringIO())
    user = get_user_model().objects.get(username="boss")
    assert user.check_password("from-the-environment") and user.is_superuser


def test_createuser_without_a_password_and_no_terminal_fails_clearly(db, monkeypatch):
    monkeypatch.delenv("GUANXI_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    with pytest.raises(CommandError, match="password"):
        call_command("createuser", "x", stdout=io.StringIO())


def test_a_key_can_be_made_for_a_user(make_user):
    user = make_user("sam", Role.SALES)
    key, plaintext = create_api_key("sam's laptop", Scope.READ, user)
    assert ApiClient(plaintext).get("/customers/").status_code == 200
