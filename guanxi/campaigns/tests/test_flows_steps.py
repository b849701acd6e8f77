import datetime as dt
import itertools

import pytest

from guanxi.campaigns.choices import (
    Channel,
    EnrolmentStatus,
    MessageStatus,
    Purpose,
    StepOutcome,
)
from guanxi.campaigns.flows import engine
from guanxi.campaigns.flows.steps import next_local_hour, split_variant
from guanxi.campaigns.models import Enrolment, Flow, Message, StepRun, Task
from guanxi.campaigns.tests.factories import make_template
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
_names = itertools.count(1)


def flow_with(steps, goal_order=False):
    flow = Flow.objects.create(name=f"Flow {next(_names)}", trigger="order_placed", steps=steps, goal_order=goal_order)
    return engine.activate(flow, now=NOW - dt.timedelta(days=1))


def enrol(flow, customer=None, step="s1", context=None, entered_at=NOW):
    return Enrolment.objects.create(flow=flow, customer=customer or make_customer(), occurrence=f"test:{next(_names)}",
                                    step=step, next_run_at=entered_at, entered_at=entered_at, context=context or {})


def runs(enrolment):
    return list(StepRun.objects.filter(enrolment=enrolment).order_by("id").values_list("step", "outcome", "detail"))


def test_a_wait_puts_the_enrolment_to_sleep_for_days_and_hours_then_the_next_step_runs():
    flow = flow_with([{"id": "s1", "kind": "wait", "days": 1, "hours": 2}, {"id": "s2", "kind": "tag", "tag": "waited"}])
    enrolment = enrol(flow)
    engine.tick(NOW)
    enrolment.refresh_from_db()
    assert (enrolment.step, enrolment.next_run_at, enrolment.status) == ("s2", NOW + dt.timedelta(days=1, hours=2), "active")
    engine.tick(NOW + dt.timedelta(days=1))
    assert not enrolment.customer.tags.exists()
    engine.tick(NOW + dt.timedelta(days=1, hours=2))
    enrolment.refresh_from_db()
    assert list(enrolment.customer.tags.values_list("name", flat=True)) == ["waited"]
    assert (enrolment.status, enrolment.path, enrolment.finished_at) == ("completed", ["s1", "s2"], NOW + dt.timedelta(days=1, hours=2))


def test_a_wait_until_an_hour_uses_the_customers_clock():
    flow = flow_with([{"id": "s1", "kind": "wait", "until_hour": 9}, {"id": "s2", "kind": "wait", "days": 1, "until_hour": 9}])
    shanghai = enrol(flow, make_customer("Li", time_zone="Asia/Shanghai"))  # 18:00 there
    london = enrol(flow, make_customer("Ann", time_zone="Europe/London"))  # 11:00 there (BST)
    engine.tick(NOW)
    shanghai.refresh_from_db()
    london.refresh_from_db()
    assert shanghai.next_run_at == dt.datetime(2026, 6, 16, 1, 0, tzinfo=dt.UTC)
    assert london.next_run_at == dt.datetime(2026, 6, 16, 8, 0, tzinfo=dt.UTC)
    engine.tick(shanghai.next_run_at)
    shanghai.refresh_from_db()
    assert shanghai.next_run_at == dt.datetime(2026, 6, 17, 1, 0, tzinfo=dt.UTC)


def test_next_local_hour_is_today_when_the_hour_is_still_ahead():
    import zoneinfo

    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert next_local_hour(dt.datetime(2026, 6, 15, 0, 30, tzinfo=dt.UTC), 9, zone) == dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC)


def branch_flow():
    condition = {"match": "all", "rules": [{"field": "country", "op": "in", "value": ["CN"]}]}
    return flow_with([{"id": "s1", "kind": "branch", "condition": condition,
                       "yes": [{"id": "s2", "kind": "tag", "tag": "yes"}], "no": [{"id": "s3", "kind": "tag", "tag": "no"}]},
                      {"id": "s4", "kind": "tag", "tag": "after"}])


def test_a_branch_goes_down_yes_or_no_then_back_to_the_parents_next_step():
    flow = branch_flow()
    china, elsewhere = enrol(flow, make_customer("Li", country="CN")), enrol(flow, make_customer("Ann", country="GB"))
    engine.tick(NOW)
    assert sorted(china.customer.tags.values_list("name", flat=True)) == ["after", "yes"]
    assert sorted(elsewhere.customer.tags.values_list("name", flat=True)) == ["after", "no"]
    china.refresh_from_db()
    assert china.path == ["s1", "s2", "s4"]
    assert runs(china)[0] == ("s1", StepOutcome.DONE, "yes")


def test_a_split_is_stable_and_close_to_its_share():
    assert [split_variant(7, i, 30) for i in range(50)] == [split_variant(7, i, 30) for i in range(50)]
    share = sum(split_variant(7, i, 30) == "A" for i in range(4000)) / 4000
    assert 0.27 < share < 0.33


def test_a_split_stores_the_variant_and_follows_its_list():
    flow = flow_with([{"id": "s1", "kind": "split", "share_a": 50, "a": [{"id": "s2", "kind": "tag", "tag": "A"}],
                       "b": [{"id": "s3", "kind": "tag", "tag": "B"}]}])
    enrolments = [enrol(flow) for _ in range(20)]
    engine.tick(NOW)
    for enrolment in enrolments:
        enrolment.refresh_from_db()
        assert enrolment.variant == split_variant(flow.pk, enrolment.pk, 50)
        assert list(enrolment.customer.tags.values_list("name", flat=True)) == [enrolment.variant]
    assert {e.variant for e in enrolments} == {"A", "B"}


def test_a_send_queues_exactly_one_message_with_its_key_even_when_the_step_runs_twice():
    template = make_template(channel=Channel.SMS, purpose=Purpose.TRANSACTIONAL)
    flow = flow_with([{"id": "s1", "kind": "send", "template": template.pk, "priority": 2, "coupon_code": "HELLO10"}])
    enrolment = enrol(flow, context={"order": 12})
    engine.tick(NOW)
    Enrolment.objects.filter(pk=enrolment.pk).update(status="active", step="s1", next_run_at=NOW)
    engine.tick(NOW + dt.timedelta(minutes=5))
    message = Message.objects.get()
    assert message.key == f"flow:{flow.pk}:e:{enrolment.pk}:s:s1"
    assert (message.customer_id, message.template, message.flow, message.flow_step) == (enrolment.customer_id, template, flow, "s1")
    assert (message.channel, message.purpose, message.priority, message.status) == ("sms", "transactional", 2, MessageStatus.PENDING)
    assert (message.not_before, message.expires_at) == (NOW, NOW + dt.timedelta(hours=48))
    assert message.context == {"order": 12, "coupon_code": "HELLO10"}


def test_a_tag_step_creates_the_tag_when_needed():
    flow = flow_with([{"id": "s1", "kind": "tag", "tag": "new-tag"}])
    enrolment = enrol(flow)
    engine.tick(NOW)
    assert list(enrolment.customer.tags.values_list("name", flat=True)) == ["new-tag"]


def test_a_task_step_creates_one_task_even_when_run_twice(admin_user):
    flow = flow_with([{"id": "s1", "kind": "task", "title": "Call this VIP", "assignee": admin_user.pk}])
    enrolment = enrol(flow)
    engine.tick(NOW)
    Enrolment.objects.filter(pk=enrolment.pk).update(status="active", step="s1", next_run_at=NOW)
    engine.tick(NOW)
    task = Task.objects.get()
    assert (task.customer_id, task.title, task.assignee, task.enrolment_id) == (enrolment.customer_id, "Call this VIP", admin_user, enrolment.pk)


def test_each_task_step_of_a_flow_creates_its_own_task():
    flow = flow_with([{"id": "s1", "kind": "task", "title": "Call"}, {"id": "s2", "kind": "wait", "days": 2},
                      {"id": "s3", "kind": "task", "title": "Call again", "due_days": 0}])
    enrolment = enrol(flow)
    engine.tick(NOW)
    engine.tick(NOW + dt.timedelta(days=2))
    assert list(Task.objects.order_by("id").values_list("enrolment", "step", "title", "due_at")) == [
        (enrolment.pk, "s1", "Call", NOW + dt.timedelta(days=1)), (enrolment.pk, "s3", "Call again", NOW + dt.timedelta(days=2))]


def test_a_webhook_step_queues_a_webhook_message_with_url_and_payload():
    flow = flow_with([{"id": "s1", "kind": "webhook", "url": "https://erp.example.com/hook", "payload": {"list": "vip"}}])
    enrolment = enrol(flow, context={"order": 5})
    engine.tick(NOW)
    message = Message.objects.get()
    assert (message.channel, message.key, message.template) == (Channel.WEBHOOK, f"flow:{flow.pk}:e:{enrolment.pk}:s:s1", None)
    assert message.context == {"url": "https://erp.example.com/hook", "payload": {
        "flow": flow.pk, "step": "s1", "enrolment": enrolment.pk, "customer": enrolment.customer_id,
        "occurrence": enrolment.occurrence, "context": {"order": 5}, "list": "vip"}}


def test_a_points_step_is_skipped_until_loyalty_exists_and_the_flow_goes_on():
    flow = flow_with([{"id": "s1", "kind": "points", "points": 100}, {"id": "s2", "kind": "tag", "tag": "after"}])
    enrolment = enrol(flow)
    engine.tick(NOW)
    enrolment.refresh_from_db()
    assert runs(enrolment) == [("s1", StepOutcome.SKIPPED, "loyalty not installed"), ("s2", StepOutcome.DONE, "after")]
    assert enrolment.status == EnrolmentStatus.COMPLETED


def test_an_order_after_entry_ends_the_enrolment_at_its_goal_but_the_triggering_order_does_not():
    flow = flow_with([{"id": "s1", "kind": "wait", "days": 1}, {"id": "s2", "kind": "tag", "tag": "reminded"}], goal_order=True)
    buyer, trigger_only = make_customer("Buyer"), make_customer("Trigger only")
    first = make_order(trigger_only, ordered_at=NOW + dt.timedelta(minutes=1))
    goal = enrol(flow, buyer)
    waiting = enrol(flow, trigger_only, context={"order": first.pk})
    engine.tick(NOW)
    make_order(buyer, ordered_at=NOW + dt.timedelta(hours=3))
    engine.tick(NOW + dt.timedelta(days=1))
    goal.refresh_from_db()
    waiting.refresh_from_db()
    assert (goal.status, goal.finished_at, goal.customer.tags.count()) == (EnrolmentStatus.GOAL, NOW + dt.timedelta(days=1), 0)
    assert runs(goal)[-1] == ("s2", StepOutcome.SKIPPED, "goal reached: an order was placed")
    assert (waiting.status, list(waiting.customer.tags.values_list("name", flat=True))) == (EnrolmentStatus.COMPLETED, ["reminded"])


def test_a_failing_step_retries_with_back_off_then_fails_and_retry_revives_it():
    template = make_template()
    flow = flow_with([{"id": "s1", "kind": "send", "template": template.pk}])
    enrolment, template_id = enrol(flow), template.pk
    template.delete()
    at, delays = NOW, []
    for _ in range(5):
        engine.tick(at)
        enrolment.refresh_from_db()
        if enrolment.next_run_at:
            delays.append(enrolment.next_run_at - at)
            at = enrolment.next_run_at
    assert delays == [dt.timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert (enrolment.status, enrolment.attempts, enrolment.step) == (EnrolmentStatus.FAILED, 5, "s1")
    assert enrolment.last_error == f"StepError: template {template_id} no longer exists"
    assert [r[1] for r in runs(enrolment)] == ["retry"] * 4 + ["failed"]

    replacement = make_template(name="Replacement")
    flow.steps = [{"id": "s1", "kind": "send", "template": replacement.pk}]
    flow.save()
    assert engine.retry([enrolment.pk], now=at) == 1
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.attempts, enrolment.last_error, enrolment.next_run_at) == ("active", 0, "", at)
    engine.tick(at)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.COMPLETED
    assert Message.objects.get().template == replacement


def test_a_step_removed_from_the_flow_is_an_error_not_a_crash():
    flow = flow_with([{"id": "s1", "kind": "tag", "tag": "x"}])
    enrolment = enrol(flow, step="gone")
    figures = engine.tick(NOW)
    enrolment.refresh_from_db()
    assert (figures["retry"], enrolment.attempts) == (1, 1)
    assert enrolment.last_error == "StepError: step gone is no longer in the flow"
