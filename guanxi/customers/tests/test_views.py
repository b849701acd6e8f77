"""Customer pages: search, filters, sort, pagination, the customer page and its edits."""

import pytest
from django.urls import reverse

from guanxi.accounts.choices import Role
from guanxi.commerce.tests.factories import make_order, make_return
from guanxi.customers.choices import ConsentStatus, ContactKind, TimelineKind
from guanxi.customers.models import (
    ConsentEvent,
    ContactPoint,
    Customer,
    Note,
    TimelineEntry,
)
from guanxi.customers.tests.factories import (
    add_contact,
    make_customer,
    make_tag,
    make_timeline_entry,
)

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")


def names(response):
    return [c.display_name for c in response.context["page"]]


@pytest.fixture
def sales_client(client, make_user):
    client.force_login(make_user("sam", Role.SALES))
    return client


@pytest.fixture
def shop():
    """Three customers with distinct names, e-mails and phones."""
    return {
        "alice": make_customer("Alice Chen", email="alice@example.com", phone="+8613812345678", tags=["VIP"]),
        "wang": make_customer("王小明", email="xiaoming@example.cn", phone="+8613987654321", tags=["wholesale"]),
        "bob": make_customer("Bob Alison", first_name="Bob", last_name="Alison", email="bob@shop.example",
                             phone="+14155550123"),
    }


# ---------------------------------------------------------------- search

def test_searching_by_part_of_a_name_finds_only_those_customers(admin_client, shop):
    assert sorted(names(admin_client.get(LIST, {"q": "ali"}))) == ["Alice Chen", "Bob Alison"]


def test_searching_by_a_chinese_name_finds_the_customer(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "小明"})) == ["王小明"]


def test_searching_by_an_email_prefix_finds_the_customer(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "alice@ex"})) == ["Alice Chen"]


def test_searching_by_a_whole_email_ignores_letter_case(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "XiaoMing@Example.CN"})) == ["王小明"]


def test_an_email_search_does_not_match_names(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "alison@"})) == []


def test_searching_by_a_national_phone_number_finds_the_customer(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "139 8765 4321"})) == ["王小明"]


def test_searching_by_an_international_phone_prefix_finds_the_customer(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "+1415"})) == ["Bob Alison"]


def test_searching_by_the_start_of_a_national_phone_number_finds_the_customer(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "13812"})) == ["Alice Chen"]


def test_filtering_by_tag_shows_only_tagged_customers(admin_client, shop):
    assert names(admin_client.get(LIST, {"tag": "VIP"})) == ["Alice Chen"]


def test_an_unknown_tag_is_ignored(admin_client, shop):
    assert len(names(admin_client.get(LIST, {"tag": "nope"}))) == 3


def test_search_and_tag_combine(admin_client, shop):
    assert names(admin_client.get(LIST, {"q": "ali", "tag": "VIP"})) == ["Alice Chen"]


# ---------------------------------------------------------------- sort and pages

def test_sorting_by_total_spent_puts_the_biggest_spender_first(admin_client, shop):
    make_order(shop["bob"], total="900.00")
    make_order(shop["alice"], total="100.00")
    assert names(admin_client.get(LIST, {"sort": "total_spent"}))[:2] == ["Bob Alison", "Alice Chen"]


def test_sorting_by_orders_puts_the_most_frequent_buyer_first(admin_client, shop):
    make_order(shop["wang"])
    make_order(shop["wang"])
    make_order(shop["alice"])
    assert names(admin_client.get(LIST, {"sort": "orders"}))[:2] == ["王小明", "Alice Chen"]


def test_sorting_by_last_order_puts_the_latest_buyer_first_and_non_buyers_last(admin_client, shop):
    make_order(shop["alice"], days_ago=30)
    make_order(shop["bob"], days_ago=1)
    assert names(admin_client.get(LIST, {"sort": "last_order"})) == ["Bob Alison", "Alice Chen", "王小明"]


def test_sorting_by_name_is_alphabetical(admin_client, shop):
    assert names(admin_client.get(LIST, {"sort": "name"}))[:2] == ["Alice Chen", "Bob Alison"]


def test_the_default_sort_shows_the_newest_customer_first(admin_client, shop):
    assert names(admin_client.get(LIST))[0] == "Bob Alison"


def test_the_list_shows_fifty_customers_a_page(admin_client):
    Customer.objects.bulk_create([Customer(full_name=f"Customer {n:03d}") for n in range(55)])
    first = admin_client.get(LIST)
    second = admin_client.get(LIST, {"page": 2})
    assert len(first.context["page"].object_list) == 50 and first.context["page"].has_next
    assert len(second.context["page"].object_list) == 5 and not second.context["page"].has_next
    assert set(names(first)).isdisjoint(names(second))
    assert 'rel="next"' in first.content.decode()


def test_a_bad_page_number_shows_the_first_page(admin_client, shop):
    assert len(names(admin_client.get(LIST, {"page": "x"}))) == 3


def test_htmx_search_returns_only_the_results_table(admin_client, shop):
    response = admin_client.get(LIST, {"q": "Alice"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "<table" in html and "Alice Chen" in html
    assert "HX-Request" in response["Vary"]


def test_the_list_shows_email_phone_and_tags(admin_client, shop):
    html = admin_client.get(LIST).content.decode()
    assert "alice@example.com" in html and "+8613812345678" in html and "VIP" in html


def _list_with(n):
    for i in range(n):
        customer = make_customer(f"Buyer {i}", email=f"buyer{i}@example.com", phone=f"+86138000000{i:02d}",
                                 tags=["VIP", f"batch{i % 2}"])
        make_order(customer)


@pytest.mark.parametrize("customers", [3, 12])
def test_the_list_costs_the_same_queries_for_any_number_of_customers(sales_client, django_assert_num_queries, customers):
    _list_with(customers)
    # session, user, permissions (user + groups), role in the menu, tag filter options,
    # customers, their contact points, their tags
    with django_assert_num_queries(9):
        response = sales_client.get(LIST)
    assert len(response.context["page"].object_list) == customers


# ---------------------------------------------------------------- customer page

@pytest.fixture
def alice(shop):
    customer = shop["alice"]
    order = make_order(customer, "SO-77", total="299.00")
    make_return(order, "RT-9", reason="Wrong colour")
    point = customer.contact_points.get(kind=ContactKind.EMAIL)
    point.set_consent(ConsentStatus.GRANTED, source="checkout")
    make_timeline_entry(customer, TimelineKind.VISIT, "Viewed Oolong tea")
    make_timeline_entry(customer, TimelineKind.ORDER, "Order SO-77")
    return customer


def detail(customer):
    return reverse("customers:detail", args=[customer.pk])


def test_the_customer_page_shows_orders_contacts_consent_and_timeline(admin_client, alice):
    html = admin_client.get(detail(alice)).content.decode()
    for text in ["Alice Chen", "SO-77", "RT-9", "Wrong colour", "alice@example.com", "+8613812345678",
                 "badge-granted", "checkout", "Viewed Oolong tea", "Browsing", "299.00"]:
        assert text in html, text


def test_the_customer_page_shows_order_figures(admin_client, alice):
    response = admin_client.get(detail(alice))
    assert response.context["customer"].order_count == 1
    assert "299.00" in response.content.decode()


def test_the_customer_page_of_a_missing_customer_is_404(admin_client):
    assert admin_client.get(reverse("customers:detail", args=[999])).status_code == 404


def test_the_customer_page_costs_a_fixed_number_of_queries(sales_client, alice, django_assert_num_queries):
    make_order(alice)
    add_contact(alice, ContactKind.WECHAT, "alice_wx")
    # session, user, 2× permissions, customer, contact points, consent events, tags,
    # addresses, orders, returns, notes, timeline, tag names, role in the menu, segment
    # memberships (no score: no recommended products; see test_customer_360.py)
    with django_assert_num_queries(16):
        sales_client.get(detail(alice))


def test_the_timeline_can_be_filtered_by_kind(admin_client, alice):
    url = reverse("customers:timeline", args=[alice.pk])
    html = admin_client.get(url, {"kind": "visit"}, headers={"HX-Request": "true"}).content.decode()
    assert "Viewed Oolong tea" in html and "Order SO-77" not in html and "<html" not in html


def test_the_timeline_shows_at_most_fifty_entries(admin_client, alice):
    for n in range(60):
        make_timeline_entry(alice, summary=f"visit {n}")
    assert len(admin_client.get(detail(alice)).context["timeline"]) == 50


# ---------------------------------------------------------------- edits

def test_editing_the_profile_saves_it(admin_client, alice):
    url = reverse("customers:edit", args=[alice.pk])
    form = admin_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(occupation="Teacher", country="cn", interests="tea, 茶具", gender="female")
    response = admin_client.post(url, data)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.occupation, alice.country, alice.interests, alice.gender) == ("Teacher", "CN", ["tea", "茶具"], "female")


def test_a_bad_country_code_is_shown_on_the_form(admin_client, alice):
    url = reverse("customers:edit", args=[alice.pk])
    response = admin_client.post(url, {"full_name": "Alice Chen", "gender": "unknown", "country": "China"})
    assert response.status_code == 200
    assert response.context["form"].errors["country"]


def test_adding_a_note_creates_the_note_and_a_timeline_entry(admin_client, alice, admin_user):
    response = admin_client.post(reverse("customers:note_add", args=[alice.pk]), {"body": "Prefers WeChat"},
                                 headers={"HX-Request": "true"})
    note = Note.objects.get(customer=alice)
    assert (note.body, note.author) == ("Prefers WeChat", admin_user)
    assert TimelineEntry.objects.filter(customer=alice, kind=TimelineKind.NOTE, ref=f"note:{note.pk}").exists()
    assert "Prefers WeChat" in response.content.decode() and response["HX-Trigger"] == "timeline-changed"


def test_an_empty_note_is_refused_with_a_message(admin_client, alice):
    response = admin_client.post(reverse("customers:note_add", args=[alice.pk]), {"body": "  "},
                                 headers={"HX-Request": "true"})
    assert not Note.objects.exists()
    assert "errorlist" in response.content.decode()


def test_a_note_without_htmx_redirects_to_the_customer(admin_client, alice):
    response = admin_client.post(reverse("customers:note_add", args=[alice.pk]), {"body": "Called back"})
    assert response.status_code == 302 and response["Location"] == detail(alice)


def test_changing_consent_records_a_consent_event(admin_client, alice):
    point = alice.contact_points.get(kind=ContactKind.PHONE)
    url = reverse("customers:consent", args=[alice.pk, point.pk])
    response = admin_client.post(url, {"status": "denied", "note": "asked on the phone"}, headers={"HX-Request": "true"})
    point.refresh_from_db()
    assert point.consent == ConsentStatus.DENIED
    event = ConsentEvent.objects.get(contact_point=point)
    assert (event.status, event.source, event.note) == ("denied", "user:admin", "asked on the phone")
    assert "badge-denied" in response.content.decode()


def test_consent_of_another_customers_contact_point_cannot_be_changed_here(admin_client, shop):
    point = shop["bob"].contact_points.first()
    url = reverse("customers:consent", args=[shop["alice"].pk, point.pk])
    assert admin_client.post(url, {"status": "denied"}).status_code == 404


def test_adding_and_removing_a_tag(admin_client, alice):
    response = admin_client.post(reverse("customers:tag_add", args=[alice.pk]), {"name": " Gift  buyer "},
                                 headers={"HX-Request": "true"})
    assert "Gift buyer" in response.content.decode()
    tag = alice.tags.get(name="Gift buyer")
    admin_client.post(reverse("customers:tag_remove", args=[alice.pk, tag.pk]), headers={"HX-Request": "true"})
    assert not alice.tags.filter(pk=tag.pk).exists()


def test_adding_a_contact_point_normalises_it(admin_client, alice):
    admin_client.post(reverse("customers:contact_add", args=[alice.pk]),
                      {"kind": "email", "value": " Alice.Work@Example.COM ", "consent": "granted"})
    point = alice.contact_points.get(value="alice.work@example.com")
    assert point.consent == ConsentStatus.GRANTED and point.consent_events.count() == 1


def test_a_contact_point_of_another_customer_is_refused(admin_client, shop):
    url = reverse("customers:contact_add", args=[shop["alice"].pk])
    response = admin_client.post(url, {"kind": "email", "value": "bob@shop.example", "consent": "unknown"},
                                 headers={"HX-Request": "true"})
    assert "Bob Alison" in response.content.decode()
    assert ContactPoint.objects.filter(value="bob@shop.example").get().customer == shop["bob"]


def test_adding_an_address(admin_client, alice):
    admin_client.post(reverse("customers:address_add", args=[alice.pk]),
                      {"kind": "shipping", "line1": "88 Nanjing Road", "city": "Shanghai", "country": "cn"})
    address = alice.addresses.get()
    assert (address.line1, address.country, address.is_default) == ("88 Nanjing Road", "CN", True)


# ---------------------------------------------------------------- permissions

@pytest.fixture
def norole_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x-very-long-1"))
    return client


@pytest.mark.parametrize("role", [Role.SALES, Role.ANALYST, Role.SERVICE])
def test_every_role_sees_the_customer_list(client, make_user, role):
    client.force_login(make_user("u", role))
    assert client.get(LIST).status_code == 200


def test_a_user_without_a_role_cannot_see_customers(norole_client, shop):
    response = norole_client.get(LIST)
    assert response.status_code == 403 and "Not allowed" in response.content.decode()
    assert norole_client.get(detail(shop["alice"])).status_code == 403
    assert norole_client.get(reverse("customers:timeline", args=[shop["alice"].pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("role", "status"), [(Role.SALES, 200), (Role.ANALYST, 403)])
def test_only_roles_that_change_customers_can_edit(client, make_user, alice, role, status):
    client.force_login(make_user("u", role))
    assert client.get(reverse("customers:edit", args=[alice.pk])).status_code == status


@pytest.mark.parametrize(("role", "allowed"), [(Role.SERVICE, True), (Role.ANALYST, False)])
def test_only_roles_that_add_notes_can_add_notes(client, make_user, alice, role, allowed):
    client.force_login(make_user("u", role))
    response = client.post(reverse("customers:note_add", args=[alice.pk]), {"body": "hello"})
    assert response.status_code == (302 if allowed else 403)
    assert Note.objects.exists() is allowed


@pytest.mark.parametrize(("role", "allowed"), [(Role.MARKETING, True), (Role.ANALYST, False)])
def test_only_roles_that_change_customers_can_change_consent_tags_contacts_and_addresses(client, make_user, alice, role, allowed):
    client.force_login(make_user("u", role))
    point = alice.contact_points.first()
    tag = make_tag("VIP")
    urls = [
        (reverse("customers:consent", args=[alice.pk, point.pk]), {"status": "denied"}),
        (reverse("customers:tag_add", args=[alice.pk]), {"name": "x"}),
        (reverse("customers:tag_remove", args=[alice.pk, tag.pk]), {}),
        (reverse("customers:contact_add", args=[alice.pk]), {"kind": "wechat", "value": "wx1", "consent": "unknown"}),
        (reverse("customers:address_add", args=[alice.pk]), {"kind": "billing", "line1": "1 Road"}),
    ]
    for url, data in urls:
        assert client.post(url, data).status_code == (302 if allowed else 403), url


def test_edit_forms_refuse_get(admin_client, alice):
    assert admin_client.get(reverse("customers:note_add", args=[alice.pk])).status_code == 405


@pytest.mark.django_db
def test_timeline_words_orders_returns_and_browsing_from_their_data(admin_client, tmp_path):
    from guanxi.imports.services import import_file
    from guanxi.imports.tests.helpers import ORDER_HEADER, order_line, write_csv

    import_file("orders", write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("A-77", "C1", quantity=3, unit_price="10.00", total="30.00")]))
    import_file("returns", write_csv(tmp_path / "r.csv", ["return_id", "order_id", "sku", "amount", "returned_at", "reason"],
                                     [["R1", "A-77", "SKU1", "10.00", "2025-03-05", "too small"]]))
    import_file("events", write_csv(tmp_path / "e.csv", ["event_type", "customer_id", "occurred_at", "sku"], [["add_to_cart", "C1", "2025-03-06", "SKU1"]]))
    from guanxi.customers.models import Customer

    page = admin_client.get(f"/customers/{Customer.objects.get().pk}/").content.decode()
    assert "3 items · 30.00 CNY" in page
    assert "Refund of 10.00 CNY on order A-77" in page and "too small" in page
    assert "Added to cart SKU1" in " ".join(page.split())
