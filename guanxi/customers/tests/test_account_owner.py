"""The account owner: who may own, who may assign, the timeline note, the API."""

import pytest
from django.contrib.auth import get_user_model

from guanxi.accounts.choices import Role, Scope
from guanxi.accounts.services import create_api_key
from guanxi.accounts.tests.api_client import ApiClient, api, write_key  # noqa: F401  (pytest fixtures)
from guanxi.customers import services
from guanxi.customers.choices import TimelineKind
from guanxi.customers.exceptions import AssignmentNotAllowed, InvalidOwner
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_user):
    return {role: make_user(role.value, role) for role in Role}


@pytest.fixture
def customer():
    return make_customer("Wang Fang")


def test_sales_assigns_a_sales_owner_and_the_timeline_says_so(team, customer):
    assert services.assign_owner(customer, team[Role.SALES], by=team[Role.SALES]) is True
    customer.refresh_from_db()
    assert customer.account_owner == team[Role.SALES]
    entry = TimelineEntry.objects.get(customer=customer)
    assert (entry.kind, entry.data) == (TimelineKind.PROFILE, {"change": "account_owner", "owner": "sales",
                                                               "previous": "", "by": "sales"})


def test_reassigning_records_the_previous_owner_and_unchanged_is_a_no_op(team, customer):
    services.assign_owner(customer, team[Role.SALES], by=team[Role.ADMIN])
    assert services.assign_owner(customer, team[Role.SALES], by=team[Role.ADMIN]) is False
    services.assign_owner(customer, team[Role.ADMIN], by=team[Role.ADMIN])
    services.assign_owner(customer, None, by=team[Role.ADMIN])
    customer.refresh_from_db()
    assert customer.account_owner is None
    changes = [(e.data["owner"], e.data["previous"]) for e in TimelineEntry.objects.filter(customer=customer).order_by("id")]
    assert changes == [("sales", ""), ("admin", "sales"), ("", "admin")]


@pytest.mark.parametrize("role", [Role.SERVICE, Role.MARKETING, Role.ANALYST])
def test_only_sales_and_admins_may_own_accounts(team, customer, role):
    with pytest.raises(InvalidOwner) as error:
        services.assign_owner(customer, team[role], by=team[Role.ADMIN])
    assert error.value.message == f"{role.value} cannot own accounts: choose an active sales team member or admin."
    assert Customer.objects.get(pk=customer.pk).account_owner is None


def test_an_inactive_sales_member_cannot_own_accounts(team, customer):
    team[Role.SALES].is_active = False
    team[Role.SALES].save()
    with pytest.raises(InvalidOwner):
        services.assign_owner(customer, team[Role.SALES], by=team[Role.ADMIN])


def test_staff_without_a_role_may_own_accounts(customer):
    staff = get_user_model().objects.create_user("boss", is_staff=True)
    services.assign_owner(customer, staff)
    assert Customer.objects.get(pk=customer.pk).account_owner == staff


@pytest.mark.parametrize("role", [Role.SERVICE, Role.MARKETING, Role.ANALYST])
def test_only_sales_and_admins_may_assign_owners(team, customer, role):
    with pytest.raises(AssignmentNotAllowed) as error:
        services.assign_owner(customer, team[Role.SALES], by=team[role])
    assert error.value.message == "Only sales team members and admins may assign account owners."
    assert not TimelineEntry.objects.filter(customer=customer).exists()


def test_the_account_managers_are_active_sales_admins_and_staff_once_each(team):
    get_user_model().objects.create_user("boss", is_staff=True)
    get_user_model().objects.create_user("gone", is_staff=True, is_active=False)
    assert [u.username for u in services.account_managers()] == ["admin", "boss", "sales"]


# ---------------------------------------------------------------- API

def patch(client, customer_id, body):
    return client._send("patch", f"/customers/{customer_id}", body, {})


def test_the_api_shows_and_sets_the_account_owner(api, team, customer):
    assert api.get(f"/customers/{customer.pk}").json()["account_owner"] is None
    response = patch(api, customer.pk, {"account_owner": "sales"})
    assert response.status_code == 200, response.content
    assert response.json()["account_owner"] == "sales"
    assert patch(api, customer.pk, {"account_owner": None}).json()["account_owner"] is None


def test_the_api_refuses_an_unknown_or_unsuitable_owner_with_a_422(api, team, customer):
    assert patch(api, customer.pk, {"account_owner": "nobody"}).json() == {
        "detail": [{"line": None, "field": "account_owner", "reason": "no team member with this username"}]}
    response = patch(api, customer.pk, {"account_owner": "service"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["reason"] == "service cannot own accounts: choose an active sales team member or admin."


def test_the_api_refuses_unknown_fields_and_missing_customers(api, team, customer):
    assert patch(api, customer.pk, {"account_owner": "sales", "full_name": "X"}).status_code == 422
    assert patch(api, 999999, {"account_owner": "sales"}).status_code == 404


def test_a_key_of_a_service_user_may_not_assign_and_a_read_key_may_not_write(team, customer):
    service_key = create_api_key("helpdesk", Scope.WRITE, user=team[Role.SERVICE])[1]
    response = patch(ApiClient(service_key), customer.pk, {"account_owner": "sales"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only sales team members and admins may assign account owners."}
    read_key = create_api_key("reader", Scope.READ)[1]
    assert patch(ApiClient(read_key), customer.pk, {"account_owner": "sales"}).status_code == 403
    assert Customer.objects.get(pk=customer.pk).account_owner is None


def test_a_key_of_a_sales_user_assigns_as_that_user(team, customer):
    key = create_api_key("crm", Scope.WRITE, user=team[Role.SALES])[1]
    assert patch(ApiClient(key), customer.pk, {"account_owner": "admin"}).status_code == 200
    assert TimelineEntry.objects.get(customer=customer).data["by"] == "sales"
