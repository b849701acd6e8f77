import pytest

from guanxi.campaigns.flows.definition import (
    InvalidFlow,
    Plan,
    clean_flow,
    clean_steps,
    next_step_id,
)
from guanxi.campaigns.models import Flow
from guanxi.campaigns.tests.factories import make_template

pytestmark = pytest.mark.django_db

WAIT = {"id": "s1", "kind": "wait", "days": 1}
NO_ORDER = {"match": "all", "rules": [{"field": "order_count", "op": "eq", "value": 0}]}


def problems(steps):
    with pytest.raises(InvalidFlow) as caught:
        clean_steps(steps)
    return caught.value.messages


def nested_branches(levels):
    """A branch in the "yes" list of a branch... `levels` deep, with a wait at the bottom."""
    inner = [{"id": "w", "kind": "wait", "days": 1}]
    for level in range(levels):
        inner = [{"id": f"b{level}", "kind": "branch", "condition": NO_ORDER, "yes": inner, "no": []}]
    return inner


def test_a_valid_flow_is_returned_unchanged():
    template = make_template()
    steps = [WAIT, {"id": "s2", "kind": "branch", "condition": NO_ORDER,
                    "yes": [{"id": "s3", "kind": "send", "template": template.pk}], "no": []},
             {"id": "s4", "kind": "split", "share_a": 30, "a": [{"id": "s5", "kind": "tag", "tag": "vip"}], "b": []},
             {"id": "s6", "kind": "webhook", "url": "https://example.com/hook"},
             {"id": "s7", "kind": "task", "title": "Call", "assignee": None}, {"id": "s8", "kind": "points", "points": 10},
             {"id": "s9", "kind": "wait", "until_hour": 10}]
    assert clean_steps(steps) is steps


@pytest.mark.parametrize(("steps", "message"), [
    ({"id": "s1"}, "steps: expected a list of steps"),
    ([], "steps: add at least one step"),
    ([{"kind": "wait", "days": 1}], "steps.0.id: give the step an id"),
    ([{"id": "a b", "kind": "wait", "days": 1}], "steps.0.id: use 1 to 20 letters, digits, - or _"),
    ([WAIT, {**WAIT}], "steps.1.id: the id 's1' is already used at steps.0"),
    ([{"id": "s1", "kind": "fly"}], "steps.0.kind: unknown step kind 'fly'"),
    ([{"id": "s1", "kind": "wait"}], "steps.0: wait some days or hours, or until an hour of the day"),
    ([{"id": "s1", "kind": "wait", "until_hour": 24}], "steps.0.until_hour: an hour from 0 to 23"),
    ([{"id": "s1", "kind": "wait", "days": -1}], "steps.0.days: a whole number, 0 or more"),
    ([WAIT, {"id": "s2", "kind": "branch", "condition": NO_ORDER, "yes": [{"id": "s3", "kind": "send"}]}],
     "steps.1.yes.0.template: choose a template"),
    ([{"id": "s1", "kind": "send", "template": 999999}], "steps.0.template: template 999999 does not exist"),
    ([{"id": "s1", "kind": "branch", "condition": {"match": "all", "rules": [{"field": "shoe_size", "op": "eq", "value": 1}]}}],
     "steps.0.condition.rules.0.field: unknown field 'shoe_size'"),
    ([{"id": "s1", "kind": "branch"}], "steps.0.condition: set the condition"),
    ([{"id": "s1", "kind": "branch", "condition": NO_ORDER, "yes": "s2"}], "steps.0.yes: expected a list of steps"),
    ([{"id": "s1", "kind": "split", "share_a": 100}], "steps.0.share_a: a percentage from 1 to 99"),
    ([{"id": "s1", "kind": "tag", "tag": " "}], "steps.0.tag: name the tag"),
    ([{"id": "s1", "kind": "task"}], "steps.0.title: give the task a title"),
    ([{"id": "s1", "kind": "task", "title": "Call", "assignee": 999999}], "steps.0.assignee: user 999999 does not exist"),
    ([{"id": "s1", "kind": "webhook", "url": "ftp://x"}], "steps.0.url: an http:// or https:// address"),
    ([{"id": "s1", "kind": "points", "points": 0}], "steps.0.points: a whole number of points, 1 or more"),
    (["wait"], "steps.0: expected a step: {\"id\": ..., \"kind\": ...}"),
])
def test_an_invalid_step_is_reported_with_its_json_path(steps, message):
    assert problems(steps) == [message]


def test_steps_nest_at_most_five_deep():
    assert clean_steps(nested_branches(4))
    assert problems(nested_branches(5)) == ["steps.0.yes.0.yes.0.yes.0.yes.0.yes: steps nest at most 5 deep"]


def test_every_problem_is_listed_at_once():
    assert problems([{"id": "s1", "kind": "send"}, {"id": "s1", "kind": "tag"}]) == [
        "steps.0.template: choose a template", "steps.1.id: the id 's1' is already used at steps.0", "steps.1.tag: name the tag"]


def test_a_segment_trigger_needs_an_existing_segment():
    flow = Flow(name="Win-back", trigger="segment_entered", trigger_config={"segment": 999999}, steps=[WAIT])
    with pytest.raises(InvalidFlow) as caught:
        clean_flow(flow)
    assert caught.value.messages == ["trigger_config.segment: choose a segment"]


def test_a_holiday_trigger_needs_a_month_and_day():
    flow = Flow(name="Holiday", trigger="holiday", trigger_config={"date": "2026-12-25"}, steps=[WAIT])
    with pytest.raises(InvalidFlow) as caught:
        clean_flow(flow)
    assert caught.value.messages == ["trigger_config.date: a date as MM-DD, e.g. 12-25"]


def test_holiday_settings_of_the_wrong_shape_are_refused_before_they_can_break_a_tick():
    config = {"dates": {"2027": "2027-02-06"}, "countries": "CN", "exclude_countries": ["CHN"], "occasion": 5}
    flow = Flow(name="Holiday", trigger="holiday", trigger_config=config, steps=[WAIT])
    with pytest.raises(InvalidFlow) as caught:
        clean_flow(flow)
    assert caught.value.messages == [
        'trigger_config.dates: dates by year as {"2027": "02-06"}',
        'trigger_config.countries: a list of two-letter country codes, e.g. ["CN", "SG"]',
        'trigger_config.exclude_countries: a list of two-letter country codes, e.g. ["CN", "SG"]',
        "trigger_config.occasion: the name of an occasion"]


def test_the_ready_made_holiday_settings_are_accepted():
    config = {"dates": {"2027": "02-06", "2028": "01-26"}, "countries": ["CN", "SG"]}
    assert clean_flow(Flow(name="Spring", trigger="holiday", trigger_config=config, steps=[WAIT])) is None


def test_next_step_id_goes_past_every_id_in_nested_lists():
    steps = [WAIT, {"id": "s2", "kind": "branch", "condition": NO_ORDER, "yes": [{"id": "s9", "kind": "tag", "tag": "x"}],
                    "no": [{"id": "custom", "kind": "tag", "tag": "y"}]}]
    assert next_step_id(steps) == "s10"
    assert next_step_id([]) == "s1"


def test_the_plan_goes_back_up_to_the_parents_next_step_when_a_branch_list_ends():
    steps = [WAIT, {"id": "s2", "kind": "branch", "condition": NO_ORDER,
                    "yes": [{"id": "s3", "kind": "tag", "tag": "x"}, {"id": "s4", "kind": "tag", "tag": "y"}], "no": []},
             {"id": "s5", "kind": "tag", "tag": "z"}]
    plan = Plan.of(steps)
    assert plan.first == "s1"
    assert (plan.follows["s1"], plan.follows["s3"], plan.follows["s4"], plan.follows["s5"]) == ("s2", "s4", "s5", None)
    assert plan.entry(steps[1], "yes") == "s3"
    assert plan.entry(steps[1], "no") == "s5"
