"""Flow pages: the list with its figures, ready-made flows, a new flow's settings,
the editor's htmx actions, saving with problems marked at their step, activate and
pause, the report, retrying failed enrolments, permissions and query counts."""

import html as html_lib
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.choices import Role
from guanxi.campaigns.choices import (
    EnrolmentStatus,
    EventKind,
    FlowStatus,
    MessageStatus,
    StepOutcome,
)
from guanxi.campaigns.models import (
    AttributedOrder,
    Enrolment,
    Flow,
    Message,
    MessageEvent,
    StepRun,
)
from guanxi.campaigns.tests.factories import make_message, make_template
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.tests.factories import make_customer
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
WAIT_SEND = [{"id": "s1", "kind": "wait", "days": 1}, {"id": "s2", "kind": "send", "template": None}]


@pytest.fixture
def marketer(client, make_user):
    client.force_login(make_user("mei", Role.MARKETING))
    return client


@pytest.fixture
def welcome():
    return make_template("Welcome")


def flow_with(steps, name="Welcome", trigger="customer_created", **fields):
    return Flow.objects.create(name=name, trigger=trigger, steps=steps, **fields)


def enrol(flow, customer, status=EnrolmentStatus.ACTIVE, step="s1", **fields):
    return Enrolment.objects.create(flow=flow, customer=customer, occurrence=f"customer:{customer.pk}", status=status,
                                    step=step, entered_at=timezone.now(), **fields)


def editor_post(steps, fields=None, action=""):
    return {"steps_json": json.dumps(steps), "action": action, **(fields or {})}


def state(response):
    """The steps the redrawn editor carries in its hidden field."""
    found = re.search(r'name="steps_json" value="([^"]*)"', response.content.decode())
    return json.loads(html_lib.unescape(found.group(1)))


def table_row(html, marker):
    start = html.index(marker)
    return html[start:html.index("</tr>", start)]


def card(html, step_id):
    """The HTML of one step card, up to the next card."""
    start = html.index(f'id="step-{step_id}"')
    end = html.find('<li class="flow-step', start + 1)
    return html[start:end if end > 0 else None]


# ---------------------------------------------------------------- list and presets

def test_the_list_shows_status_trigger_enrolments_and_figures_in_a_fixed_number_of_queries(
        marketer, welcome, django_assert_num_queries):
    busy = flow_with([{"id": "s1", "kind": "send", "template": welcome.pk}], status=FlowStatus.ACTIVE)
    quiet = flow_with([], name="Quiet", trigger="birthday")
    people = [make_customer(f"Customer {n}") for n in range(5)]
    for person, status in zip(people, ["active", "active", "completed", "goal", "failed"], strict=True):
        enrol(busy, person, status)
    now = timezone.now()
    first, second = make_message(people[0], welcome, key="flow:1:a"), make_message(people[1], welcome, key="flow:1:b")
    Message.objects.filter(pk__in=[first.pk, second.pk]).update(flow=busy, opened_at=now)
    Message.objects.filter(pk=first.pk).update(clicked_at=now)
    AttributedOrder.objects.create(order=make_order(people[0], total="88.50"), message=first, touch=EventKind.CLICKED)
    # session, user, 2 for permissions, the role (header); flows, enrolments, messages, revenue
    with django_assert_num_queries(9):
        response = marketer.get(reverse("campaigns:flows"))
    html = response.content.decode()
    row = table_row(html, f'data-flow="{busy.pk}"')
    for figure, value in [("active", "2"), ("completed", "1"), ("goal", "1"), ("failed", "1"), ("sent", "2"),
                          ("opened", "2"), ("clicked", "1"), ("revenue", "88.50")]:
        assert f'data-figure="{figure}">{value}<' in row, figure
    assert 'data-status="active">Active<' in row and "Customer created" in row
    row = table_row(html, f'data-flow="{quiet.pk}"')
    assert 'data-status="draft">Draft<' in row and "Birthday" in row
    assert row.count('">0<') == 7 and 'data-figure="revenue">0.00<' in row


def test_installing_the_ready_made_flows_twice_adds_them_once(marketer):
    first = marketer.post(reverse("campaigns:flow_presets"), follow=True)
    assert "10 ready-made flows added as drafts." in first.content.decode()
    assert Flow.objects.count() == 10 and set(Flow.objects.values_list("status", flat=True)) == {FlowStatus.DRAFT}
    again = marketer.post(reverse("campaigns:flow_presets"), follow=True)
    assert "The ready-made flows are already here: nothing was added." in again.content.decode()
    assert Flow.objects.count() == 10
    assert "Abandoned cart" in again.content.decode() and "Win-back" in again.content.decode()


# ---------------------------------------------------------------- settings

def settings_data(**changes):
    return {"name": "Cart rescue", "description": "", "trigger": "cart_abandoned", "idle_hours": "6",
            "re_entry": "always", "re_entry_days": "0", "goal_order": "on", **changes}


def test_a_new_flow_is_a_draft_with_its_trigger_settings_and_opens_in_the_editor(marketer):
    response = marketer.post(reverse("campaigns:flow_new"), settings_data(days_before="9"))
    flow = Flow.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:flow_edit", args=[flow.pk])
    # days_before is not a cart trigger's setting: it is not stored
    assert (flow.name, flow.status, flow.trigger, flow.trigger_config) == ("Cart rescue", FlowStatus.DRAFT, "cart_abandoned",
                                                                           {"idle_hours": 6})
    assert (flow.re_entry, flow.goal_order, flow.steps, flow.created_by.username) == ("always", True, [], "mei")
    editor = marketer.get(response["Location"]).content.decode()
    assert "No steps yet: add the first one below." in editor and 'id="flow-status">Draft<' in editor


def test_a_holiday_flow_stores_its_date_and_countries(marketer):
    marketer.post(reverse("campaigns:flow_new"), settings_data(trigger="holiday", date="12-25", countries="cn, tw",
                                                             days_before="2", goal_order=""))
    flow = Flow.objects.get()
    assert flow.trigger_config == {"date": "12-25", "countries": ["CN", "TW"], "days_before": 2}
    assert flow.goal_order is False


def test_a_segment_trigger_needs_a_segment_and_a_name_must_be_new(marketer):
    flow_with([], name="Taken")
    response = marketer.post(reverse("campaigns:flow_new"), settings_data(name="Taken", trigger="segment_entered"))
    html = response.content.decode()
    assert response.status_code == 200 and "choose a segment" in html and "a flow with this name already exists" not in html
    segment = Segment.objects.create(name="VIP", kind=SegmentKind.STATIC)
    response = marketer.post(reverse("campaigns:flow_new"), settings_data(name="Taken", trigger="segment_entered",
                                                                          segment=segment.pk))
    assert "a flow with this name already exists" in response.content.decode()
    assert Flow.objects.count() == 1


def test_changing_the_trigger_draws_the_settings_that_trigger_reads(marketer):
    Segment.objects.create(name="VIP", kind=SegmentKind.STATIC)
    html = marketer.post(reverse("campaigns:flow_new"), {"trigger": "segment_entered", "redraw": "1"}, **HTMX).content.decode()
    assert 'id="trigger-settings"' in html and "<html" not in html  # only the settings are drawn again
    assert 'name="segment"' in html and ">VIP<" in html and 'name="idle_hours"' not in html
    html = marketer.post(reverse("campaigns:flow_new"), {"trigger": "order_placed", "redraw": "1"}, **HTMX).content.decode()
    assert "This trigger needs no settings." in html and not Flow.objects.exists()


def test_the_settings_page_keeps_what_the_form_does_not_show(marketer):
    flow = flow_with([], trigger="holiday", trigger_config={"date": "02-17", "dates": {"2027": "02-06"}})
    marketer.post(reverse("campaigns:flow_settings", args=[flow.pk]),
                  settings_data(name="New year", trigger="holiday", date="02-17", days_before="1"))
    flow.refresh_from_db()
    assert flow.name == "New year"
    assert flow.trigger_config == {"date": "02-17", "dates": {"2027": "02-06"}, "days_before": 1}


# ---------------------------------------------------------------- the editor

def test_adding_a_step_keeps_what_was_typed_and_takes_a_fresh_id(marketer, welcome):
    flow = flow_with(WAIT_SEND)
    response = marketer.post(reverse("campaigns:flow_editor", args=[flow.pk]),
                             editor_post(WAIT_SEND, {"s1.days": "3", "s1.hours": "", "s1.until_hour": "10",
                                                     "s2.template": str(welcome.pk), "kind@steps": "tag"},
                                         action="add:steps"), **HTMX)
    assert response.status_code == 200
    assert state(response) == [{"id": "s1", "kind": "wait", "days": 3, "until_hour": 10},
                               {"id": "s2", "kind": "send", "template": welcome.pk},
                               {"id": "s3", "kind": "tag", "tag": ""}]
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="flow-editor">')  # only the editor is drawn again
    assert 'name="s3.tag"' in html and html.index('id="step-s2"') < html.index('id="step-s3"')
    flow.refresh_from_db()
    assert flow.steps == WAIT_SEND  # nothing is saved


def test_steps_are_added_inside_a_branch_lane_and_a_condition_gets_rules(marketer):
    steps = [{"id": "s1", "kind": "wait", "days": 1}, {"id": "s2", "kind": "branch",
                                                       "condition": {"match": "all", "rules": []}, "yes": [], "no": []}]
    flow = flow_with(steps)
    url = reverse("campaigns:flow_editor", args=[flow.pk])
    added = marketer.post(url, editor_post(steps, {"kind@s2.yes": "send"}, action="add:s2.yes"), **HTMX)
    assert state(added)[1]["yes"] == [{"id": "s3", "kind": "send", "template": None, "priority": 5, "relevant_hours": 48}]
    assert state(added)[1]["no"] == []
    assert 'data-lane="s2.yes"' in added.content.decode() and 'name="kind@s2.no"' in added.content.decode()
    ruled = marketer.post(url, editor_post(state(added), {"s2~r.match": "all"}, action="add-rule:s2~r"), **HTMX)
    assert state(ruled)[1]["condition"] == {"match": "all", "rules": [{"field": "country", "op": "in", "value": ""}]}
    assert 'name="s2~r.0.field"' in ruled.content.decode()
    # the nested step moves with its branch; ids stay unique past the nested one
    more = marketer.post(url, editor_post(state(ruled), {"kind@steps": "wait"}, action="add:steps"), **HTMX)
    assert [s["id"] for s in state(more)] == ["s1", "s2", "s4"]


def test_steps_move_up_and_down_within_their_list_and_are_removed(marketer):
    steps = [{"id": "s1", "kind": "wait", "days": 1}, {"id": "s2", "kind": "tag", "tag": "a"},
             {"id": "s3", "kind": "split", "share_a": 50, "a": [{"id": "s4", "kind": "tag", "tag": "x"},
                                                                {"id": "s5", "kind": "tag", "tag": "y"}], "b": []}]
    flow = flow_with(steps)
    url = reverse("campaigns:flow_editor", args=[flow.pk])

    def act(current, action):
        return state(marketer.post(url, editor_post(current, action=action), **HTMX))

    assert [s["id"] for s in act(steps, "up:s2")] == ["s2", "s1", "s3"]
    assert [s["id"] for s in act(steps, "down:s1")] == ["s2", "s1", "s3"]
    assert [s["id"] for s in act(steps, "down:s3")] == ["s1", "s2", "s3"]  # already last
    assert [s["id"] for s in act(steps, "up:s5")[2]["a"]] == ["s5", "s4"]
    assert act(steps, "remove-step:s4")[2]["a"] == [{"id": "s5", "kind": "tag", "tag": "y"}]
    assert [s["id"] for s in act(steps, "remove-step:s3")] == ["s1", "s2"]
    assert act(steps, "explode:s1") == steps


def test_saving_cleans_the_conditions_and_saves_the_steps(marketer, welcome):
    flow = flow_with([])
    steps = [{"id": "s1", "kind": "branch", "condition": {"match": "all", "rules": []},
              "yes": [{"id": "s2", "kind": "send", "template": None}], "no": []}]
    response = marketer.post(reverse("campaigns:flow_edit", args=[flow.pk]), editor_post(steps, {
        "s1~r.match": "all", "s1~r.0.field": "order_count", "s1~r.0.op": "eq", "s1~r.0.value": "0",
        "s2.template": str(welcome.pk), "s2.priority": "3", "s2.relevant_hours": "24", "do": "save"}))
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.steps == [{"id": "s1", "kind": "branch", "condition": {"match": "all", "rules": [
        {"field": "order_count", "op": "eq", "value": 0}]},
        "yes": [{"id": "s2", "kind": "send", "template": welcome.pk, "priority": 3, "relevant_hours": 24}], "no": []}]
    assert flow.status == FlowStatus.DRAFT
    assert "Flow saved." in marketer.get(response["Location"]).content.decode()


def test_a_task_step_is_saved_with_its_assignee_and_due_days_and_bad_days_are_marked(marketer):
    flow = flow_with([])
    steps = [{"id": "s1", "kind": "task", "title": ""}]
    url = reverse("campaigns:flow_edit", args=[flow.pk])
    bad = marketer.post(url, editor_post(steps, {"s1.title": "Call", "s1.assignee": "", "s1.due_days": "400", "do": "save"}))
    assert 'data-problem="due_days">a whole number of days from 0 to 365<' in card(bad.content.decode(), "s1")
    good = marketer.post(url, editor_post(steps, {"s1.title": "Call", "s1.assignee": "", "s1.due_days": "3", "do": "save"}))
    assert good.status_code == 302
    flow.refresh_from_db()
    assert flow.steps == [{"id": "s1", "kind": "task", "title": "Call", "assignee": None, "due_days": 3}]


def test_a_save_with_problems_marks_each_at_its_step_and_saves_nothing(marketer, welcome):
    saved = [{"id": "s1", "kind": "wait", "days": 2}]
    flow = flow_with(saved)
    steps = [{"id": "s1", "kind": "wait", "days": 2},
             {"id": "s2", "kind": "branch", "condition": {"match": "all", "rules": []},
              "yes": [{"id": "s3", "kind": "send", "template": None}], "no": []},
             {"id": "s4", "kind": "tag", "tag": ""}]
    response = marketer.post(reverse("campaigns:flow_edit", args=[flow.pk]), editor_post(steps, {
        "s1.days": "two", "s2~r.match": "all", "s2~r.0.field": "p_alive", "s2~r.0.op": "gt", "s2~r.0.value": "7",
        "s3.template": "", "s4.tag": "  ", "do": "save"}))
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was saved: fix the problems marked below." in html
    assert 'data-problem="days">a whole number, 0 or more<' in card(html, "s1")
    assert 'data-problem="template">choose a template<' in card(html, "s3")  # inside the branch's yes lane
    assert 'data-problem="tag">name the tag<' in card(html, "s4")
    assert re.search(r'class="rule has-problem" data-path="s2~r\.0"', card(html, "s2"))
    summary = html[html.index('id="flow-problems"'):html.index("</div>", html.index('id="flow-problems"'))]
    assert summary.count("<li>") == 4 and 'href="#step-s3"' in summary and "Step 2Y1 · Send a message" in summary
    assert 'value="two"' in card(html, "s1")  # what was typed stays in the field
    flow.refresh_from_db()
    assert flow.steps == saved


def test_activate_saves_then_starts_and_pause_stops(marketer, welcome):
    flow = flow_with(WAIT_SEND)
    response = marketer.post(reverse("campaigns:flow_edit", args=[flow.pk]), editor_post(WAIT_SEND, {
        "s1.days": "1", "s2.template": str(welcome.pk), "do": "activate"}), follow=True)
    html = response.content.decode()
    assert "Flow activated: its trigger enrols customers from now on." in html
    assert 'id="flow-status">Active<' in html and "Save and activate" not in html
    flow.refresh_from_db()
    assert (flow.status, flow.steps[1]["template"]) == (FlowStatus.ACTIVE, welcome.pk) and flow.activated_at
    paused = marketer.post(reverse("campaigns:flow_pause", args=[flow.pk]), follow=True).content.decode()
    assert 'id="flow-status">Paused<' in paused
    flow.refresh_from_db()
    assert flow.status == FlowStatus.PAUSED


def test_activation_problems_are_shown_and_the_flow_stays_a_draft(marketer, welcome):
    flow = flow_with([], trigger="segment_entered")
    steps = [{"id": "s1", "kind": "send", "template": welcome.pk}]
    html = marketer.post(reverse("campaigns:flow_edit", args=[flow.pk]),
                         editor_post(steps, {"s1.template": str(welcome.pk), "do": "activate"})).content.decode()
    assert "the flow cannot start yet" in html and "Trigger settings: choose a segment" in html
    flow.refresh_from_db()
    assert (flow.status, flow.steps) == (FlowStatus.DRAFT, steps)


def test_a_step_customers_wait_on_cannot_be_removed_from_an_active_flow(marketer, welcome):
    steps = [{"id": "s1", "kind": "wait", "days": 1}, {"id": "s2", "kind": "tag", "tag": "x"}]
    flow = flow_with(steps, status=FlowStatus.ACTIVE)
    enrol(flow, make_customer("Li Na"), step="s1")
    html = marketer.post(reverse("campaigns:flow_edit", args=[flow.pk]),
                         editor_post(steps[1:], {"s2.tag": "x", "do": "save"})).content.decode()
    assert "Steps: step s1 cannot be removed: 1 enrolment is on it" in html
    flow.refresh_from_db()
    assert flow.steps == steps


# ---------------------------------------------------------------- report, error queue

def test_the_report_shows_enrolments_messages_and_each_steps_figures(marketer, welcome, django_assert_num_queries):
    steps = [{"id": "s1", "kind": "wait", "days": 2},
             {"id": "s2", "kind": "split", "share_a": 30, "a": [{"id": "s3", "kind": "send", "template": welcome.pk}],
              "b": []}]
    flow = flow_with(steps, status=FlowStatus.ACTIVE)
    people = [make_customer(f"Customer {n}") for n in range(5)]
    on_wait = [enrol(flow, people[0]), enrol(flow, people[1])]
    enrol(flow, people[2], EnrolmentStatus.COMPLETED, step="")
    enrol(flow, people[3], EnrolmentStatus.GOAL, step="s3")
    enrol(flow, people[4], EnrolmentStatus.FAILED, step="s3", last_error="StepError: template 9 no longer exists")
    now = timezone.now()
    for enrolment in on_wait:
        StepRun.objects.create(enrolment=enrolment, step="s1", kind="wait", outcome=StepOutcome.WAITING, at=now)
    StepRun.objects.create(enrolment=on_wait[0], step="s3", kind="send", outcome=StepOutcome.FAILED, at=now)
    messages = [make_message(person, welcome, key=f"flow:{flow.pk}:{n}") for n, person in enumerate(people[:3])]
    messages.append(make_message(people[3], welcome, key=f"flow:{flow.pk}:3", status=MessageStatus.FAILED))
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(flow=flow, flow_step="s3")
    Message.objects.filter(pk__in=[m.pk for m in messages[:2]]).update(opened_at=now)
    Message.objects.filter(pk=messages[0].pk).update(clicked_at=now)
    MessageEvent.objects.create(message=messages[2], kind=EventKind.BOUNCED, at=now)
    AttributedOrder.objects.create(order=make_order(people[0], total="90.00"), message=messages[0], touch=EventKind.CLICKED)
    # session, user, 2 for permissions, the flow; report: 3 + unsubscribed, orders, suppressed reasons,
    # bounced, enrolments; steps: on-step, runs, template names; failed, latest, role (header)
    with django_assert_num_queries(17):
        response = marketer.get(flow.get_absolute_url())
    html = response.content.decode()
    for figure, value in [("enrolled", "5"), ("active", "2"), ("completed", "1"), ("goal", "1"), ("failed_enrolments", "1"),
                          ("sent", "3"), ("opened", "2"), ("clicked", "1"), ("orders", "1"), ("revenue", "90.00"),
                          ("revenue_per_recipient", "30.00")]:
        assert f'data-figure="{figure}">{value}<' in html, figure
    assert "2 delivered, 0 waiting, 1 failed, 0 not sent." in html
    assert html.count("<rect ") == 3
    wait_row = table_row(html, '<tr data-step="s1"')
    assert 'data-figure="waiting">2<' in wait_row and "2 days" in wait_row
    assert f'data-outcome="{StepOutcome.values.index("waiting")}">2<' in wait_row
    send_row = table_row(html, '<tr data-step="s3"')
    assert 'data-figure="failed">1<' in send_row and "Welcome" in send_row and ">A</span>" in send_row
    assert "StepError: template 9 no longer exists" in html and html.count('name="enrolment"') == 1
    assert html.count("<tr data-enrolment=") == 6  # the failed one, and the five latest


def test_the_error_queue_lists_failed_enrolments_with_their_reason_and_retries_them(marketer):
    flow = flow_with([{"id": "s1", "kind": "webhook", "url": "https://example.com/hook"}], status=FlowStatus.ACTIVE)
    failed = enrol(flow, make_customer("Li Na"), EnrolmentStatus.FAILED, last_error="ConnectionError: refused",
                   finished_at=timezone.now())
    waiting = enrol(flow, make_customer("Sam Park"))
    page = marketer.get(reverse("campaigns:errors")).content.decode()
    assert f'hx-get="{reverse("campaigns:flow_errors")}"' in page
    fragment = marketer.get(reverse("campaigns:flow_errors"), **HTMX).content.decode()
    assert 'data-figure="failed_enrolments">1<' in fragment and "ConnectionError: refused" in fragment
    assert "Li Na" in fragment and "Sam Park" not in fragment and ">Welcome</a>" in fragment
    response = marketer.post(reverse("campaigns:flow_retry"),
                             {"enrolment": [failed.pk, waiting.pk], "next": reverse("campaigns:errors")})
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:errors")
    failed.refresh_from_db()
    assert (failed.status, failed.last_error, failed.attempts) == (EnrolmentStatus.ACTIVE, "", 0)
    assert failed.next_run_at is not None
    followed = marketer.get(response["Location"]).content.decode()
    assert "1 enrolment goes on from the step that failed." in followed
    elsewhere = marketer.post(reverse("campaigns:flow_retry"), {"enrolment": [failed.pk], "next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("campaigns:flows")


def test_retrying_nothing_says_so(marketer):
    response = marketer.post(reverse("campaigns:flow_retry"), {}, follow=True)
    assert "Choose the enrolments to retry." in response.content.decode()


# ---------------------------------------------------------------- permissions

@pytest.mark.parametrize(("role", "url_name", "method", "expected"), [
    (Role.ANALYST, "campaigns:flows", "get", 200),
    (Role.ANALYST, "campaigns:flow_detail", "get", 200),
    (Role.ANALYST, "campaigns:flow_errors", "get", 200),
    (Role.ANALYST, "campaigns:flow_new", "get", 403),
    (Role.ANALYST, "campaigns:flow_presets", "post", 403),
    (Role.ANALYST, "campaigns:flow_settings", "get", 403),
    (Role.ANALYST, "campaigns:flow_edit", "get", 403),
    (Role.ANALYST, "campaigns:flow_edit", "post", 403),
    (Role.ANALYST, "campaigns:flow_editor", "post", 403),
    (Role.ANALYST, "campaigns:flow_pause", "post", 403),
    (Role.ANALYST, "campaigns:flow_retry", "post", 403),
    (Role.SERVICE, "campaigns:flows", "get", 403),
    (Role.SERVICE, "campaigns:flow_detail", "get", 403),
    (Role.SALES, "campaigns:flow_errors", "get", 403),
    (Role.MARKETING, "campaigns:flow_edit", "get", 200),
    (Role.MARKETING, "campaigns:flow_settings", "get", 200),
    (Role.MARKETING, "campaigns:flow_new", "get", 200),
    (Role.MARKETING, "campaigns:flow_editor", "get", 405),
])
def test_each_flow_page_checks_the_role(client, make_user, role, url_name, method, expected):
    flow = flow_with([{"id": "s1", "kind": "wait", "days": 1}])
    client.force_login(make_user("u", role))
    needs_flow = url_name in ("campaigns:flow_detail", "campaigns:flow_settings", "campaigns:flow_edit",
                              "campaigns:flow_editor", "campaigns:flow_pause")
    response = getattr(client, method)(reverse(url_name, args=[flow.pk] if needs_flow else []))
    assert response.status_code == expected


def test_the_flows_tab_shows_for_those_who_may_see_flows(client, make_user):
    client.force_login(make_user("an", Role.ANALYST))
    html = client.get(reverse("campaigns:list")).content.decode()
    assert f'href="{reverse("campaigns:flows")}"' in html
    client.force_login(make_user("sam", Role.SALES))
    assert f'href="{reverse("campaigns:flows")}"' not in client.get(reverse("campaigns:list")).content.decode()
