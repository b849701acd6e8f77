"""Channels against real local servers: aiosmtpd for e-mail, a stdlib HTTP server for
SMS, WeChat and webhooks. Nothing on the network is mocked."""

import hashlib
import json
import time

import pytest

from guanxi.campaigns.channels import sender_for
from guanxi.campaigns.channels.base import Outgoing, PermanentFailure, TemporaryFailure
from guanxi.campaigns.channels.email import EmailSender
from guanxi.campaigns.channels.files import FileSender
from guanxi.campaigns.channels.sms import HttpSmsSender
from guanxi.campaigns.channels.webhook import WebhookSender, verify_signature
from guanxi.campaigns.channels.wechat import WechatSender
from guanxi.campaigns.tests.http_server import fake_provider  # noqa: F401
from guanxi.campaigns.tests.smtp_server import free_port, point_mail_at, smtp_server  # noqa: F401

UNSUBSCRIBE = {"List-Unsubscribe": "<https://shop.example.com/u/abc>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def mail(key="campaign:12:c:345", to="li@example.com", **fields):
    values = {"subject": "Spring sale", "text": "Hello Li", "html": "<p>Hello <b>Li</b></p>"} | fields
    return Outgoing(key=key, channel="email", to=to, **values)


def expected_message_id(key, domain="shop.example.com"):
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


@pytest.fixture
def shop_sender(settings):
    settings.DEFAULT_FROM_EMAIL = "Tea Shop <news@shop.example.com>"


@pytest.fixture
def messaging(settings, fake_provider):  # noqa: F811
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "sms_url": fake_provider.url + "/sms",
                                 "sms_token": "t0ken", "wechat_url": fake_provider.url + "/wechat",
                                 "webhook_secret": "s3cret"}
    return settings.GUANXI_MESSAGING


# E-mail


def test_email_arrives_with_both_parts_headers_and_a_deterministic_message_id(smtp_server, shop_sender):  # noqa: F811
    provider_id = EmailSender().send(mail(headers=UNSUBSCRIBE))

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    message = received.message
    assert received.mail_from == "news@shop.example.com"
    assert received.rcpt_tos == ["li@example.com"]
    assert message["From"] == "Tea Shop <news@shop.example.com>"
    assert message["To"] == "li@example.com"
    assert message["Subject"] == "Spring sale"
    assert message["Message-ID"] == expected_message_id("campaign:12:c:345") == provider_id
    assert message["List-Unsubscribe"] == "<https://shop.example.com/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(("plain",)).get_content().strip() == "Hello Li"
    assert message.get_body(("html",)).get_content().strip() == "<p>Hello <b>Li</b></p>"


def test_the_same_key_always_gives_the_same_message_id(smtp_server, shop_sender):  # noqa: F811
    sender = EmailSender()
    first, second = sender.send(mail()), sender.send(mail(subject="Again"))

    assert first == second == expected_message_id("campaign:12:c:345")
    assert sender.send(mail(key="campaign:12:c:346")) != first


def test_a_batch_sends_two_messages_over_one_connection(smtp_server):  # noqa: F811
    with EmailSender() as sender:
        sender.send(mail(key="k1", to="a@example.com"))
        sender.send(mail(key="k2", to="b@example.com"))

    assert [received.rcpt_tos for received in smtp_server.messages] == [["a@example.com"], ["b@example.com"]]
    assert smtp_server.connections == 1


def test_without_a_batch_each_message_opens_its_own_connection(smtp_server):  # noqa: F811
    sender = EmailSender()
    sender.send(mail(key="k1"))
    sender.send(mail(key="k2"))

    assert smtp_server.connections == 2


def test_a_refused_recipient_is_a_permanent_failure(smtp_server):  # noqa: F811
    smtp_server.refuse("gone@example.com")

    with pytest.raises(PermanentFailure, match="550") as failure:
        EmailSender().send(mail(to="gone@example.com"))

    assert "gone@example.com" in str(failure.value)
    assert smtp_server.messages == []


def test_a_deferred_recipient_is_a_temporary_failure(smtp_server):  # noqa: F811
    smtp_server.defer("busy@example.com")

    with pytest.raises(TemporaryFailure, match="451"):
        EmailSender().send(mail(to="busy@example.com"))

    assert smtp_server.messages == []


def test_a_batch_goes_on_after_a_refused_recipient(smtp_server):  # noqa: F811
    smtp_server.refuse("gone@example.com")

    with EmailSender() as sender:
        with pytest.raises(PermanentFailure):
            sender.send(mail(key="k1", to="gone@example.com"))
        sender.send(mail(key="k2", to="ok@example.com"))

    assert [received.rcpt_tos for received in smtp_server.messages] == [["ok@example.com"]]
    assert smtp_server.connections == 1


def test_a_batch_reconnects_after_a_temporary_failure(smtp_server):  # noqa: F811
    smtp_server.defer("busy@example.com")

    with EmailSender() as sender:
        with pytest.raises(TemporaryFailure):
            sender.send(mail(key="k1", to="busy@example.com"))
        sender.send(mail(key="k2", to="ok@example.com"))
        sender.send(mail(key="k3", to="ok2@example.com"))

    assert [received.rcpt_tos for received in smtp_server.messages] == [["ok@example.com"], ["ok2@example.com"]]
    assert smtp_server.connections == 1  # the two after the failure share the new connection


def test_a_mail_server_that_is_down_is_a_temporary_failure(settings):
    point_mail_at(settings, "127.0.0.1", free_port(), timeout=2)

    with pytest.raises(TemporaryFailure, match="could not be reached"):
        EmailSender().send(mail())
    with pytest.raises(TemporaryFailure):
        EmailSender().open()


def test_chinese_subject_and_body_arrive_intact(smtp_server):  # noqa: F811
    EmailSender().send(mail(subject="您的订单已发货", text="张先生，您好！感谢惠顾。",
                            html="<p>张先生，您好！</p>"))

    message = smtp_server.messages[0].message
    assert message["Subject"] == "您的订单已发货"
    assert message.get_body(("plain",)).get_content().strip() == "张先生，您好！感谢惠顾。"
    assert message.get_body(("html",)).get_content().strip() == "<p>张先生，您好！</p>"
    raw_headers = smtp_server.messages[0].raw.split(b"\r\n\r\n")[0]
    assert "您的订单".encode() not in raw_headers  # the subject travels RFC 2047-encoded


def test_an_invalid_address_is_a_permanent_failure(smtp_server):  # noqa: F811
    with pytest.raises(PermanentFailure):
        EmailSender().send(mail(to="not an address"))


# SMS


def sms(key="flow:3:c:9", to="+8613800138000", text="验证码 1234"):
    return Outgoing(key=key, channel="sms", to=to, text=text)


def test_sms_posts_json_with_token_and_idempotency_key(messaging, fake_provider):  # noqa: F811
    provider_id = HttpSmsSender().send(sms())

    assert provider_id == "msg-1"
    assert len(fake_provider.requests) == 1
    request = fake_provider.requests[0]
    assert request.path == "/sms"
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["Idempotency-Key"] == "flow:3:c:9"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {"to": "+8613800138000", "text": "验证码 1234", "reference": "flow:3:c:9"}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_sms_provider_is_a_temporary_failure(messaging, fake_provider, status):  # noqa: F811
    fake_provider.reply(status, {"error": "busy"})

    with pytest.raises(TemporaryFailure, match=f"HTTP {status}: busy"):
        HttpSmsSender().send(sms())


def test_a_rejected_number_is_a_permanent_failure_with_the_providers_text(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(400, {"error": "invalid destination number"})

    with pytest.raises(PermanentFailure, match="HTTP 400") as failure:
        HttpSmsSender().send(sms(to="+86123"))

    assert "invalid destination number" in str(failure.value)


def test_a_plain_text_error_body_is_reported_as_is(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(422, "number blocked")

    with pytest.raises(PermanentFailure, match="number blocked"):
        HttpSmsSender().send(sms())


def test_a_wrong_token_is_retried_not_blamed_on_the_number(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(401, {"error": "bad token"})

    with pytest.raises(TemporaryFailure, match="bad token"):
        HttpSmsSender().send(sms())


def test_an_sms_provider_that_is_down_is_a_temporary_failure(settings):
    sender = HttpSmsSender(url=f"http://127.0.0.1:{free_port()}/sms", token="t")

    with pytest.raises(TemporaryFailure, match="could not be reached"):
        sender.send(sms())


def test_a_slow_sms_provider_times_out_as_a_temporary_failure(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(200, {"id": "late"}, delay=1)
    sender = HttpSmsSender()
    sender.timeout = 0.2

    with pytest.raises(TemporaryFailure):
        sender.send(sms())


# WeChat


def test_wechat_template_message_has_the_template_shape(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332})
    outgoing = Outgoing(key="k", channel="wechat", to="oOpenid123", text="ignored",
                        payload={"template_id": "TPL-1", "url": "https://shop.example.com/o/7",
                                 "name": "王芳", "points": 120})

    assert WechatSender().send(outgoing) == "200228332"
    request = fake_provider.requests[0]
    assert request.path == "/wechat"
    assert request.json == {"touser": "oOpenid123", "template_id": "TPL-1", "url": "https://shop.example.com/o/7",
                            "data": {"name": {"value": "王芳"}, "points": {"value": 120}}}


def test_wechat_without_fields_sends_the_text(messaging, fake_provider):  # noqa: F811
    WechatSender().send(Outgoing(key="k", channel="wechat", to="oOpenid123", text="欢迎"))

    assert fake_provider.requests[0].json == {"touser": "oOpenid123", "template_id": "",
                                              "data": {"text": {"value": "欢迎"}}}


def test_wechat_errcodes_map_to_failures(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(200, {"errcode": 43004, "errmsg": "require subscribe"})
    fake_provider.reply(200, {"errcode": -1, "errmsg": "system error"})
    outgoing = Outgoing(key="k", channel="wechat", to="oOpenid123", text="hi")

    with pytest.raises(PermanentFailure, match="43004 require subscribe"):
        WechatSender().send(outgoing)
    with pytest.raises(TemporaryFailure, match="-1 system error"):
        WechatSender().send(outgoing)


# Webhooks


def hook(url, key="campaign:1:c:2"):
    return Outgoing(key=key, channel="webhook", to=url, payload={"id": 2, "name": "陈静"})


def test_webhook_body_is_signed_and_the_signature_verifies(messaging, fake_provider):  # noqa: F811
    WebhookSender().send(hook(fake_provider.url + "/hook"))

    request = fake_provider.requests[0]
    timestamp, signature = request.headers["X-Guanxi-Timestamp"], request.headers["X-Guanxi-Signature"]
    assert request.json == {"key": "campaign:1:c:2", "customer": {"id": 2, "name": "陈静"}}
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert abs(int(timestamp) - time.time()) < 60
    assert verify_signature(request.body, timestamp, signature, "s3cret") is True


def test_a_tampered_webhook_does_not_verify(messaging, fake_provider):  # noqa: F811
    WebhookSender().send(hook(fake_provider.url + "/hook"))
    request = fake_provider.requests[0]
    timestamp, signature = request.headers["X-Guanxi-Timestamp"], request.headers["X-Guanxi-Signature"]
    tampered = request.body.replace(b'"id": 2', b'"id": 3')

    assert tampered != request.body
    assert verify_signature(tampered, timestamp, signature, "s3cret") is False
    assert verify_signature(request.body, str(int(timestamp) + 1), signature, "s3cret") is False
    assert verify_signature(request.body, timestamp, signature, "other secret") is False
    assert verify_signature(request.body, timestamp, signature, "s3cret", now=int(timestamp) + 301) is False


def test_webhook_errors_map_like_sms(messaging, fake_provider):  # noqa: F811
    fake_provider.reply(404, {"error": "no such hook"})
    fake_provider.reply(502, "bad gateway")

    with pytest.raises(PermanentFailure, match="no such hook"):
        WebhookSender().send(hook(fake_provider.url + "/gone"))
    with pytest.raises(TemporaryFailure, match="bad gateway"):
        WebhookSender().send(hook(fake_provider.url + "/hook"))


def test_webhooks_are_not_sent_unsigned(settings, fake_provider):  # noqa: F811
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "webhook_secret": ""}

    with pytest.raises(TemporaryFailure, match="WEBHOOK_SIGNING_SECRET"):
        WebhookSender().send(hook(fake_provider.url + "/hook"))
    assert fake_provider.requests == []


def test_a_webhook_address_must_be_http(messaging):
    with pytest.raises(PermanentFailure, match="http"):
        WebhookSender().send(hook("file:///etc/passwd"))


# Files


def test_file_sender_writes_one_file_per_key(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    sender = FileSender("sms")

    sender.send(sms(key="k1", text="first"))
    sender.send(sms(key="k1", text="first, again"))
    provider_id = sender.send(sms(key="k2"))

    files = sorted((tmp_path / "outbox" / "sms").iterdir())
    assert len(files) == 2
    assert provider_id == f"file:{hashlib.sha256(b'k2').hexdigest()[:32]}.json"
    written = json.loads(sender.path_for("k1").read_text(encoding="utf-8"))
    assert written["text"] == "first, again"
    assert written["to"] == "+8613800138000"


# Choosing a sender


def test_sender_for_uses_providers_when_configured(messaging):
    assert type(sender_for("email")) is EmailSender
    assert type(sender_for("sms")) is HttpSmsSender
    assert type(sender_for("wechat")) is WechatSender
    assert type(sender_for("webhook")) is WebhookSender


def test_sender_for_falls_back_to_files_without_provider_urls(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.GUANXI_MESSAGING = {**settings.GUANXI_MESSAGING, "sms_url": "", "wechat_url": ""}

    sms_sender, wechat_sender = sender_for("sms"), sender_for("wechat")

    assert (type(sms_sender), sms_sender.channel) == (FileSender, "sms")
    assert (type(wechat_sender), wechat_sender.channel) == (FileSender, "wechat")
    assert sms_sender.directory == tmp_path / "outbox" / "sms"


def test_sender_for_an_unknown_channel_names_it():
    with pytest.raises(ValueError, match="'pigeon'"):
        sender_for("pigeon")

