"""A marketer writes a template in English and Chinese, previews it as a customer
reads it, sends a campaign to a static list and sees it queued with its figures."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.campaigns.models import Campaign, Message, MessageTemplate
from guanxi.customers.tests.factories import make_customer
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment, SegmentMembership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password"


@pytest.fixture
def shop(transactional_db):
    create_user("mei", PASSWORD, Role.MARKETING)
    people = [make_customer("Li Na", email="li@example.com", locale="zh-hans"),
              make_customer("Sam Park", email="sam@example.com")]
    segment = Segment.objects.create(name="Tea club", kind=SegmentKind.STATIC)
    SegmentMembership.objects.bulk_create(SegmentMembership(segment=segment, customer=c, entered_at=timezone.now())
                                          for c in people)
    return segment


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/login/", timeout=60_000)  # the first request loads the URL conf
    page.get_by_label("Username").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def write_template(page):
    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name", exact=True).fill("Spring tea")
    english, chinese = page.locator('[data-language="en"]'), page.locator('[data-language="zh-hans"]')
    english.get_by_label("Subject").fill("New teas for {{ customer.name }}")
    english.get_by_label("HTML body").fill("<h1>Spring teas</h1><p>Dear {{ customer.name }}, they are here.</p>")
    english.get_by_label("Text body").fill("Dear {{ customer.name }}, the spring teas are here.")
    chinese.get_by_label("Subject").fill("{{ customer.name }}，春茶到了")
    chinese.get_by_label("HTML body").fill("<h1>春茶</h1><p>{{ customer.name }}，您好！</p>")
    chinese.get_by_label("Text body").fill("{{ customer.name }}，春茶到了。")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("Template Spring tea saved.")).to_be_visible()


def test_a_marketer_writes_previews_and_sends_a_campaign(live_server, page, screenshot, shop):
    sign_in(page, live_server)
    write_template(page)
    assert set(MessageTemplate.objects.get().contents.values_list("language", flat=True)) == {"en", "zh-hans"}

    # Li reads Chinese: the preview shows her the Chinese content.
    page.get_by_label("Customer", exact=True).fill("li@example.com")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("[data-preview-subject]")).to_have_text("Li Na，春茶到了")
    expect(page.frame_locator("#preview iframe").locator("h1")).to_have_text("春茶")
    # ... and in English when asked.
    page.locator("#preview-panel").get_by_label("Language", exact=True).select_option("en")
    page.get_by_role("button", name="Preview").click()
    expect(preview.locator("[data-preview-subject]")).to_have_text("New teas for Li Na")
    expect(preview.locator("[data-preview-text]")).to_contain_text("Dear Li Na, the spring teas are here.")
    screenshot("40-template-preview")

    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name", exact=True).fill("Spring tea 2026")
    page.get_by_label("Segment").select_option(label="Tea club")
    page.get_by_label("Template", exact=True).select_option(label="Spring tea")
    page.get_by_role("button", name="Save campaign").click()
    expect(page.get_by_text("Campaign saved as a draft. Send it when you are ready.")).to_be_visible()
    expect(page.locator("h1 [data-status]")).to_have_text("Draft")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_text("2 messages queued.")).to_be_visible()
    expect(page.locator("h1 [data-status]")).to_have_text("Sending")
    expect(page.locator('[data-figure="queued"]')).to_have_text("2")
    expect(page.locator('[data-figure="sent"]')).to_have_text("0")
    expect(page.locator("#reach-chart rect")).to_have_count(3)
    expect(page.get_by_role("button", name="Send now")).to_have_count(0)
    screenshot("41-campaign-queued")
    assert Message.objects.filter(campaign=Campaign.objects.get()).count() == 2

    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    expect(page.locator("#campaign-table")).to_contain_text("Spring tea 2026")
    expect(page.locator("#campaign-table")).to_contain_text("Sending")
