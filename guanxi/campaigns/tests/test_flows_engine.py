import datetime as dt
import itertools

import pytest

from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus
from guanxi.campaigns.flows import engine
from guanxi.campaigns.flows.definition import InvalidFlow, Plan
from guanxi.campaigns.models import Enrolment, Flow, Message
from guanxi.campaigns.tests.factories import make_template
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
TAG_THEN_WAIT = [{"id": "s1", "kind": "tag", "tag": "seen"}, {"id": "s2", "kind": "wait", "days": 2},
                 {"id": "s3", "kind": "tag", "tag": "later"}]
_names = itertools.count(1)


def flow_with(steps=TAG_THEN_WAIT, trigger="customer_created"):
    flow = Flow.objects.create(name=f"Flow {next(_names)}", trigger=trigger, steps=steps)
    return engine.activate(flow, now=NOW - dt.timedelta(days=1))


def test_a_tick_enrols_and_advances_in_the_same_run_and_reports_its_figures():
    flow = flow_with()
    alice = make_customer("Alice")
    figures = engine.tick(NOW)
    assert {k: figures[k] for k in ("flows", "enrolled", "advanced", "completed", "messages")} == {
        "flows": 1, "enrolled": 1, "advanced": 1, "completed": 0, "messages": 0}
    enrolment = Enrolment.objects.get(flow=flow)
    assert (enrolment.customer, enrolment.step, enrolment.next_run_at) == (alice, "s3", NOW + dt.timedelta(days=2))
    assert engine.tick(NOW + dt.timedelta(days=2))["completed"] == 1


def test_activation_refuses_an_invalid_flow_and_leaves_it_a_draft():
    flow = Flow.objects.create(name="Broken", trigger="order_placed", steps=[{"id": "s1", "kind": "send"}])
    with pytest.raises(InvalidFlow) as caught:
        engine.activate(flow)
    assert caught.value.messages == ["steps.0.template: choose a template"]
    flow.refresh_from_db()
    assert flow.status == FlowStatus.DRAFT


def test_activation_starts_the_cursor_at_the_newest_order():
    make_order(make_customer(), ordered_at=NOW)
    order = make_order(make_customer(), ordered_at=NOW)
    flow = flow_with(trigger="order_placed")
    assert flow.cursor == {"order": order.pk}
    assert (flow.status, flow.activated_at) == (FlowStatus.ACTIVE, NOW - dt.timedelta(days=1))


def test_a_paused_flow_keeps_its_enrolments_where_they_are_until_activated_again():
    flow = flow_with()
    make_customer("Alice")
    engine.tick(NOW)
    engine.pause(flow)
    later = NOW + dt.timedelta(days=3)
    assert engine.tick(later)["advanced"] == 0
    enrolment = Enrolment.objects.get(flow=flow)
    assert (enrolment.step, enrolment.status) == ("s3", EnrolmentStatus.ACTIVE)
    engine.activate(flow, now=later)
    assert engine.tick(later)["completed"] == 1


def test_an_enrolment_another_tick_already_advanced_is_skipped():
    flow = flow_with()
    enrolment = Enrolment.objects.create(flow=flow, customer=make_customer(), occurrence="x", step="s1",
                                         next_run_at=NOW, entered_at=NOW)
    flows = {flow.pk: flow}
    Enrolment.objects.filter(pk=enrolment.pk).update(step="s3", next_run_at=NOW + dt.timedelta(days=2))  # the other tick
    figures = engine._advance_batch([enrolment.pk], flows, {flow.pk: Plan.of(flow.steps)}, NOW)
    assert figures["advanced"] == 0
    assert not enrolment.customer.tags.exists()


def test_a_tick_with_nothing_due_reads_no_waiting_enrolment(django_assert_num_queries):
    flow = flow_with()
    for _ in range(5):
        make_customer()
    engine.tick(NOW)
    # flows, the trigger's new-customer read, the due ids: nothing per enrolment.
    with django_assert_num_queries(3):
        figures = engine.tick(NOW + dt.timedelta(hours=1))
    assert (figures["advanced"], Enrolment.objects.filter(flow=flow).count()) == (0, 5)


def test_a_batch_of_due_enrolments_is_written_with_a_fixed_number_of_queries(django_assert_max_num_queries):
    template = make_template()
    flow = flow_with([{"id": "s1", "kind": "send", "template": template.pk}, {"id": "s2", "kind": "tag", "tag": "sent"}])
    customers = [make_customer() for _ in range(30)]
    Enrolment.objects.bulk_create([Enrolment(flow=flow, customer=c, occurrence="x", step="s1", next_run_at=NOW, entered_at=NOW)
                                   for c in customers])
    with django_assert_max_num_queries(20):
        figures = engine.tick(NOW)
    assert (figures["advanced"], figures["messages"], figures["completed"]) == (30, 30, 30)
    assert Message.objects.filter(flow=flow).count() == 30


def test_retry_only_revives_failed_enrolments():
    flow = flow_with()
    failed = Enrolment.objects.create(flow=flow, customer=make_customer(), occurrence="a", step="s1", entered_at=NOW,
                                      status=EnrolmentStatus.FAILED, attempts=5, last_error="boom", finished_at=NOW)
    done = Enrolment.objects.create(flow=flow, customer=make_customer(), occurrence="b", step="", entered_at=NOW,
                                    status=EnrolmentStatus.COMPLETED, finished_at=NOW)
    assert engine.retry([failed.pk, done.pk], now=NOW) == 1
    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, failed.next_run_at, failed.finished_at, done.status) == ("active", NOW, None, "completed")


def test_activating_an_active_flow_again_keeps_where_its_trigger_had_read_up_to():
    flow = flow_with(trigger="order_placed")
    make_order(make_customer(), ordered_at=NOW)  # not yet enrolled: no tick since
    again = engine.activate(Flow.objects.get(pk=flow.pk), now=NOW)
    assert (again.cursor, again.activated_at) == (flow.cursor, NOW - dt.timedelta(days=1))
    assert engine.tick(NOW)["enrolled"] == 1
