"""Segments through the REST API: the same rules, errors and lists as the builder."""

import pytest

from guanxi.accounts.tests.api_client import api, read_api, read_key, write_key  # noqa: F401
from guanxi.segments.models import Segment, SegmentMembership
from guanxi.segments.tests.factories import make_segment_shop

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/segments/"
CHINA = {"match": "all", "rules": [{"field": "country", "op": "in", "value": ["CN", "TW"]},
                                   {"field": "p_alive", "op": "gt", "value": 0.6}]}


@pytest.fixture
def shop():
    return make_segment_shop()


def test_preview_answers_the_builders_figures(api, shop):
    response = api.post(URL + "preview", CHINA)
    assert response.status_code == 200
    assert response.json() == {"customers": 2, "revenue": "1250.00", "clv": 750.0}


def test_a_bad_definition_is_a_422_naming_the_rule(api, shop):
    bad = {"match": "all", "rules": [{"field": "p_alive", "op": "gt", "value": 3},
                                     {"match": "any", "rules": [{"field": "tags", "op": "has_any", "value": ["nope"]}]}]}
    response = api.post(URL + "preview", bad)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"line": None, "field": "definition.rules.0.value", "reason": "must be between 0 and 1"}]
    response = api.post(URL, {"name": "x", "definition": {"match": "all", "rules": [bad["rules"][1]]}})
    assert response.json()["detail"] == [
        {"line": None, "field": "definition.rules.0.rules.0.value", "reason": "no tag named 'nope'"}]
    assert not Segment.objects.exists()


def test_create_read_change_refresh_and_delete(api, shop):
    created = api.post(URL, {"name": "Active China", "definition": CHINA})
    assert created.status_code == 201
    body = created.json()
    assert (body["size"], body["revenue"], body["kind"]) == (2, "1250.00", "dynamic")
    segment_url = f"{URL}{body['id']}"
    assert api.get(segment_url).json()["name"] == "Active China"
    changed = api._send("patch", segment_url, {"definition": {"match": "all", "rules": CHINA["rules"][:1]}}, {})
    assert changed.status_code == 200 and changed.json()["size"] == 3
    refreshed = api.post(segment_url + "/refresh")
    assert refreshed.json()["trigger"] == "api" and refreshed.json()["size"] == 3
    members = api.get(segment_url + "/members", limit=2).json()
    assert len(members["items"]) == 2 and members["next_cursor"]
    rest = api.get(segment_url + "/members", limit=2, cursor=members["next_cursor"]).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert api.post(URL, {"name": "active china", "definition": CHINA}).status_code == 422
    assert api._send("delete", segment_url, None, {}).status_code == 204
    assert api.get(segment_url).status_code == 404


def test_a_static_list_is_filled_by_identifiers(api, shop):
    created = api.post(URL, {"name": "Fair", "kind": "static"}).json()
    response = api.post(f"{URL}{created['id']}/members", {"customers": [
        {"email": "LI@example.com"}, {"id": shop.wang.pk}, {"phone": "+86 138 0000 0001"}, {"email": "ghost@example.com"}]})
    assert response.status_code == 200
    body = response.json()
    assert (body["matched"], body["entered"], body["unmatched_count"]) == (3, 3, 1)
    assert body["unmatched"] == [{"line": 4, "value": "ghost@example.com", "reason": "no customer with this email"}]
    assert SegmentMembership.objects.filter(segment_id=created["id"]).count() == 3
    empty = api.post(f"{URL}{created['id']}/members", {"customers": [{}]})
    assert empty.status_code == 422 and empty.json()["detail"][0]["line"] == 1


def test_a_read_key_may_list_but_not_write(read_api, shop):
    assert read_api.get(URL).status_code == 200
    assert read_api.get(URL + "fields").json()[0]["name"] == "name"
    assert read_api.post(URL, {"name": "x", "definition": CHINA}).status_code == 403


def test_refreshing_a_static_list_is_a_422(api, shop):
    created = api.post(URL, {"name": "Fair", "kind": "static"}).json()
    response = api.post(f"{URL}{created['id']}/refresh")
    assert response.status_code == 422 and "static list" in response.json()["detail"][0]["reason"]
