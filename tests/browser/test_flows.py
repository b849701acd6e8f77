"""A marketer builds a three-step flow in the visual editor and activates it: wait a
day, send a template, add a tag. A save with a step left half-done is refused and
the problem is shown on that step."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.campaigns.choices import EnrolmentStatus, FlowStatus
from guanxi.campaigns.models import Enrolment, Flow
from guanxi.campaigns.tests.factories import make_template
from guanxi.customers.tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password"


@pytest.fixture
def welcome(transactional_db):
    create_user("mei", PASSWORD, Role.MARKETING)
    return make_template("Welcome email")


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/login/", timeout=60_000)  # the first request loads the URL conf
    page.get_by_label("Username").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def settled(page):
    """Wait until no editor request is under way (each button redraws the editor)."""
    expect(page.locator(".htmx-request")).to_have_count(0)


def add_step(page, kind, step_id, lane="steps"):
    settled(page)
    page.locator(f'select[name="kind@{lane}"]').select_option(kind)
    page.locator(f'[data-add="{lane}"]').click()
    expect(page.locator(f"#step-{step_id}")).to_be_visible()
    settled(page)


def test_a_marketer_builds_a_three_step_flow_in_the_editor_and_activates_it(live_server, page, screenshot, welcome):
    sign_in(page, live_server)
    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.get_by_role("link", name="Flows", exact=True).click()
    page.get_by_role("link", name="New flow").click()
    page.get_by_label("Name", exact=True).fill("Welcome journey")
    page.get_by_label("Trigger", exact=True).select_option("customer_created")
    settled(page)  # the trigger's settings are drawn again
    page.get_by_role("button", name="Create and add steps").click()
    expect(page.get_by_text("Flow Welcome journey saved. Now add its steps.")).to_be_visible()
    flow = Flow.objects.get()

    add_step(page, "wait", "s1")
    page.locator('input[name="s1.days"]').fill("1")
    add_step(page, "send", "s2")
    expect(page.locator("#step-s1 .flow-step-kind")).to_have_text("Wait")
    expect(page.locator('input[name="s1.days"]')).to_have_value("1")  # kept through the redraw

    # Saving with the message's template not chosen: refused, and said on that step.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Nothing was saved: fix the problems marked below.")).to_be_visible()
    expect(page.locator('#step-s2 [data-problem="template"]')).to_have_text("choose a template")
    expect(page.locator("#flow-problems")).to_contain_text("Step 2 · Send a message: choose a template")
    flow.refresh_from_db()
    assert flow.steps == []
    screenshot("40-flow-editor-problem")

    page.locator('select[name="s2.template"]').select_option(label="Welcome email (E-mail)")
    add_step(page, "tag", "s3")
    page.locator('input[name="s3.tag"]').fill("welcomed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Flow saved.")).to_be_visible()
    expect(page.locator("#flow-problems")).to_have_count(0)

    page.get_by_role("button", name="Save and activate").click()
    expect(page.get_by_text("Flow activated: its trigger enrols customers from now on.")).to_be_visible()
    expect(page.locator("#flow-status")).to_have_text("Active")
    screenshot("41-flow-editor-active")
    flow.refresh_from_db()
    assert flow.status == FlowStatus.ACTIVE
    assert flow.steps == [{"id": "s1", "kind": "wait", "days": 1},
                          {"id": "s2", "kind": "send", "template": welcome.pk, "priority": 5, "relevant_hours": 48},
                          {"id": "s3", "kind": "tag", "tag": "welcomed"}]

    page.get_by_role("link", name="Report").click()
    expect(page.locator('#flow-steps tr[data-step="s3"]')).to_contain_text("welcomed")
    screenshot("42-flow-report")


def test_steps_go_into_a_branch_and_move(live_server, page, screenshot, welcome):
    sign_in(page, live_server)
    flow = Flow.objects.create(name="Nudge", trigger="customer_created")
    page.goto(f"{live_server.url}/campaigns/flows/{flow.pk}/edit/")
    add_step(page, "branch", "s1")
    add_step(page, "tag", "s2", lane="s1.yes")
    add_step(page, "wait", "s3")
    expect(page.locator('[data-lane="s1.yes"] #step-s2')).to_be_visible()
    page.get_by_role("button", name="Move step 2 up").click()
    expect(page.locator('[data-lane="steps"] > li.flow-step').first).to_have_attribute("id", "step-s3")
    settled(page)
    page.locator('[data-add-rule="s1~r"]').click()
    expect(page.locator('select[name="s1~r.0.field"]')).to_be_visible()
    settled(page)
    page.locator('select[name="s1~r.0.field"]').select_option("order_count")
    settled(page)  # the field redraws its rule with number operators
    page.locator('select[name="s1~r.0.op"]').select_option("eq")
    page.locator('input[name="s1~r.0.value"]').fill("0")
    page.locator('input[name="s2.tag"]').fill("new")
    screenshot("43-flow-editor-branch")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Flow saved.")).to_be_visible()
    flow.refresh_from_db()
    assert [s["id"] for s in flow.steps] == ["s3", "s1"]
    assert flow.steps[1]["condition"] == {"match": "all", "rules": [{"field": "order_count", "op": "eq", "value": 0}]}
    assert flow.steps[1]["yes"] == [{"id": "s2", "kind": "tag", "tag": "new"}]


def test_quick_clicks_on_add_each_add_a_step(live_server, page, welcome):
    sign_in(page, live_server)
    flow = Flow.objects.create(name="Quick", trigger="customer_created")
    page.goto(f"{live_server.url}/campaigns/flows/{flow.pk}/edit/")
    for _n in range(3):  # no waiting in between: the requests queue and each redraw starts from the last
        page.locator('[data-add="steps"]').click()
    settled(page)
    expect(page.locator('[data-lane="steps"] > li.flow-step')).to_have_count(3)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Flow saved.")).to_be_visible()
    flow.refresh_from_db()
    assert flow.steps == [{"id": f"s{n}", "kind": "wait", "days": 1} for n in (1, 2, 3)]


def test_a_failed_enrolment_is_retried_from_the_error_queue(live_server, page, welcome):
    flow = Flow.objects.create(name="Hooks", trigger="customer_created", status=FlowStatus.ACTIVE,
                               steps=[{"id": "s1", "kind": "webhook", "url": "https://example.com/hook"}])
    failed = Enrolment.objects.create(flow=flow, customer=make_customer("Li Na"), occurrence="customer:1", step="s1",
                                      status=EnrolmentStatus.FAILED, last_error="ConnectionError: refused",
                                      entered_at=timezone.now(), finished_at=timezone.now())
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/campaigns/errors/")
    errors = page.locator("section#flow-errors")  # loaded into the page after it
    expect(errors).to_contain_text("ConnectionError: refused")
    errors.get_by_label("Choose Li Na at s1").check()
    errors.get_by_role("button", name="Retry selected enrolments").click()
    expect(page.get_by_text("1 enrolment goes on from the step that failed.")).to_be_visible()
    expect(page.locator("section#flow-errors")).to_contain_text("No failed enrolments.")
    failed.refresh_from_db()
    assert failed.status == EnrolmentStatus.ACTIVE
