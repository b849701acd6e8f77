"""save_flow: what the editor and the API both call to change a flow."""

import datetime as dt

import pytest

from guanxi.campaigns.choices import EnrolmentStatus
from guanxi.campaigns.flows.definition import InvalidFlow
from guanxi.campaigns.flows.editing import save_flow, waiting_on
from guanxi.campaigns.models import Enrolment, Flow
from guanxi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db
TAG = {"id": "s1", "kind": "tag", "tag": "x"}
WAIT = {"id": "s2", "kind": "wait", "days": 1}


def enrol(flow, step, status=EnrolmentStatus.ACTIVE):
    return Enrolment.objects.create(flow=flow, customer=make_customer(), occurrence=f"t:{Enrolment.objects.count()}",
                                    step=step, status=status, entered_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))


def test_a_step_enrolments_wait_on_cannot_be_removed_and_nothing_is_saved():
    flow = save_flow(Flow(trigger="customer_created"), name=" Welcome ", steps=[TAG, WAIT])
    assert flow.name == "Welcome"
    for status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.ACTIVE, EnrolmentStatus.FAILED, EnrolmentStatus.COMPLETED):
        enrol(flow, "s2", status)
    assert waiting_on(flow, {"s1", "s2"}) == {"s2": 3}  # completed ones do not count
    with pytest.raises(InvalidFlow) as caught:
        save_flow(flow, steps=[TAG])
    assert caught.value.messages == ["steps: step s2 cannot be removed: 3 enrolments are on it"]
    assert Flow.objects.get(pk=flow.pk).steps == [TAG, WAIT]


def test_a_name_taken_by_a_save_that_raced_the_check_is_a_problem_not_a_crash(monkeypatch):
    save_flow(Flow(trigger="customer_created"), name="Welcome", steps=[TAG])
    # The check passes (as when another save lands between the check and ours); the constraint catches it.
    monkeypatch.setattr("guanxi.campaigns.flows.editing.Flow.objects", Flow.objects.exclude(name="Welcome"))
    with pytest.raises(InvalidFlow) as caught:
        save_flow(Flow(trigger="customer_created"), name="Welcome", steps=[TAG])
    assert caught.value.messages == ["name: a flow with this name already exists"]
