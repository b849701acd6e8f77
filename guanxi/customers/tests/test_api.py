"""Customers through the REST API: upsert through the importer, retrieve, list
with filters and cursor pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.accounts.tests.api_client import all_pages, api, read_api, read_key, write_key  # noqa: F401
from guanxi.customers.choices import ContactKind
from guanxi.customers.models import ContactPoint, Customer, CustomerExternalId, Tag
from guanxi.imports.api_schemas import CustomerIn
from guanxi.imports.models import ImportRun
from guanxi.imports.schemas import SCHEMAS

pytestmark = pytest.mark.django_db

MEI = {
    "customer_id": "C-100",
    "email": "Mei.Lin@Example.com",
    "phone": "+86 138 0013 8000",
    "first_name": "Mei",
    "last_name": "Lin",
    "gender": "female",
    "birthday": "1990-05-01",
    "country": "CN",
    "locale": "zh-CN",
    "time_zone": "Asia/Shanghai",
    "currency": "CNY",
    "tags": ["vip", "tea"],
    "email_consent": True,
    "city": "Hangzhou",
    "address1": "1 West Lake Road",
}


def make_customers(n, country="CN", tag=None):
    customers = Customer.objects.bulk_create(Customer(full_name=f"Person {i}", country=country) for i in range(n))
    if tag:
        label, _ = Tag.objects.get_or_create(name=tag)
        for customer in customers:
            customer.tags.add(label)
    return customers


def test_the_api_takes_every_field_of_a_customers_import():
    assert set(CustomerIn.model_fields) - {"source"} == set(SCHEMAS["customers"].names)


def test_creating_a_customer_answers_201_and_retrieving_it_round_trips_the_values(api):
    response = api.post("/customers/", MEI)
    assert response.status_code == 201, response.content
    created = response.json()
    fetched = api.get(f"/customers/{created['id']}").json()
    assert fetched == created
    assert fetched["first_name"] == "Mei" and fetched["last_name"] == "Lin"
    assert fetched["email"] == "mei.lin@example.com"
    assert fetched["phone"] == "+8613800138000"
    assert fetched["birthday"] == "1990-05-01"
    assert (fetched["country"], fetched["time_zone"], fetched["currency"]) == ("CN", "Asia/Shanghai", "CNY")
    assert sorted(fetched["tags"]) == ["tea", "vip"]
    assert {"source": "shop", "customer_id": "C-100"} in fetched["external_ids"]
    assert fetched["addresses"][0]["city"] == "Hangzhou"
    email = next(c for c in fetched["contacts"] if c["kind"] == "email")
    assert email["consent"] == "granted"
    assert fetched["total_spent"] == "0.00" and fetched["order_count"] == 0


def test_sending_the_customer_again_updates_instead_of_creating(api):
    first = api.post("/customers/", MEI).json()
    response = api.post("/customers/", {**MEI, "first_name": "Meimei", "occupation": "teacher"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == first["id"]
    assert response.json()["first_name"] == "Meimei"
    assert Customer.objects.count() == 1


def test_a_customer_is_found_again_by_email_when_the_id_is_new(api):
    first = api.post("/customers/", {"email": "a@example.com", "first_name": "A"}).json()
    response = api.post("/customers/", {"customer_id": "X1", "email": "A@example.com", "last_name": "B"})
    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert CustomerExternalId.objects.filter(source="shop", external_id="X1", customer_id=first["id"]).exists()


def test_the_source_can_come_from_the_body_or_the_query(api):
    body = api.post("/customers/", {"customer_id": "7", "email": "b@example.com", "source": "tmall"}).json()
    query = api.post("/customers/", {"customer_id": "8", "email": "c@example.com"}, source="jd").json()
    assert {"source": "tmall", "customer_id": "7"} in body["external_ids"]
    assert {"source": "jd", "customer_id": "8"} in query["external_ids"]


def test_a_rejected_customer_is_a_422_naming_the_field_and_changes_nothing(api):
    response = api.post("/customers/", {"customer_id": "C1", "email": "not an address"})
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["field"] == "email" and "not an e-mail address" in problem["reason"]
    assert Customer.objects.count() == 0
    assert not ImportRun.objects.exists()


def test_a_customer_without_id_email_or_phone_is_refused(api):
    response = api.post("/customers/", {"first_name": "Nobody"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "customer_id"


def test_an_unknown_field_is_refused_rather_than_dropped(api):
    response = api.post("/customers/", {"customer_id": "C1", "emial": "a@example.com"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "emial"


def test_a_missing_customer_is_a_404(read_api):
    response = read_api.get("/customers/999")
    assert response.status_code == 404
    assert "999" in response.json()["detail"]


def test_cursor_pages_return_every_customer_exactly_once(read_api):
    customers = make_customers(23)
    items, pages = all_pages(read_api, "/customers/", limit=5)
    assert pages == 5
    assert [c["id"] for c in items] == sorted((c.pk for c in customers), reverse=True)


def test_a_page_is_at_most_200_customers(read_api):
    assert read_api.get("/customers/", limit=201).status_code == 422
    assert read_api.get("/customers/", limit=0).status_code == 422


def test_a_made_up_cursor_is_a_422(read_api):
    response = read_api.get("/customers/", cursor="!!nonsense")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "cursor"


def test_customers_are_filtered_by_name_email_and_phone(read_api):
    mei, lee, other = Customer.objects.bulk_create(
        [Customer(full_name="Mei Lin"), Customer(full_name="Lee"), Customer(full_name="Other")]
    )
    ContactPoint.objects.create(customer=lee, kind=ContactKind.EMAIL, value="lee@tea.example")
    ContactPoint.objects.create(customer=other, kind=ContactKind.PHONE, value="+8613800138000")
    ids = lambda **q: {c["id"] for c in read_api.get("/customers/", **q).json()["items"]}  # noqa: E731
    assert ids(q="mei") == {mei.pk}
    assert ids(q="tea.example") == {lee.pk}
    assert ids(q="13800138") == {other.pk}


def test_customers_are_filtered_by_tag_country_and_update_time(read_api):
    vip = make_customers(2, country="CN", tag="vip")
    us = make_customers(3, country="US")
    old = make_customers(1, country="US")[0]
    Customer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    ids = lambda **q: {c["id"] for c in read_api.get("/customers/", **q).json()["items"]}  # noqa: E731
    assert ids(tag="vip") == {c.pk for c in vip}
    assert ids(country="us") == {c.pk for c in us} | {old.pk}
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert old.pk not in ids(updated_since=since)


def test_customers_are_filtered_by_the_shops_own_id(read_api):
    a, b = make_customers(2)
    CustomerExternalId.objects.create(customer=a, source="shop", external_id="S-1")
    CustomerExternalId.objects.create(customer=b, source="tmall", external_id="S-1")
    assert [c["id"] for c in read_api.get("/customers/", customer_id="S-1").json()["items"]] == [a.pk]
    assert [c["id"] for c in read_api.get("/customers/", customer_id="S-1", source="tmall").json()["items"]] == [b.pk]


def test_the_customer_list_costs_the_same_queries_for_any_page_size(read_api, django_assert_num_queries):
    customers = make_customers(30, tag="vip")
    for customer in customers:
        ContactPoint.objects.create(customer=customer, kind=ContactKind.EMAIL, value=f"p{customer.pk}@example.com")
    read_api.get("/customers/")  # records the key's last use, which is one more query
    # the key, the page, its tags, its contact points
    with django_assert_num_queries(4):
        assert len(read_api.get("/customers/", limit=30).json()["items"]) == 30


def test_the_customer_detail_costs_a_fixed_number_of_queries(api, django_assert_num_queries):
    customer_id = api.post("/customers/", MEI).json()["id"]
    # the key, the customer, tags, external ids, contact points, addresses, consent history
    with django_assert_num_queries(7):
        assert api.get(f"/customers/{customer_id}").status_code == 200


def test_a_filter_given_twice_is_a_422_rather_than_a_silent_choice(read_api):
    response = read_api.client.get("/api/v1/customers/?country=CN&country=US", headers=read_api.headers)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"line": None, "field": "country", "reason": "given more than once"}]
