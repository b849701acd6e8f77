"""Flows through the REST API: the same editing service, engine and presets as the flow editor."""

import datetime as dt
import itertools

import pytest

from guanxi.accounts.choices import Role, Scope
from guanxi.accounts.services import create_api_key
from guanxi.accounts.tests.api_client import (  # noqa: F401
    ApiClient,
    all_pages,
    api,
    read_api,
    read_key,
    write_key,
)
from guanxi.campaigns import outbox
from guanxi.campaigns.api_schemas import EnrolmentCountsOut
from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus
from guanxi.campaigns.flows import engine
from guanxi.campaigns.flows.presets import TEMPLATES
from guanxi.campaigns.models import Enrolment, Flow, Message, MessageTemplate
from guanxi.campaigns.tests.factories import make_template
from guanxi.campaigns.tests.smtp_server import smtp_server  # noqa: F401
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.tests.factories import add_contact, make_customer

pytestmark = pytest.mark.django_db
URL = "/campaigns/flows/"
DAYTIME = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)  # noon in the customers' (UTC) time zone: no quiet hours
NO_ORDER_YET = {"match": "all", "rules": [{"field": "order_count", "op": "eq", "value": 0}]}
ZERO_REPORT = {"queued": 0, "sent": 0, "opened": 0, "clicked": 0, "suppressed": 0, "failed": 0, "pending": 0,
               "unsubscribed": 0, "orders": 0, "revenue": "0", "revenue_per_recipient": "0", "suppressed_by_reason": {}}
_occurrences = itertools.count(1)


@pytest.fixture
def welcome():
    return make_template("Welcome")


def three_steps(template):
    """Send, wait three days, then tag those who have not ordered yet (the example in docs/api.md)."""
    return [{"id": "s1", "kind": "send", "template": template.pk},
            {"id": "s2", "kind": "wait", "days": 3},
            {"id": "s3", "kind": "branch", "condition": NO_ORDER_YET,
             "yes": [{"id": "s4", "kind": "tag", "tag": "no-order-yet"}], "no": []}]


def flow_body(template, **changes):
    return {"name": "Welcome series", "trigger": "customer_created", "steps": three_steps(template), **changes}


def problems(response):
    assert response.status_code == 422, response.content
    return [(p["field"], p["reason"]) for p in response.json()["detail"]]


def enrol(flow, status=EnrolmentStatus.ACTIVE, step="s2", **fields):
    return Enrolment.objects.create(flow=flow, customer=make_customer(), occurrence=f"test:{next(_occurrences)}",
                                    status=status, step=step, entered_at=DAYTIME, **fields)


def key_for(make_user, role):
    user = make_user(role.value, role)
    return ApiClient(create_api_key(f"{role.value}'s key", Scope.WRITE, user)[1])


# ---------------------------------------------------------------- create, read, change, list

def test_a_flow_is_created_as_a_draft_and_read_with_its_figures(api, welcome):
    created = api.post(URL, flow_body(welcome, description="For new customers"))
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("name", "description", "trigger", "trigger_config", "steps", "status", "re_entry",
                                 "re_entry_days", "goal_order", "activated_at")} == {
        "name": "Welcome series", "description": "For new customers", "trigger": "customer_created",
        "trigger_config": {}, "steps": three_steps(welcome), "status": "draft", "re_entry": "never",
        "re_entry_days": 0, "goal_order": True, "activated_at": None}
    detail = api.get(f"{URL}{body['id']}")
    assert detail.status_code == 200
    assert detail.json()["enrolments"] == {"active": 0, "completed": 0, "goal": 0, "exited": 0, "failed": 0}
    assert detail.json()["report"] == ZERO_REPORT
    assert Flow.objects.get().steps == three_steps(welcome)


def test_the_figures_name_every_enrolment_status():
    assert set(EnrolmentCountsOut.model_fields) == set(EnrolmentStatus.values)


def test_flows_are_listed_newest_first_in_pages_and_by_status(api, welcome):
    for name, status in [("One", FlowStatus.DRAFT), ("Two", FlowStatus.ACTIVE), ("Three", FlowStatus.PAUSED)]:
        Flow.objects.create(name=name, trigger="customer_created", steps=three_steps(welcome), status=status)
    items, pages = all_pages(api, URL, limit=2)
    assert ([f["name"] for f in items], pages) == (["Three", "Two", "One"], 2)
    assert [f["name"] for f in api.get(URL, status="active").json()["items"]] == ["Two"]
    assert problems(api.get(URL, status="asleep"))[0][0] == "status"
    assert problems(api.get(URL, cursor="nonsense")) == [("cursor", "not a cursor from a previous page")]


def test_put_replaces_every_editable_field(api, welcome):
    flow_id = api.post(URL, flow_body(welcome, goal_order=False, re_entry="always")).json()["id"]
    steps = [{"id": "s1", "kind": "send", "template": welcome.pk}, {"id": "s5", "kind": "tag", "tag": "welcomed"}]
    changed = api.put(f"{URL}{flow_id}", {"name": "Welcome, short", "trigger": "order_placed", "steps": steps,
                                          "re_entry": "after_exit", "re_entry_days": 30})
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("name", "trigger", "steps", "re_entry", "re_entry_days", "goal_order")} == {
        "name": "Welcome, short", "trigger": "order_placed", "steps": steps, "re_entry": "after_exit",
        "re_entry_days": 30, "goal_order": True}  # left out: back to its default
    flow = Flow.objects.get()
    assert (flow.name, flow.steps, flow.status) == ("Welcome, short", steps, FlowStatus.DRAFT)


# ---------------------------------------------------------------- 422s

@pytest.mark.parametrize(("steps", "expected"), [
    ([{"id": "s1", "kind": "shout"}], [("steps.0.kind", "unknown step kind 'shout'")]),
    ([{"id": "s1", "kind": "tag", "tag": "x"}, {"id": "s2", "kind": "send"}], [("steps.1.template", "choose a template")]),
    ([{"id": "s1", "kind": "branch", "condition": NO_ORDER_YET, "yes": [{"id": "s2", "kind": "send"}]}],
     [("steps.0.yes.0.template", "choose a template")]),
    ([{"id": "s1", "kind": "send", "template": 987654}], [("steps.0.template", "template 987654 does not exist")]),
    ([], [("steps", "add at least one step")]),
])
def test_a_bad_step_is_a_422_naming_its_json_path(api, welcome, steps, expected):
    assert problems(api.post(URL, flow_body(welcome, steps=steps))) == expected
    assert not Flow.objects.exists()


def test_every_problem_comes_back_at_once(api, welcome):
    steps = [{"id": "s1", "kind": "shout"}, {"id": "s2", "kind": "send"}, {"id": "s2", "kind": "wait"},
             {"id": "s4", "kind": "send", "template": 987654}]
    assert problems(api.post(URL, flow_body(welcome, steps=steps))) == [
        ("steps.0.kind", "unknown step kind 'shout'"), ("steps.1.template", "choose a template"),
        ("steps.2.id", "the id 's2' is already used at steps.1"),
        ("steps.2", "wait some days or hours, or until an hour of the day"),
        ("steps.3.template", "template 987654 does not exist")]


def test_a_duplicate_or_blank_name_is_a_422_on_the_name(api, welcome):
    assert api.post(URL, flow_body(welcome)).status_code == 201
    assert problems(api.post(URL, flow_body(welcome))) == [("name", "a flow with this name already exists")]
    assert problems(api.post(URL, flow_body(welcome, name="   "))) == [("name", "give the flow a name")]
    assert Flow.objects.count() == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"goal_order": 0}, "goal_order"),          # not coerced to false
    ({"re_entry_days": "30"}, "re_entry_days"),  # nor a string to a number
    ({"trigger": "full_moon"}, "trigger"),
    ({"re_entry": "sometimes"}, "re_entry"),
    ({"colour": "red"}, "colour"),               # unknown fields are refused, not dropped
    ({"steps": ["s1"]}, "steps.0"),
])
def test_a_body_that_does_not_match_the_schema_is_a_422_naming_the_field(api, welcome, changes, field):
    assert [f for f, _reason in problems(api.post(URL, flow_body(welcome, **changes)))] == [field]


def test_a_number_too_large_for_the_database_is_a_422_not_a_crash(api, welcome):
    steps = [{"id": "s1", "kind": "send", "template": 2**70}, {"id": "s2", "kind": "wait", "days": 1},
             {"id": "s3", "kind": "branch", "condition": {"match": "all", "rules": [
                 {"field": "order_count", "op": "eq", "value": 2**63}]}}]
    response = api.post(URL, flow_body(welcome, steps=steps, trigger_config={"segment": -(2**64)}))
    assert problems(response) == [("steps.0.template", "the number is too large"),
                                  ("steps.2.condition.rules.0.value", "the number is too large"),
                                  ("trigger_config.segment", "the number is too large")]
    assert not Flow.objects.exists()


def test_bad_trigger_settings_stop_activation_and_the_flow_stays_a_draft(api, welcome):
    body = flow_body(welcome, trigger="segment_entered", trigger_config={"days_before": "soon"})
    flow_id = api.post(URL, body).json()["id"]  # a draft may be saved half-done
    assert problems(api.post(f"{URL}{flow_id}/activate")) == [
        ("trigger_config.segment", "choose a segment"), ("trigger_config.days_before", "a whole number, 0 or more")]
    assert Flow.objects.get().status == FlowStatus.DRAFT


def test_an_active_flow_cannot_be_given_bad_trigger_settings(api, welcome):
    flow_id = api.post(URL, flow_body(welcome)).json()["id"]
    assert api.post(f"{URL}{flow_id}/activate").status_code == 200
    response = api.put(f"{URL}{flow_id}", flow_body(welcome, trigger="holiday", trigger_config={"date": "25-12"}))
    assert problems(response) == [("trigger_config.date", "a date as MM-DD, e.g. 12-25")]
    assert Flow.objects.get().trigger == "customer_created"


def test_a_step_an_enrolment_stands_on_cannot_be_removed(api, welcome):
    flow_id = api.post(URL, flow_body(welcome)).json()["id"]
    enrol(Flow.objects.get(), step="s2")
    without_the_wait = [step for step in three_steps(welcome) if step["id"] != "s2"]
    assert problems(api.put(f"{URL}{flow_id}", flow_body(welcome, steps=without_the_wait))) == [
        ("steps", "step s2 cannot be removed: 1 enrolment is on it")]
    assert Flow.objects.get().steps == three_steps(welcome)
    without_the_branch = three_steps(welcome)[:2]  # nobody stands on s3 or s4
    assert api.put(f"{URL}{flow_id}", flow_body(welcome, steps=without_the_branch)).status_code == 200
    assert Flow.objects.get().steps == without_the_branch


# ---------------------------------------------------------------- activate, pause, the engine

def test_an_activated_flow_enrols_on_the_next_tick_and_its_message_is_sent(api, welcome, smtp_server):
    steps = [{"id": "s1", "kind": "send", "template": welcome.pk}, {"id": "s2", "kind": "tag", "tag": "welcomed"}]
    flow_id = api.post(URL, flow_body(welcome, steps=steps)).json()["id"]
    make_customer("Before activation")  # history does not enrol
    activated = api.post(f"{URL}{flow_id}/activate")
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    again = api.post(f"{URL}{flow_id}/activate")
    assert (again.status_code, again.json()["activated_at"]) == (200, activated.json()["activated_at"])
    mei = make_customer("Mei Lin", first_name="Mei", time_zone="UTC")
    add_contact(mei, ContactKind.EMAIL, "mei@example.com", consent=ConsentStatus.GRANTED)

    figures = engine.tick(DAYTIME)
    assert {k: figures[k] for k in ("enrolled", "advanced", "completed", "messages")} == {
        "enrolled": 1, "advanced": 1, "completed": 1, "messages": 1}
    assert outbox.send_due(now=DAYTIME).sent == 1
    assert [r for received in smtp_server.messages for r in received.rcpt_tos] == ["mei@example.com"]
    detail = api.get(f"{URL}{flow_id}").json()
    assert detail["enrolments"] == {"active": 0, "completed": 1, "goal": 0, "exited": 0, "failed": 0}
    assert {k: detail["report"][k] for k in ("queued", "sent", "pending", "failed")} == {
        "queued": 1, "sent": 1, "pending": 0, "failed": 0}
    assert Message.objects.get().customer == mei and list(mei.tags.values_list("name", flat=True)) == ["welcomed"]


def test_a_paused_flow_neither_enrols_nor_advances(api, welcome):
    flow_id = api.post(URL, flow_body(welcome)).json()["id"]
    draft = api.post(f"{URL}{flow_id}/pause")
    assert (draft.status_code, draft.json()["status"]) == (200, "draft")  # only an active flow pauses
    api.post(f"{URL}{flow_id}/activate")
    paused = api.post(f"{URL}{flow_id}/pause")
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    make_customer("Mei Lin")
    assert {k: engine.tick(DAYTIME)[k] for k in ("flows", "enrolled")} == {"flows": 0, "enrolled": 0}
    assert api.post(f"{URL}{flow_id}/activate").json()["status"] == "active"


# ---------------------------------------------------------------- enrolments

def test_enrolments_are_listed_in_pages_and_by_status(api, welcome):
    flow = Flow.objects.create(name="Welcome", trigger="customer_created", steps=three_steps(welcome))
    waiting = [enrol(flow, next_run_at=DAYTIME) for _ in range(2)]
    failed = enrol(flow, EnrolmentStatus.FAILED, step="s1", attempts=5, last_error="template 7 is gone",
                   finished_at=DAYTIME)
    enrol(Flow.objects.create(name="Other", trigger="order_placed", steps=three_steps(welcome)))
    items, pages = all_pages(api, f"{URL}{flow.pk}/enrolments", limit=2)
    assert ([e["id"] for e in items], pages) == ([failed.pk, waiting[1].pk, waiting[0].pk], 2)
    only_failed = api.get(f"{URL}{flow.pk}/enrolments", status="failed").json()
    assert only_failed == {"next_cursor": None, "items": [{
        "id": failed.pk, "customer_id": failed.customer_id, "occurrence": failed.occurrence, "status": "failed",
        "step": "s1", "next_run_at": None, "attempts": 5, "last_error": "template 7 is gone",
        "entered_at": "2026-05-04T12:00:00Z", "finished_at": "2026-05-04T12:00:00Z"}]}
    assert problems(api.get(f"{URL}{flow.pk}/enrolments", status="lost"))[0][0] == "status"


def test_retry_revives_failed_enrolments_of_this_flow_only(api, welcome):
    flow = Flow.objects.create(name="Welcome", trigger="customer_created", steps=three_steps(welcome))
    first, second = (enrol(flow, EnrolmentStatus.FAILED, step="s1", attempts=5, last_error="boom") for _ in range(2))
    done = enrol(flow, EnrolmentStatus.COMPLETED, step="")
    elsewhere = enrol(Flow.objects.create(name="Other", trigger="order_placed", steps=three_steps(welcome)),
                      EnrolmentStatus.FAILED, step="s1")
    named = api.post(f"{URL}{flow.pk}/enrolments/retry", {"ids": [first.pk, done.pk, elsewhere.pk, 987654]})
    assert (named.status_code, named.json()) == (200, {"retried": 1})
    first.refresh_from_db()
    assert (first.status, first.attempts, first.last_error) == (EnrolmentStatus.ACTIVE, 0, "")
    assert api.post(f"{URL}{flow.pk}/enrolments/retry", {}).json() == {"retried": 1}  # every failed one: the second
    assert api.post(f"{URL}{flow.pk}/enrolments/retry", {}).json() == {"retried": 0}
    statuses = dict(Enrolment.objects.values_list("pk", "status"))
    assert [statuses[e.pk] for e in (second, done, elsewhere)] == ["active", "completed", "failed"]
    assert problems(api.post(f"{URL}{flow.pk}/enrolments/retry", {"ids": []}))[0][0] == "ids"


# ---------------------------------------------------------------- presets

def test_presets_install_as_drafts_and_a_second_install_changes_nothing(api):
    first = api.post(URL + "presets")
    assert first.status_code == 200
    names = [f["name"] for f in first.json()]
    assert names == ["Welcome series", "Post-purchase", "Birthday greeting", "Spring Festival greeting",
                     "Christmas greeting", "Mother's Day is coming", "Replenishment reminder", "Abandoned cart",
                     "Browse abandonment", "Win-back"]
    assert {f["status"] for f in first.json()} == {"draft"}
    assert (Flow.objects.count(), MessageTemplate.objects.count()) == (10, len(TEMPLATES))
    Flow.objects.filter(name="Win-back").update(description="Our own words")
    second = api.post(URL + "presets")
    assert [f["id"] for f in second.json()] == [f["id"] for f in first.json()]
    assert (Flow.objects.count(), MessageTemplate.objects.count()) == (10, len(TEMPLATES))
    assert Flow.objects.get(name="Win-back").description == "Our own words"


# ---------------------------------------------------------------- permissions and 404s

def operations(flow_id, template):
    """(method, path, body, permission needed) of every flow operation."""
    return [("get", URL, None, "view_flow"), ("get", f"{URL}{flow_id}", None, "view_flow"),
            ("get", f"{URL}{flow_id}/enrolments", None, "view_flow"),
            ("post", URL, flow_body(template, name="New"), "add_flow"), ("post", URL + "presets", None, "add_flow"),
            ("put", f"{URL}{flow_id}", flow_body(template, name="Renamed"), "change_flow"),
            ("post", f"{URL}{flow_id}/activate", None, "change_flow"),
            ("post", f"{URL}{flow_id}/pause", None, "change_flow"),
            ("post", f"{URL}{flow_id}/enrolments/retry", {}, "change_enrolment")]


def call(client, method, path, body):
    return client.get(path) if method == "get" else getattr(client, method)(path, body)


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.SALES, set()),
    (Role.ANALYST, {"view_flow"}),
    (Role.MARKETING, {"view_flow", "add_flow", "change_flow", "change_enrolment"}),
])
def test_a_key_made_for_a_user_may_do_what_the_users_role_may(make_user, welcome, role, allowed):
    client = key_for(make_user, role)
    flow = Flow.objects.create(name="Welcome", trigger="customer_created", steps=three_steps(welcome))
    for method, path, body, permission in operations(flow.pk, welcome):
        response = call(client, method, path, body)
        if permission in allowed:
            assert response.status_code in (200, 201), (method, path, response.content)
        else:
            assert response.status_code == 403, (method, path, response.content)
            assert response.json()["detail"] == (f"The user of this API key may not do this (it needs the "
                                                 f"campaigns.{permission} permission).")
    if not allowed - {"view_flow"}:
        assert list(Flow.objects.values_list("name", "status")) == [("Welcome", "draft")]
    else:  # the key's user is the author of what it creates
        assert Flow.objects.get(name="New").created_by.username == role.value


def test_a_read_key_may_look_but_not_change(read_api, welcome):
    flow = Flow.objects.create(name="Welcome", trigger="customer_created", steps=three_steps(welcome))
    for method, path, body, _permission in operations(flow.pk, welcome):
        assert call(read_api, method, path, body).status_code == (200 if method == "get" else 403), (method, path)
    assert list(Flow.objects.values_list("name", "status")) == [("Welcome", "draft")]


def test_unknown_flows_are_404(api, welcome):
    for method, path, body, _permission in operations(987654, welcome):
        if "987654" in path:
            assert call(api, method, path, body).status_code == 404, (method, path)


# ---------------------------------------------------------------- query counts

def test_the_list_and_the_detail_take_a_fixed_number_of_queries(api, welcome, django_assert_num_queries):
    flows = [Flow.objects.create(name=f"Flow {n}", trigger="customer_created", steps=three_steps(welcome))
             for n in range(5)]
    for flow in flows:
        enrol(flow)
    api.get(URL)  # the key's last use is noted once a minute: not on the counted calls
    # the key, then the page
    with django_assert_num_queries(2):
        assert len(api.get(URL).json()["items"]) == 5
    # the key, the flow, enrolments by status, the report's figures, unsubscribes, orders, suppressions
    with django_assert_num_queries(7):
        assert api.get(f"{URL}{flows[0].pk}").json()["enrolments"]["active"] == 1
