"""The public links: open pixel, click redirect, unsubscribe (page and RFC 8058
one-click), preference page. Anonymous requests through the real URL map."""

import pytest

from guanxi.campaigns import tracking
from guanxi.campaigns.choices import Channel, EventKind
from guanxi.campaigns.models import MessageEvent
from guanxi.campaigns.tests.factories import make_message, make_template
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.models import ConsentEvent
from guanxi.customers.tests.factories import add_contact, make_customer

pytestmark = pytest.mark.django_db
PUBLIC = "https://crm.example.com"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "public_url": PUBLIC}


@pytest.fixture
def mei():
    customer = make_customer("Mei Lin", first_name="Mei", locale="en")
    add_contact(customer, ContactKind.EMAIL, "mei@example.com", consent=ConsentStatus.GRANTED)
    return customer


@pytest.fixture
def message(mei):
    return make_message(mei, make_template("Sale"), address="mei@example.com",
                        contact_point=mei.contact_points.get(kind=ContactKind.EMAIL))


def path_of(url):
    assert url.startswith(PUBLIC)
    return url.removeprefix(PUBLIC)


def events(message, kind):
    return list(MessageEvent.objects.filter(message=message, kind=kind).values_list("kind", flat=True))


# ---------------------------------------------------------------- open pixel

def test_the_pixel_records_the_first_open_once_and_every_open_as_an_event(client, message):
    first = client.get(path_of(tracking.open_url(message)))
    assert first.status_code == 200 and first["Content-Type"] == "image/gif" and first["Cache-Control"] == "no-store"
    assert first.content.startswith(b"GIF89a") and len(first.content) == 42
    message.refresh_from_db()
    opened_at = message.opened_at
    assert opened_at is not None
    client.get(path_of(tracking.open_url(message)))
    message.refresh_from_db()
    assert message.opened_at == opened_at
    assert events(message, EventKind.OPENED) == [EventKind.OPENED, EventKind.OPENED]


def test_a_bad_pixel_token_still_returns_the_gif_and_records_nothing(client, message):
    response = client.get("/m/o/not-a-token.gif")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    click_token = tracking.sign(tracking.CLICK, message.pk)  # signed, but for another purpose
    assert client.get(f"/m/o/{click_token}.gif").status_code == 200
    assert MessageEvent.objects.count() == 0


# ---------------------------------------------------------------- click

def test_a_click_redirects_to_the_exact_destination_and_counts_as_an_open(client, message):
    destination = "https://shop.example.com/tea?utm_source=guanxi&utm_medium=email&utm_campaign=spring"
    response = client.get(path_of(tracking.click_url(message, destination)))
    assert response.status_code == 302 and response["Location"] == destination
    message.refresh_from_db()
    assert message.clicked_at is not None and message.opened_at == message.clicked_at
    assert list(MessageEvent.objects.values_list("kind", "detail")) == [(EventKind.CLICKED, destination)]


def test_a_tampered_click_token_is_refused_with_400(client, message):
    token = tracking.click_url(message, "https://shop.example.com/").removeprefix(f"{PUBLIC}/m/c/").rstrip("/")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.get(f"/m/c/{tampered}/")
    assert response.status_code == 400
    assert "This link is not valid or has expired." in response.content.decode()
    assert MessageEvent.objects.count() == 0


# ---------------------------------------------------------------- unsubscribe

def test_the_unsubscribe_link_shows_a_confirmation_page_without_changing_anything(client, message):
    response = client.get(path_of(tracking.unsubscribe_url(message)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Do you want to stop receiving marketing messages from us at this address?" in page
    assert '<form method="post">' in page and "Guanxi" not in page  # no CRM chrome
    assert message.contact_point.consent == ConsentStatus.GRANTED and ConsentEvent.objects.count() == 0


def test_one_click_unsubscribe_withdraws_consent_once(client, message):
    client = type(client)(enforce_csrf_checks=True)  # mail apps send no CSRF token
    url = path_of(tracking.unsubscribe_url(message))
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert tracking.preferences_url(message.customer) in response.content.decode()
    point = message.contact_point
    point.refresh_from_db()
    assert point.consent == ConsentStatus.UNSUBSCRIBED
    assert list(ConsentEvent.objects.values_list("contact_point", "status", "source", "note")) == [
        (point.pk, ConsentStatus.UNSUBSCRIBED, "unsubscribe link", message.key)]
    assert events(message, EventKind.UNSUBSCRIBED) == [EventKind.UNSUBSCRIBED]

    again = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200
    assert ConsentEvent.objects.count() == 1 and events(message, EventKind.UNSUBSCRIBED) == [EventKind.UNSUBSCRIBED]


def test_without_a_recorded_address_every_point_of_the_channel_is_unsubscribed(mei):
    add_contact(mei, ContactKind.EMAIL, "mei.work@example.com", consent=ConsentStatus.GRANTED, is_primary=False)
    phone = add_contact(mei, ContactKind.PHONE, "+8613800000000", consent=ConsentStatus.GRANTED)
    message = make_message(mei, make_template("Sale"), channel=Channel.EMAIL)
    assert tracking.unsubscribe(message, message.sent_at) == 2
    assert set(mei.contact_points.values_list("kind", "consent")) == {
        (ContactKind.EMAIL, ConsentStatus.UNSUBSCRIBED), (ContactKind.PHONE, ConsentStatus.GRANTED)}
    phone.refresh_from_db()
    assert phone.consent == ConsentStatus.GRANTED


def test_a_bad_unsubscribe_token_is_refused_with_400(client, message):
    open_token = tracking.sign(tracking.OPEN, message.pk)  # signed for the pixel, not for unsubscribing
    response = client.post(f"/m/u/{open_token}/", "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "This link is not valid or has expired." in response.content.decode()
    assert ConsentEvent.objects.count() == 0


def test_an_expired_unsubscribe_token_is_refused(client, message, monkeypatch):
    url = path_of(tracking.unsubscribe_url(message))
    monkeypatch.setitem(tracking.MAX_AGE, tracking.UNSUBSCRIBE, -1)  # every token is older than that
    assert client.get(url).status_code == 400


# ---------------------------------------------------------------- preferences

def test_the_preference_page_lists_the_customers_channels_with_their_consent(client, mei):
    add_contact(mei, ContactKind.PHONE, "+8613800000000")
    page = client.get(path_of(tracking.preferences_url(mei))).content.decode()
    assert '<input type="checkbox" name="granted" value="email" checked> E-mail' in page
    assert '<input type="checkbox" name="granted" value="phone"> Phone' in page
    assert "wechat" not in page


def test_saving_preferences_records_consent_events(client, mei):
    add_contact(mei, ContactKind.PHONE, "+8613800000000")
    add_contact(mei, ContactKind.WECHAT, "wx-mei")
    response = client.post(path_of(tracking.preferences_url(mei)), {"granted": ["phone"]})
    assert response.status_code == 200 and "Your preferences are saved." in response.content.decode()
    assert dict(mei.contact_points.values_list("kind", "consent")) == {
        ContactKind.EMAIL: ConsentStatus.UNSUBSCRIBED, ContactKind.PHONE: ConsentStatus.GRANTED,
        ContactKind.WECHAT: ConsentStatus.UNKNOWN}  # never asked and left unticked: still not asked
    assert sorted(ConsentEvent.objects.values_list("contact_point__kind", "status", "source")) == [
        (ContactKind.EMAIL, ConsentStatus.UNSUBSCRIBED, "preference page"),
        (ContactKind.PHONE, ConsentStatus.GRANTED, "preference page")]


def test_the_preference_page_is_in_chinese_for_a_chinese_customer(client):
    li = make_customer("李娜", locale="zh-hans")
    add_contact(li, ContactKind.WECHAT, "wx-li")
    response = client.get(path_of(tracking.preferences_url(li)), headers={"accept-language": "en"})
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_preference_page_is_in_english_for_other_customers(client, mei):
    mei.locale = "fr"
    mei.save(update_fields=["locale"])
    response = client.get(path_of(tracking.preferences_url(mei)), headers={"accept-language": "zh-hans"})
    assert response["Content-Language"] == "en" and '<html lang="en">' in response.content.decode()


def test_a_bad_preference_token_is_refused_with_400(client, mei):
    assert client.get(f"/m/p/{tracking.sign(tracking.OPEN, mei.pk)}/").status_code == 400
