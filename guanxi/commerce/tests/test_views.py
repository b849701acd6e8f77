"""Order and product pages: filters, search, pages, the order page, permissions."""

import pytest
from django.urls import reverse

from guanxi.accounts.choices import Role
from guanxi.commerce.choices import Channel, OrderStatus
from guanxi.commerce.tests.factories import make_category, make_order, make_product, make_return
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

ORDERS = reverse("commerce:order_list")
PRODUCTS = reverse("commerce:product_list")


def numbers(response):
    return sorted(order.external_id for order in response.context["page"])


@pytest.fixture
def orders():
    alice, bob = make_customer("Alice Chen"), make_customer("张伟")
    return {
        "web": make_order(alice, "SO-1001", status=OrderStatus.PAID, channel=Channel.WEB),
        "app": make_order(alice, "SO-1002", status=OrderStatus.CANCELLED, channel=Channel.APP),
        "store": make_order(bob, "POS-77", status=OrderStatus.PAID, channel=Channel.STORE),
    }


def test_orders_can_be_filtered_by_status(admin_client, orders):
    assert numbers(admin_client.get(ORDERS, {"status": "paid"})) == ["POS-77", "SO-1001"]


def test_orders_can_be_filtered_by_channel(admin_client, orders):
    assert numbers(admin_client.get(ORDERS, {"channel": "app"})) == ["SO-1002"]


def test_orders_can_be_found_by_the_start_of_their_number(admin_client, orders):
    assert numbers(admin_client.get(ORDERS, {"q": "SO-10"})) == ["SO-1001", "SO-1002"]
    assert numbers(admin_client.get(ORDERS, {"q": "POS-77"})) == ["POS-77"]


def test_an_unknown_status_is_ignored(admin_client, orders):
    assert len(numbers(admin_client.get(ORDERS, {"status": "lost"}))) == 3


def test_orders_are_paged_by_fifty(admin_client):
    customer = make_customer()
    for n in range(52):
        make_order(customer, f"N-{n}", refresh=False)
    assert len(admin_client.get(ORDERS).context["page"].object_list) == 50
    assert len(admin_client.get(ORDERS, {"page": 2}).context["page"].object_list) == 2


def test_the_order_list_costs_the_same_queries_for_any_number_of_orders(client, make_user, orders, django_assert_num_queries):
    client.force_login(make_user("s", Role.SALES))
    with django_assert_num_queries(6):  # session, user, 2x permissions, role, orders with customers
        client.get(ORDERS)


def test_the_order_page_shows_lines_returns_and_the_customer(admin_client):
    customer = make_customer("王芳")
    order = make_order(customer, "SO-5", total="176.00", products=[make_product("TEA-1", "Oolong"), make_product("CUP-2", "Tea cup")])
    make_return(order, "RT-5", reason="Broken cup")
    html = admin_client.get(reverse("commerce:order_detail", args=[order.pk])).content.decode()
    for text in ["SO-5", "TEA-1", "Oolong", "CUP-2", "RT-5", "Broken cup", "王芳", reverse("customers:detail", args=[customer.pk])]:
        assert text in html, text


def test_a_missing_order_is_404(admin_client):
    assert admin_client.get(reverse("commerce:order_detail", args=[42])).status_code == 404


@pytest.fixture
def catalogue():
    tea, cups = make_category("Tea"), make_category("Cups")
    return [make_product("TEA-1", "Oolong tea", tea), make_product("TEA-2", "绿茶 Green tea", tea),
            make_product("CUP-1", "Porcelain cup", cups, price=None)]


def skus(response):
    return sorted(product.sku for product in response.context["page"])


def test_products_can_be_found_by_name_or_sku(admin_client, catalogue):
    assert skus(admin_client.get(PRODUCTS, {"q": "绿茶"})) == ["TEA-2"]
    assert skus(admin_client.get(PRODUCTS, {"q": "CUP"})) == ["CUP-1"]
    assert skus(admin_client.get(PRODUCTS, {"q": "tea"})) == ["TEA-1", "TEA-2"]


def test_products_can_be_filtered_by_category(admin_client, catalogue):
    category = catalogue[2].category
    assert skus(admin_client.get(PRODUCTS, {"category": category.pk})) == ["CUP-1"]


def test_htmx_product_search_returns_only_the_table(admin_client, catalogue):
    html = admin_client.get(PRODUCTS, {"q": "tea"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html and "Oolong tea" in html


@pytest.mark.parametrize("url", [ORDERS, PRODUCTS])
def test_every_role_sees_orders_and_products(client, make_user, url):
    client.force_login(make_user("a", Role.ANALYST))
    assert client.get(url).status_code == 200


def test_a_user_without_a_role_sees_no_orders_or_products(client, django_user_model, orders):
    client.force_login(django_user_model.objects.create_user("nobody"))
    assert client.get(ORDERS).status_code == 403
    assert client.get(PRODUCTS).status_code == 403
    assert client.get(reverse("commerce:order_detail", args=[orders["web"].pk])).status_code == 403
