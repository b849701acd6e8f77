"""Small factories for campaign tests: plain functions, explicit arguments."""

import itertools

from django.utils import timezone

from guanxi.campaigns.choices import Channel, MessageStatus, Purpose
from guanxi.campaigns.models import Message, MessageTemplate, TemplateContent

_keys = itertools.count(1)


def make_template(name="Spring sale", channel=Channel.EMAIL, contents=None, purpose=Purpose.MARKETING,
                  default_language="en"):
    """A template with one content per language: contents={"en": (subject, html, text)}."""
    template = MessageTemplate.objects.create(name=name, channel=channel, purpose=purpose,
                                              default_language=default_language)
    if contents is None:
        contents = {"en": ("Hello", "<p>Hello</p>", "Hello")}
    for language, (subject, html, text) in contents.items():
        TemplateContent.objects.create(template=template, language=language, subject=subject, html=html, text=text)
    return template


def make_message(customer, template=None, *, key=None, channel=None, purpose=None, status=MessageStatus.SENT,
                 campaign=None, context=None, sent_at=None, contact_point=None, address=""):
    """An outbox row; by default already SENT now, with the template's channel and purpose."""
    now = timezone.now()
    if status == MessageStatus.SENT and sent_at is None:
        sent_at = now
    return Message.objects.create(
        key=key or f"test:{next(_keys)}:c:{customer.pk}", customer=customer, template=template, campaign=campaign,
        channel=channel or (template.channel if template else Channel.EMAIL),
        purpose=purpose or (template.purpose if template else Purpose.MARKETING),
        status=status, context=context or {}, not_before=sent_at or now, sent_at=sent_at,
        contact_point=contact_point, address=address,
    )
