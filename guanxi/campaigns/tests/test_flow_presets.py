import pytest
from django.template import engines

from guanxi.campaigns.choices import FlowStatus, Trigger
from guanxi.campaigns.flows.definition import clean_flow
from guanxi.campaigns.flows.presets import TEMPLATES, install_presets
from guanxi.campaigns.models import Flow, MessageTemplate, TemplateContent
from guanxi.segments.models import Segment

pytestmark = pytest.mark.django_db


def test_installing_twice_creates_the_same_flows_and_templates_once():
    first = install_presets()
    counts = (Flow.objects.count(), MessageTemplate.objects.count(), TemplateContent.objects.count())
    second = install_presets()
    assert [f.pk for f in first] == [f.pk for f in second]
    assert counts == (Flow.objects.count(), MessageTemplate.objects.count(), TemplateContent.objects.count()) == (
        10, len(TEMPLATES), 2 * len(TEMPLATES))


def test_presets_are_valid_drafts_in_english_and_simplified_chinese():
    flows = install_presets()
    assert {f.status for f in flows} == {FlowStatus.DRAFT}
    for flow in flows:
        clean_flow(flow)  # raises if a preset could not be activated
    for template in MessageTemplate.objects.all():
        assert sorted(template.contents.values_list("language", flat=True)) == ["en", "zh-hans"]
    welcome = MessageTemplate.objects.get(name="Flow: Welcome")
    assert welcome.content_for("zh-hans").subject == "欢迎你，{{ first_name }}！"


def test_every_template_body_is_a_valid_django_template():
    install_presets()
    django_engine = engines["django"]
    for content in TemplateContent.objects.all():
        for source in (content.subject, content.html, content.text):
            django_engine.from_string(source)


def test_only_the_requested_languages_are_installed():
    install_presets(language_codes=("en",))
    assert set(TemplateContent.objects.values_list("language", flat=True)) == {"en"}


def test_win_back_uses_the_at_risk_segment_when_there_is_one():
    segment = Segment.objects.create(name="At risk")
    flow = next(f for f in install_presets() if f.name == "Win-back")
    assert (flow.trigger, flow.trigger_config) == (Trigger.SEGMENT_ENTERED, {"segment": segment.pk})


def test_win_back_falls_back_to_a_churn_branch_without_the_segment():
    flow = next(f for f in install_presets() if f.name == "Win-back")
    assert flow.trigger == Trigger.ORDER_PLACED
    assert flow.steps[1]["condition"]["rules"][0]["field"] == "churn_band"


def test_the_welcome_series_greets_then_nudges_only_customers_without_an_order():
    import datetime as dt

    from guanxi.campaigns.flows import engine
    from guanxi.campaigns.models import Message
    from guanxi.commerce.tests.factories import make_order
    from guanxi.customers.tests.factories import make_customer

    now = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
    welcome = engine.activate(next(f for f in install_presets() if f.name == "Welcome series"), now=now)
    shopper = make_customer("Shopper")
    make_customer("Browser")
    engine.tick(now)
    make_order(shopper, ordered_at=now + dt.timedelta(days=1))
    engine.tick(now + dt.timedelta(days=3))
    sent = sorted(Message.objects.filter(flow=welcome).values_list("customer__full_name", "template__name"))
    assert sent == [("Browser", "Flow: First order nudge"), ("Browser", "Flow: Welcome"), ("Shopper", "Flow: Welcome")]
