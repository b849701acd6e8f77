"""Campaign pages: create and send a campaign, its report, templates with a
preview, the error queue, the over-marketing report, permissions and query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.choices import Role
from guanxi.campaigns.choices import (
    CampaignStatus,
    Channel,
    EventKind,
    MessageStatus,
    Reason,
)
from guanxi.campaigns.models import (
    AttributedOrder,
    Campaign,
    Message,
    MessageEvent,
    MessageTemplate,
    TemplateContent,
)
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.tests.factories import make_customer
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment, SegmentMembership

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def marketer(client, make_user):
    client.force_login(make_user("mei", Role.MARKETING))
    return client


@pytest.fixture
def shop():
    """Three customers on a static list and two templates."""
    people = [make_customer("Li Na", email="li@example.com", locale="zh-hans"),
              make_customer("Amélie Roux", email="amelie@example.com"), make_customer("Sam Park")]
    segment = Segment.objects.create(name="VIP list", kind=SegmentKind.STATIC)
    SegmentMembership.objects.bulk_create(SegmentMembership(segment=segment, customer=c, entered_at=timezone.now())
                                          for c in people)
    spring = template("Spring sale", subject="Hello {{ customer.name }}")
    return {"people": people, "segment": segment, "spring": spring, "autumn": template("Autumn sale")}


def template(name, subject="Hi", html="<p>Hi {{ customer.name }}</p>", text="Hi {{ first_name }}"):
    made = MessageTemplate.objects.create(name=name, channel=Channel.EMAIL)
    TemplateContent.objects.create(template=made, language="en", subject=subject, html=html, text=text)
    return made


def campaign_data(shop, **changes):
    return {"name": "Spring", "segment": shop["segment"].pk, "template": shop["spring"].pk, "template_b": "",
            "test_share": "20", "when": "now", "send_at": "", "priority": "5", "relevant_for_hours": "72", **changes}


def sent_campaign(shop, name="Spring"):
    campaign = Campaign.objects.create(name=name, segment=shop["segment"], template=shop["spring"],
                                       status=CampaignStatus.SENDING)
    now = timezone.now()
    for n, person in enumerate(shop["people"]):
        Message.objects.create(key=f"{campaign.origin}:c:{person.pk}", customer=person, channel=Channel.EMAIL,
                               campaign=campaign, not_before=now, status=MessageStatus.SENT, sent_at=now,
                               opened_at=now if n < 2 else None, clicked_at=now if n < 1 else None)
    return campaign


# ---------------------------------------------------------------- campaigns

def test_a_campaign_without_a_send_time_is_a_draft_sent_from_its_page(marketer, shop):
    response = marketer.post(reverse("campaigns:new"), campaign_data(shop))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert (campaign.status, campaign.send_at, campaign.created_by.username) == (CampaignStatus.DRAFT, None, "mei")
    page = marketer.get(campaign.get_absolute_url()).content.decode()
    assert "Send now" in page and 'data-figure="queued">0<' in page
    sent = marketer.post(reverse("campaigns:send", args=[campaign.pk]), follow=True)
    assert "3 messages queued." in sent.content.decode()
    assert Message.objects.filter(campaign=campaign, status=MessageStatus.PENDING).count() == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    # Sent twice (a double click): a message, not a crash, and nothing more queued.
    again = marketer.post(reverse("campaigns:send", args=[campaign.pk]), follow=True)
    assert again.status_code == 200
    assert "This campaign cannot be sent now: it is Sending." in again.content.decode()
    assert Message.objects.count() == 3


def test_a_campaign_with_a_future_send_time_is_scheduled(marketer, shop):
    later = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    marketer.post(reverse("campaigns:new"), campaign_data(shop, when="later", send_at=later, in_customer_time_zone="on"))
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.in_customer_time_zone
    assert campaign.send_at > timezone.now()


@pytest.mark.parametrize(("changes", "field", "error"), [
    ({"template_b": "same"}, "template_b", "Template B must differ from template A."),
    ({"template_b": "other", "test_share": "95"}, "test_share", "The test share must be between 1 and 90%."),
    ({"test_share": "0"}, "test_share", "The test share must be between 1 and 90%."),
    ({"when": "later", "send_at": "2020-01-01T10:00"}, "send_at", "The send time is in the past."),
    ({"when": "later", "send_at": ""}, "send_at", "Give the date and time to send at."),
    ({"when": "later", "send_at": "tomorrow"}, "send_at", "Enter a valid date/time."),
    ({"priority": "12"}, "priority", "Choose a priority from 1 (most important) to 9."),
    ({"segment": "999999"}, "segment", "Select a valid choice."),
])
def test_bad_input_is_explained_next_to_its_field(marketer, shop, changes, field, error):
    ids = {"same": shop["spring"].pk, "other": shop["autumn"].pk}
    changes = {k: ids.get(v, v) for k, v in changes.items()}
    response = marketer.post(reverse("campaigns:new"), campaign_data(shop, **changes))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error] or error in response.context["form"].errors[field][0]
    assert error.replace("'", "&#x27;") in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_detail_page_reports_figures_reasons_variants_and_events(marketer, shop):
    campaign = sent_campaign(shop)
    campaign.template_b, campaign.winner = shop["autumn"], "A"
    campaign.save()
    Message.objects.filter(customer=shop["people"][0]).update(variant="A")
    Message.objects.filter(customer=shop["people"][1]).update(variant="B")
    third = Message.objects.get(customer=shop["people"][2])
    Message.objects.filter(pk=third.pk).update(status=MessageStatus.SUPPRESSED, reason=Reason.NO_CONSENT, variant="W")
    first = Message.objects.get(customer=shop["people"][0])
    MessageEvent.objects.create(message=first, kind=EventKind.UNSUBSCRIBED, at=timezone.now())
    AttributedOrder.objects.create(order=make_order(shop["people"][0], total="120.00"), message=first, touch=EventKind.CLICKED)
    html = marketer.get(campaign.get_absolute_url()).content.decode()
    for figure, value in [("sent", "2"), ("opened", "2"), ("clicked", "1"), ("unsubscribed", "1"), ("orders", "1"),
                          ("revenue", "120.00"), ("revenue_per_recipient", "60.00")]:
        assert f'data-figure="{figure}">{value}<' in html, figure
    assert "No marketing consent for this channel" in html
    assert 'data-variant="A"' in html and 'data-variant="B"' in html and "Winner: A" in html
    assert html.count("<rect ") == 3 and "Unsubscribed</td>" in html
    assert "Send now" not in html  # it is sending already


def test_the_list_shows_each_campaigns_figures_in_a_fixed_number_of_queries(marketer, shop, django_assert_num_queries):
    for n in range(3):
        sent_campaign(shop, name=f"Spring {n}")
    # session, user, 2 for permissions, the role (header); the campaigns with their figures
    with django_assert_num_queries(6):
        response = marketer.get(reverse("campaigns:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-figure="sent">3<') == 3 and html.count('data-figure="clicked">1<') == 3
    assert "Spring 2" in html and "VIP list" in html


# ---------------------------------------------------------------- templates

def test_a_template_is_saved_with_english_and_chinese_content(marketer, shop):
    response = marketer.post(reverse("campaigns:template_new"), {
        "name": "Welcome", "channel": "email", "purpose": "marketing", "default_language": "en",
        "en-subject": "Welcome {{ first_name }}", "en-html": "<p>Hello</p>", "en-text": "Hello",
        "zh-hans-subject": "欢迎", "zh-hans-html": "<p>你好</p>", "zh-hans-text": "你好"})
    saved = MessageTemplate.objects.get(name="Welcome")
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:template_edit", args=[saved.pk])
    assert dict(saved.contents.values_list("language", "subject")) == {"en": "Welcome {{ first_name }}", "zh-hans": "欢迎"}
    # Emptying a language removes it.
    marketer.post(reverse("campaigns:template_edit", args=[saved.pk]), {
        "name": "Welcome", "channel": "email", "purpose": "marketing", "default_language": "en",
        "en-subject": "Welcome", "en-html": "<p>Hello</p>", "en-text": "Hello"})
    assert list(saved.contents.values_list("language", flat=True)) == ["en"]


def test_a_template_needs_words_in_one_language_and_a_new_name(marketer, shop):
    response = marketer.post(reverse("campaigns:template_new"), {
        "name": "spring SALE", "channel": "email", "purpose": "marketing", "default_language": "en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "A template with this name exists already." in html
    response = marketer.post(reverse("campaigns:template_new"), {
        "name": "Empty", "channel": "email", "purpose": "marketing", "default_language": "en"})
    assert "Write the message in at least one language." in response.content.decode()
    assert MessageTemplate.objects.count() == 2


def test_the_template_list_names_languages_and_use(marketer, shop, django_assert_num_queries):
    with django_assert_num_queries(6):
        html = marketer.get(reverse("campaigns:templates")).content.decode()
    assert "Spring sale" in html and "Autumn sale" in html


def test_the_preview_renders_the_template_for_a_customer_found_by_email_name_or_id(marketer, shop):
    url = reverse("campaigns:template_preview", args=[shop["spring"].pk])
    by_email = marketer.get(url, {"customer": "LI@example.com"}, **HTMX).content.decode()
    # The rendered HTML is escaped into the sandboxed frame's srcdoc, never into the page.
    assert "Hello Li Na" in by_email and '<iframe sandbox title="HTML body" srcdoc="&lt;p&gt;Hi Li Na&lt;/p&gt;' in by_email
    assert "<p>Hi Li Na" not in by_email
    by_name = marketer.get(url, {"customer": "amélie"}, **HTMX).content.decode()
    assert "Hello Amélie Roux" in by_name
    by_id = marketer.get(url, {"customer": str(shop["people"][2].pk)}, **HTMX).content.decode()
    assert "Hello Sam" in by_id
    nobody = marketer.get(url, {"customer": "nobody"}, **HTMX).content.decode()
    assert "No customer matches “nobody”." in nobody


def test_a_template_that_cannot_render_is_explained_in_the_preview(marketer, shop):
    broken = template("Broken", subject="Hi {% if %}")
    html = marketer.get(reverse("campaigns:template_preview", args=[broken.pk]), {"customer": "Li"}, **HTMX).content.decode()
    assert 'class="callout bad"' in html and "Broken" in html and "cannot be rendered" in html


# ---------------------------------------------------------------- error queue and fatigue

def test_the_error_queue_lists_failed_and_in_doubt_messages_and_retries_the_chosen(marketer, shop, django_assert_num_queries):
    campaign = sent_campaign(shop)
    failed, in_doubt, fine = Message.objects.order_by("pk")
    Message.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED, reason=Reason.PERMANENT_ERROR,
                                                last_error="550 mailbox unknown")
    Message.objects.filter(pk=in_doubt.pk).update(status=MessageStatus.IN_DOUBT, last_error="stopped mid-send")
    # session, user, 2 for permissions, the role (header); the messages, their count
    with django_assert_num_queries(7):
        html = marketer.get(reverse("campaigns:errors")).content.decode()
    assert 'data-figure="errors">2<' in html and "550 mailbox unknown" in html and campaign.name in html
    assert html.count('name="message"') == 2
    response = marketer.post(reverse("campaigns:retry"), {"message": [failed.pk, fine.pk]}, follow=True)
    assert "1 message goes back to the queue." in response.content.decode()
    assert dict(Message.objects.values_list("pk", "status")) == {
        failed.pk: MessageStatus.PENDING, in_doubt.pk: MessageStatus.IN_DOUBT, fine.pk: MessageStatus.SENT}
    nothing = marketer.post(reverse("campaigns:retry"), {}, follow=True)
    assert "Choose the messages to retry." in nothing.content.decode()


def test_the_fatigue_report_counts_messages_per_customer_per_week_and_unsubscribes(marketer, shop):
    campaign = sent_campaign(shop)
    li, amelie, _sam = shop["people"]
    now = timezone.now()
    for n in range(2):  # Li gets three this week, Amélie two
        for person in (li, amelie):
            Message.objects.create(key=f"flow:{n}:{person.pk}", customer=person, channel=Channel.EMAIL,
                                   not_before=now, status=MessageStatus.SENT, sent_at=now)
    MessageEvent.objects.create(message=Message.objects.get(campaign=campaign, customer=li),
                                kind=EventKind.UNSUBSCRIBED, at=now)
    response = marketer.get(reverse("campaigns:fatigue"))
    weeks = response.context["weeks"]
    assert len(weeks) == 8
    assert [(w["none"], w["one"], w["two"], w["more"]) for w in weeks[-1:]] == [(0, 1, 0, 2)]
    assert all((w["none"], w["one"], w["two"], w["more"]) == (3, 0, 0, 0) for w in weeks[:-1])
    rows = response.context["campaigns"]
    assert [(c.name, c.sent, c.unsubscribed) for c in rows] == [("Spring", 3, 1)]
    assert "33.33%" in response.content.decode()


# ---------------------------------------------------------------- permissions

@pytest.mark.parametrize(("role", "url_name", "method", "expected"), [
    (Role.SERVICE, "campaigns:list", "get", 200),
    (Role.SERVICE, "campaigns:new", "get", 403),
    (Role.SERVICE, "campaigns:send", "post", 403),
    (Role.SERVICE, "campaigns:templates", "get", 403),
    (Role.SERVICE, "campaigns:errors", "get", 403),
    (Role.ANALYST, "campaigns:detail", "get", 200),
    (Role.ANALYST, "campaigns:fatigue", "get", 200),
    (Role.ANALYST, "campaigns:errors", "get", 200),
    (Role.ANALYST, "campaigns:new", "get", 403),
    (Role.ANALYST, "campaigns:send", "post", 403),
    (Role.ANALYST, "campaigns:template_new", "get", 403),
    (Role.ANALYST, "campaigns:template_edit", "get", 403),
    (Role.ANALYST, "campaigns:retry", "post", 403),
    (Role.MARKETING, "campaigns:send", "post", 302),
    (Role.MARKETING, "campaigns:template_edit", "get", 200),
])
def test_each_page_checks_the_role(client, make_user, shop, role, url_name, method, expected):
    campaign = Campaign.objects.create(name="Spring", segment=shop["segment"], template=shop["spring"])
    client.force_login(make_user("u", role))
    args = {"campaigns:detail": [campaign.pk], "campaigns:send": [campaign.pk],
            "campaigns:template_edit": [shop["spring"].pk]}.get(url_name, [])
    assert getattr(client, method)(reverse(url_name, args=args)).status_code == expected


def test_the_navigation_links_campaigns_for_those_who_may_see_them(client, make_user, shop):
    client.force_login(make_user("mei", Role.MARKETING))
    assert 'href="/campaigns/"' in client.get(reverse("segments:list")).content.decode()
