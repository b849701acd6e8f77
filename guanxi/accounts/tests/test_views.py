"""Account pages: profile with role, API keys for administrators."""

import pytest
from django.urls import reverse

from guanxi.accounts.choices import Role, Scope
from guanxi.accounts.models import ApiKey
from guanxi.accounts.services import create_api_key, find_api_key

pytestmark = pytest.mark.django_db

KEYS = reverse("accounts:api_keys")


@pytest.mark.parametrize(("role", "label"), [(Role.ANALYST, "Analyst"), (Role.SERVICE, "Customer service")])
def test_the_profile_page_shows_the_users_role(client, make_user, role, label):
    client.force_login(make_user("u", role))
    html = client.get(reverse("accounts:profile")).content.decode()
    assert label in html


def test_the_profile_page_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_creating_a_key_shows_its_plaintext_once_and_stores_only_a_hash(admin_client):
    response = admin_client.post(KEYS, {"name": "Shopify sync", "scope": "write"})
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    key = ApiKey.objects.get()
    assert (key.name, key.scope, find_api_key(plaintext)) == ("Shopify sync", Scope.WRITE, key)
    assert plaintext not in key.key_hash
    assert plaintext not in admin_client.get(KEYS).content.decode()


def test_a_key_without_a_name_is_refused(admin_client):
    response = admin_client.post(KEYS, {"name": "", "scope": "read"})
    assert response.context["form"].errors and not ApiKey.objects.exists()


def test_revoking_a_key_stops_it_working(admin_client):
    key, plaintext = create_api_key("old")
    response = admin_client.post(reverse("accounts:api_key_revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and find_api_key(plaintext) is None


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ANALYST])
def test_only_admins_manage_api_keys(client, make_user, role):
    client.force_login(make_user("u", role))
    key, _plaintext = create_api_key("k")
    assert client.get(KEYS).status_code == 403
    assert client.post(KEYS, {"name": "x", "scope": "read"}).status_code == 403
    assert client.post(reverse("accounts:api_key_revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None and ApiKey.objects.count() == 1


def test_admins_see_the_api_keys_page(admin_client):
    create_api_key("Reporting", Scope.READ)
    html = admin_client.get(KEYS).content.decode()
    assert "Reporting" in html


def test_the_login_page_signs_in_and_logout_is_a_post(client, make_user):
    make_user("li", Role.SALES, password="long-enough-password")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "li", "password": "long-enough-password"})
    assert response.status_code == 302
    assert client.get(reverse("customers:list")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("customers:list")).status_code == 302


def test_the_menu_shows_api_keys_only_to_admins(client, admin_client, make_user):
    assert KEYS in admin_client.get(reverse("customers:list")).content.decode()
    client.force_login(make_user("s", Role.SALES))
    assert KEYS not in client.get(reverse("customers:list")).content.decode()


def test_an_unknown_page_shows_the_404_page(admin_client):
    response = admin_client.get("/no/such/page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()
