"""Rendering a message: language and fallback, personalisation, tracked links with
UTM, the open pixel, unsubscribe links and headers, and named template errors."""

from urllib.parse import parse_qs, urlsplit

import pytest

from guanxi.campaigns import tracking
from guanxi.campaigns.choices import Channel, Purpose
from guanxi.campaigns.exceptions import RenderFailed
from guanxi.campaigns.models import Campaign
from guanxi.campaigns.rendering import preview, render_message, with_utm
from guanxi.campaigns.tests.factories import make_message, make_template
from guanxi.commerce.tests.factories import make_product
from guanxi.customers.tests.factories import make_customer
from guanxi.insights.models import CustomerScore
from guanxi.segments.models import Segment

pytestmark = pytest.mark.django_db
PUBLIC = "https://crm.example.com"

CONTENTS = {
    "en": ("Hello {{ first_name }} & friends",
           ('<html><body><p>Dear {{ customer.name }}, you have {{ points }} points.</p>'
            '<a href="https://shop.example.com/sale?ref=mail&amp;x=1">Shop</a></body></html>'),
           "Dear {{ first_name }} & co, {{ coupon_code }}"),
    "zh-hans": ("{{ first_name }}，您好", "<p>亲爱的{{ customer.name }}</p>", "亲爱的{{ first_name }}"),
}


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "public_url": PUBLIC}


def render(customer, template, **fields):
    return render_message(make_message(customer, template, **fields), "to@example.com")


def test_an_english_customer_gets_the_english_content_personalised():
    mei = make_customer("Mei Lin", first_name="Mei", locale="en")
    out = render(mei, make_template("Sale", contents=CONTENTS), context={"points": 1250, "coupon_code": "SPRING10"})
    assert out.language == "en" and out.to == "to@example.com" and out.channel == Channel.EMAIL
    assert out.subject == "Hello Mei & friends"  # the subject is not HTML: no &amp;
    assert "<p>Dear Mei Lin, you have 1250 points.</p>" in out.html
    assert out.text.startswith("Dear Mei & co, SPRING10\n")


def test_a_chinese_customer_gets_the_chinese_content():
    li = make_customer("李娜", first_name="娜", locale="zh-hans")
    out = render(li, make_template("Sale", contents=CONTENTS))
    assert (out.language, out.subject) == ("zh-hans", "娜，您好")
    assert "<p>亲爱的李娜</p>" in out.html


@pytest.mark.parametrize("locale", ["zh", "zh-Hans", "zh-cn"])
def test_chinese_variants_get_the_chinese_content(locale):
    assert render(make_customer("李娜", locale=locale), make_template("Sale", contents=CONTENTS)).language == "zh-hans"


def test_a_language_without_content_falls_back_to_the_default_language():
    out = render(make_customer("Amélie", first_name="Amélie", locale="fr"), make_template("Sale", contents=CONTENTS))
    assert (out.language, out.subject) == ("en", "Hello Amélie & friends")


def test_without_a_first_name_the_greeting_uses_a_generic_word():
    out = render(make_customer("", locale="en"), make_template("Sale", contents=CONTENTS))
    assert out.subject == "Hello customer & friends"


def test_html_values_are_escaped_but_text_is_not():
    template = make_template("Esc", contents={"en": ("{{ name }}", "<p>{{ name }}</p>", "{{ name }}")})
    out = render(make_customer("Tom"), template, context={"name": "<b>Tom & Jerry</b>"})
    assert "<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p>" in out.html
    assert out.subject == "<b>Tom & Jerry</b>" and out.text.startswith("<b>Tom & Jerry</b>\n")


def test_recommended_products_come_from_the_insights_scores():
    mei = make_customer("Mei Lin")
    products = [make_product(name=f"Tea {n}", price=f"{n}0.00") for n in range(1, 5)]
    CustomerScore.objects.create(customer=mei, as_of="2026-05-01", recommended_products=[p.pk for p in products])
    html = "{% for p in recommended_products %}[{{ p.name }} {{ p.price }}]{% endfor %}"
    out = render(mei, make_template("Recs", contents={"en": ("Hi", html, "")}, purpose=Purpose.TRANSACTIONAL))
    assert out.html.startswith("[Tea 1 10.00][Tea 2 20.00][Tea 3 30.00]<img ")


def test_no_recommendations_render_nothing():
    out = render(make_customer("Mei"), make_template("Recs", contents={
        "en": ("Hi", "{% for p in recommended_products %}x{% empty %}none{% endfor %}", "")}, purpose=Purpose.TRANSACTIONAL))
    assert out.html.startswith("none<img ")


def test_links_go_through_the_click_redirect_with_utm_on_the_destination():
    segment = Segment.objects.create(name="Tea lovers")
    template = make_template("Sale", contents=CONTENTS)
    campaign = Campaign.objects.create(name="Spring Sale 2026", segment=segment, template=template)
    message = make_message(make_customer("Mei", locale="en"), template, campaign=campaign)
    out = render_message(message, "to@example.com")
    href = out.html.split('<a href="')[1].split('"')[0]
    assert href.startswith(f"{PUBLIC}/m/c/") and "shop.example.com" not in href
    message_id, destination = tracking.read(tracking.CLICK, href.removeprefix(f"{PUBLIC}/m/c/").rstrip("/"))
    assert message_id == message.pk
    assert destination == ("https://shop.example.com/sale?ref=mail&x=1&utm_source=guanxi&utm_medium=email"
                           "&utm_campaign=spring-sale-2026")


def test_utm_parameters_already_in_the_link_are_kept():
    url = with_utm("https://shop.example.com/?utm_source=newsletter#top", "sms", "flow:3")
    assert parse_qs(urlsplit(url).query) == {"utm_source": ["newsletter"], "utm_medium": ["sms"],
                                             "utm_campaign": ["flow:3"]}
    assert url.endswith("#top")


def test_the_open_pixel_goes_before_the_end_of_the_body():
    message = make_message(make_customer("Mei"), make_template("Sale", contents=CONTENTS))
    out = render_message(message, "to@example.com")
    pixel = f'<img src="{tracking.open_url(message)}" width="1" height="1"'
    assert pixel in out.html and out.html.endswith("</body></html>")
    assert out.html.index(pixel) > out.html.index("Shop</a>")


def test_marketing_messages_carry_unsubscribe_links_and_one_click_headers():
    message = make_message(make_customer("Mei"), make_template("Sale", contents=CONTENTS))
    out = render_message(message, "to@example.com")
    unsubscribe, prefs = tracking.unsubscribe_url(message), tracking.preferences_url(message.customer)
    assert out.headers == {"List-Unsubscribe": f"<{unsubscribe}>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert f'<a href="{unsubscribe}">Unsubscribe</a>' in out.html
    assert f'<a href="{prefs}">Manage your preferences</a>' in out.html
    assert out.text.endswith(f"\n\n--\nUnsubscribe: {unsubscribe}\nManage your preferences: {prefs}\n")


def test_transactional_messages_have_no_unsubscribe_links_or_headers():
    template = make_template("Receipt", contents=CONTENTS, purpose=Purpose.TRANSACTIONAL)
    out = render(make_customer("Mei"), template)
    assert out.headers == {}
    assert "/m/u/" not in out.html and "/m/p/" not in out.text
    assert "/m/o/" in out.html  # still tracked


def test_a_template_syntax_error_names_the_template_and_language():
    template = make_template("Broken", contents={"en": ("Hi", "{% if %}", "")})
    with pytest.raises(RenderFailed, match="Broken.*en"):
        render(make_customer("Mei"), template)


def test_a_template_without_any_content_fails_by_name():
    template = make_template("Empty", contents={})
    with pytest.raises(RenderFailed, match="Empty.*no content"):
        render(make_customer("Mei", locale="zh-hans"), template)


def test_the_preview_shows_a_real_customer_without_tracking():
    mei = make_customer("Mei Lin", first_name="Mei", email="mei@example.com")
    out = preview(make_template("Sale", contents=CONTENTS), mei, language="en")
    assert (out.key, out.to, out.subject) == ("preview", "mei@example.com", "Hello Mei & friends")
    assert 'href="https://shop.example.com/sale?ref=mail&amp;x=1"' in out.html
    assert "/m/" not in out.html and out.headers == {}


@pytest.mark.parametrize(("locale", "active"), [("zh-hans", "zh-hans"), ("zh", "zh-hans"), ("en", "en")])
def test_templates_render_with_the_content_language_active(locale, active):
    body = "{% load i18n %}{% get_current_language as code %}{{ code }}"
    template = make_template("Lang", contents={"en": ("", "", body), "zh": ("", "", body)}, purpose=Purpose.TRANSACTIONAL)
    assert render(make_customer("Mei", locale=locale), template).text == active
