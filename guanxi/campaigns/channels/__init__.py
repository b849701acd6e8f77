"""Channels behind one interface: `sender_for(channel)` picks the sender from settings.
See channels.base for the interface and docs/channels.md for the adapters."""

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.campaigns.channels.base import Sender
from guanxi.campaigns.channels.email import EmailSender
from guanxi.campaigns.channels.files import FileSender
from guanxi.campaigns.channels.sms import HttpSmsSender
from guanxi.campaigns.channels.webhook import WebhookSender
from guanxi.campaigns.channels.wechat import WechatSender
from guanxi.campaigns.choices import Channel


def sender_for(channel: str) -> Sender:
    """E-mail and webhooks always have a real sender; SMS and WeChat fall back to
    files when no provider URL is configured (the embedded demo)."""
    messaging = settings.GUANXI_MESSAGING
    if channel == Channel.EMAIL:
        return EmailSender()
    if channel == Channel.SMS:
        return HttpSmsSender() if messaging.get("sms_url") else FileSender(Channel.SMS.value)
    if channel == Channel.WECHAT:
        return WechatSender() if messaging.get("wechat_url") else FileSender(Channel.WECHAT.value)
    if channel == Channel.WEBHOOK:
        return WebhookSender()
    raise ValueError(_("No sender for the channel %(channel)r.") % {"channel": channel})
