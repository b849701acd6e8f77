"""Products and orders through the REST API: writes go through the importer,
reads list with filters and cursor pages."""

from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest

from guanxi.accounts.tests.api_client import all_pages, api, read_api, read_key, write_key  # noqa: F401
from guanxi.commerce.models import Order, OrderLine, Product, Return
from guanxi.customers.models import Customer
from guanxi.imports.api_schemas import OrderIn, OrderLineIn, ProductIn
from guanxi.imports.schemas import SCHEMAS

pytestmark = pytest.mark.django_db

ORDER = {
    "order_id": "O-1001",
    "customer_id": "C-1",
    "customer_email": "mei@example.com",
    "customer_name": "Mei Lin",
    "ordered_at": "2025-03-08T14:30:00+08:00",
    "currency": "CNY",
    "total": "1299.90",
    "status": "paid",
    "channel": "wechat",
    "lines": [
        {"sku": "TEA-1", "product_name": "Longjing 250g", "quantity": 2, "unit_price": "399.95"},
        {"sku": "POT-7", "product_name": "Yixing teapot", "quantity": 1, "unit_price": "500.00"},
    ],
}


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_orders(n, **fields):
    customer = Customer.objects.create(full_name="Buyer")
    defaults = {"source": "shop", "customer": customer, "ordered_at": datetime(2025, 1, 1, tzinfo=dt_timezone.utc),
                "currency": "CNY", "total": Decimal("10.00")}
    return Order.objects.bulk_create(Order(external_id=f"O{i}-{fields.get('status', '')}", **(defaults | fields)) for i in range(n))


def test_the_api_takes_every_field_of_an_orders_and_a_products_import():
    order_fields = set(OrderIn.model_fields) - {"source", "lines"}
    assert order_fields | set(OrderLineIn.model_fields) == set(SCHEMAS["orders"].names)
    assert set(ProductIn.model_fields) - {"source"} == set(SCHEMAS["products"].names)


def test_a_product_round_trips_with_its_price_as_a_decimal_string(api):
    response = api.post("/products/", {"sku": "TEA-1", "name": "Longjing", "category": "Tea", "price": "88.50", "currency": "CNY"})
    assert response.status_code == 201, response.content
    fetched = api.get("/products/TEA-1").json()
    assert fetched == response.json()
    assert (fetched["name"], fetched["category"], fetched["price"], fetched["currency"]) == ("Longjing", "Tea", "88.50", "CNY")


def test_putting_a_product_by_sku_updates_it(api):
    api.post("/products/", {"sku": "TEA-1", "name": "Longjing", "price": "88.50"})
    response = api.put("/products/TEA-1", {"name": "Longjing 2025", "price": "90"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["price"]) == ("Longjing 2025", "90.00")
    assert Product.objects.count() == 1


def test_a_product_body_cannot_name_another_sku_than_the_path(api):
    response = api.put("/products/TEA-1", {"sku": "TEA-2", "name": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "sku"


def test_products_are_listed_with_filters_and_cursor_pages(read_api):
    Product.objects.bulk_create(Product(sku=f"S{i}", name="Green tea" if i % 2 else "Cup") for i in range(7))
    items, pages = all_pages(read_api, "/products/", limit=3)
    assert len(items) == len({p["sku"] for p in items}) == 7 and pages == 3
    assert {p["sku"] for p in read_api.get("/products/", q="green").json()["items"]} == {"S1", "S3", "S5"}


def test_a_missing_product_is_a_404(read_api):
    assert read_api.get("/products/NOPE").status_code == 404


def test_an_order_round_trips_with_its_lines_and_exact_money(api):
    response = api.post("/orders/", ORDER)
    assert response.status_code == 201, response.content
    fetched = api.get("/orders/O-1001").json()
    assert fetched == response.json()
    assert parse_time(fetched["ordered_at"]) == parse_time(ORDER["ordered_at"])
    assert (fetched["order_id"], fetched["customer_id"], fetched["customer_email"]) == ("O-1001", "C-1", "mei@example.com")
    assert (fetched["currency"], fetched["total"], fetched["status"], fetched["channel"]) == ("CNY", "1299.90", "paid", "wechat")
    assert [(l["sku"], l["product_name"], l["quantity"], l["unit_price"], l["amount"]) for l in fetched["lines"]] == [
        ("TEA-1", "Longjing 250g", 2, "399.95", "799.90"),
        ("POT-7", "Yixing teapot", 1, "500.00", "500.00"),
    ]
    customer = api.get(f"/customers/{fetched['customer']}").json()
    assert customer["order_count"] == 1 and customer["total_spent"] == "1299.90"


def test_sending_an_order_again_updates_it_instead_of_adding_one(api):
    api.post("/orders/", ORDER)
    same = api.post("/orders/", ORDER)
    assert same.status_code == 200
    changed = api.put("/orders/O-1001", {**ORDER, "status": "fulfilled", "lines": ORDER["lines"][:1], "total": "799.90"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["status"] == "fulfilled" and len(changed.json()["lines"]) == 1
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1 and Customer.objects.count() == 1


def test_an_order_with_a_bad_date_is_a_422_naming_ordered_at_and_writes_nothing(api):
    response = api.post("/orders/", {**ORDER, "ordered_at": "next Tuesday"})
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["field"] == "ordered_at"
    assert "not a date" in problem["reason"]
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_a_bad_line_rejects_the_whole_order_and_names_the_line(api):
    lines = [ORDER["lines"][0], {**ORDER["lines"][1], "quantity": "lots"}]
    response = api.post("/orders/", {**ORDER, "lines": lines})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "lines.1.quantity"
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_a_wrongly_typed_value_is_a_422_naming_the_field(api):
    response = api.post("/orders/", {**ORDER, "lines": [{"sku": "A", "quantity": [1]}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"].startswith("lines.0.quantity")


def test_the_order_number_in_the_path_wins_and_must_agree(api):
    body = {k: v for k, v in ORDER.items() if k != "order_id"}
    assert api.put("/orders/O-77", body).status_code == 201
    assert api.get("/orders/O-77").status_code == 200
    assert api.put("/orders/O-77", {**body, "order_id": "O-78"}).status_code == 422


def test_an_order_is_retrieved_in_its_source(api):
    api.post("/orders/", ORDER, source="tmall")
    assert api.get("/orders/O-1001").status_code == 404
    assert api.get("/orders/O-1001", source="tmall").json()["source"] == "tmall"


def test_the_order_detail_shows_its_returns(api):
    api.post("/orders/", ORDER)
    order = Order.objects.get()
    Return.objects.create(source="shop", external_id="R-1", order=order, order_line=order.lines.first(), quantity=1,
                          amount=Decimal("399.95"), currency="CNY", returned_at=order.ordered_at, reason="broken")
    returns = api.get("/orders/O-1001").json()["returns"]
    assert returns == [{"return_id": "R-1", "sku": "TEA-1", "quantity": 1, "amount": "399.95", "currency": "CNY",
                        "returned_at": returns[0]["returned_at"], "reason": "broken", "status": "refunded"}]


def test_cursor_pages_return_every_order_exactly_once(read_api):
    orders = make_orders(11)
    items, pages = all_pages(read_api, "/orders/", limit=4)
    assert pages == 3
    assert [o["id"] for o in items] == sorted((o.pk for o in orders), reverse=True)


def test_orders_are_filtered_by_status_channel_customer_and_time(read_api):
    paid = make_orders(2, status="paid")
    cancelled = make_orders(1, status="cancelled", channel="store")
    late = make_orders(1, status="fulfilled", ordered_at=datetime(2025, 6, 1, tzinfo=dt_timezone.utc))
    ids = lambda **q: {o["id"] for o in read_api.get("/orders/", **q).json()["items"]}  # noqa: E731
    assert ids(status="cancelled") == {cancelled[0].pk}
    assert ids(channel="store") == {cancelled[0].pk}
    assert ids(customer=paid[0].customer_id) == {o.pk for o in paid}
    assert ids(ordered_after="2025-05-01T00:00:00Z") == {late[0].pk}
    assert late[0].pk not in ids(ordered_before="2025-05-01T00:00:00Z")
    assert read_api.get("/orders/", status="lost").status_code == 422


def test_orders_are_filtered_by_the_shops_customer_id(api):
    api.post("/orders/", ORDER)
    api.post("/orders/", {**ORDER, "order_id": "O-2", "customer_id": "C-2", "customer_email": "lee@example.com"})
    assert [o["order_id"] for o in api.get("/orders/", customer_id="C-2").json()["items"]] == ["O-2"]


def test_the_order_list_costs_the_same_queries_for_any_page_size(read_api, django_assert_num_queries):
    make_orders(40)
    read_api.get("/orders/")
    with django_assert_num_queries(2):  # the key, the page
        assert len(read_api.get("/orders/", limit=40).json()["items"]) == 40
