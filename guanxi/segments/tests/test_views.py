"""Segment pages: permissions, the builder's htmx round trips, preview, save, upload, export."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.accounts.choices import Role
from guanxi.accounts.models import AuditEvent
from guanxi.segments import services
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment
from guanxi.segments.tests.factories import make_segment_shop

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
CHINA = {"match": "all", "rules": [{"field": "country", "op": "in", "value": ["CN", "TW"]}]}


@pytest.fixture
def shop():
    return make_segment_shop()


@pytest.fixture
def marketer(client, make_user):
    client.force_login(make_user("mei", Role.MARKETING))
    return client


def test_the_builder_form_saves_a_segment_with_nested_rules(marketer, shop):
    response = marketer.post(reverse("segments:new"), {
        "name": "Active China", "description": "for the spring campaign", "r.match": "all",
        "r.0.field": "country", "r.0.op": "in", "r.0.value": "CN, TW",
        "r.1.match": "any",
        "r.1.0.field": "p_alive", "r.1.0.op": "gt", "r.1.0.value": "0.6",
        "r.1.1.field": "tags", "r.1.1.op": "has_any", "r.1.1.value": "gold",
    })
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == segment.get_absolute_url()
    assert segment.definition == {"match": "all", "rules": [
        {"field": "country", "op": "in", "value": ["CN", "TW"]},
        {"match": "any", "rules": [{"field": "p_alive", "op": "gt", "value": 0.6},
                                   {"field": "tags", "op": "has_any", "value": ["gold"]}]}]}
    assert segment.size == 3  # Li and Chen (P(alive)), Wang (gold)
    page = marketer.get(segment.get_absolute_url())
    assert page.status_code == 200
    for name in ("Li Na", "Chen Jie", "Wang Wei"):
        assert name in page.content.decode()


def test_a_bad_rule_is_marked_and_nothing_is_saved(marketer, shop):
    response = marketer.post(reverse("segments:new"), {
        "name": "Broken", "r.match": "all", "r.0.field": "p_alive", "r.0.op": "gt", "r.0.value": "2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="rule has-problem" data-path="r.0"' in html
    assert "must be between 0 and 1" in html
    assert not Segment.objects.exists()


def test_builder_buttons_add_and_remove_conditions_and_groups(marketer, shop):
    url = reverse("segments:builder")
    base = {"r.match": "all", "r.0.field": "country", "r.0.op": "in", "r.0.value": "CN"}
    added = marketer.post(url, {**base, "action": "add-group:r"}, **HTMX).content.decode()
    assert 'data-path="r.1"' in added and 'data-path="r.1.0"' in added
    assert added.count('<div class="rule') == 2
    removed = marketer.post(url, {**base, "action": "remove:r.0"}, **HTMX)
    assert removed["HX-Trigger"] == "builder-drawn"
    assert 'data-path="r.0"' not in removed.content.decode()
    switched = marketer.post(url, {**base, "r.0.field": "clv"}, **HTMX).content.decode()
    # A new field starts with its own first operator and a number input.
    assert '<option value="eq" selected>' in switched and 'type="number"' in switched


def test_the_preview_shows_size_revenue_and_clv(marketer, shop):
    response = marketer.post(reverse("segments:preview"), {
        "r.match": "all", "r.0.field": "country", "r.0.op": "in", "r.0.value": "CN"}, **HTMX)
    html = response.content.decode()
    assert 'data-figure="customers">2<' in html
    assert 'data-figure="revenue">1,250.00<' in html
    assert 'data-figure="clv">750.00<' in html
    assert "Country is one of CN" in html


def test_the_preview_explains_what_is_wrong(marketer, shop):
    response = marketer.post(reverse("segments:preview"), {
        "r.match": "all", "r.0.field": "tags", "r.0.op": "has_any", "r.0.value": "platinum"}, **HTMX)
    assert "no tag named &#x27;platinum&#x27;" in response.content.decode()


def test_uploading_a_list_shows_what_matched(marketer, shop):
    segment = services.save_segment(name="Fair", kind=SegmentKind.STATIC)
    upload = SimpleUploadedFile("fair.csv", b"email\nli@example.com\nghost@example.com\n", content_type="text/csv")
    response = marketer.post(reverse("segments:upload", args=[segment.pk]), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "ghost@example.com" in html and "no customer with this email" in html
    segment.refresh_from_db()
    assert segment.size == 1


def test_export_needs_the_permission_and_is_audited(client, make_user, shop):
    segment = services.save_segment(name="China", definition=CHINA)
    client.force_login(make_user("sam", Role.SERVICE))
    assert client.get(reverse("segments:export", args=[segment.pk, "csv"])).status_code == 403
    assert client.get(segment.get_absolute_url()).status_code == 200  # service may look
    client.force_login(make_user("ana", Role.ANALYST))
    response = client.get(reverse("segments:export", args=[segment.pk, "csv"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200 and body.count("\n") == 4  # header, Li, Wang, Chen
    assert response["Content-Disposition"].startswith('attachment; filename="segment-')
    assert AuditEvent.objects.get().actor.username == "ana"
    assert client.get(f"/segments/{segment.pk}/export.pdf").status_code == 404


@pytest.mark.parametrize(("role", "url_name", "method", "expected"), [
    (Role.SERVICE, "segments:new", "get", 403),
    (Role.SALES, "segments:new", "get", 403),
    (Role.SERVICE, "segments:refresh", "post", 403),
    (Role.SALES, "segments:delete", "post", 403),
    (Role.ANALYST, "segments:delete", "post", 403),
    (Role.MARKETING, "segments:delete", "post", 302),
    (Role.ANALYST, "segments:refresh", "post", 302),
])
def test_each_action_checks_the_role(client, make_user, shop, role, url_name, method, expected):
    segment = services.save_segment(name="China", definition=CHINA)
    client.force_login(make_user("u", role))
    args = [] if url_name == "segments:new" else [segment.pk]
    assert getattr(client, method)(reverse(url_name, args=args)).status_code == expected


def test_list_and_detail_pages_run_a_fixed_number_of_queries(marketer, shop, django_assert_num_queries):
    for n in range(3):
        services.save_segment(name=f"China {n}", definition=CHINA)
    # session, user, 2 for permissions, the role (header); the segments (no category rule: no names)
    with django_assert_num_queries(6):
        assert marketer.get(reverse("segments:list")).status_code == 200
    segment = Segment.objects.first()
    services.refresh_segment(segment)
    # the 5 of every page; the segment, its refreshes, history, members with scores
    with django_assert_num_queries(9):
        assert marketer.get(segment.get_absolute_url()).status_code == 200


def test_the_customer_page_names_the_customers_segments(marketer, shop):
    services.save_segment(name="Active China", definition=CHINA)
    services.save_segment(name="Everyone else", definition={"match": "all", "rules": [
        {"field": "country", "op": "not_in", "value": ["CN", "TW"]}]})
    html = marketer.get(reverse("customers:detail", args=[shop.li.pk])).content.decode()
    chips = html[html.index('data-field="segments"'):]
    chips = chips[:chips.index("</span>")]
    assert "Active China" in chips and "Everyone else" not in chips
