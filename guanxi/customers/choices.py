from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class ContactKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    LINE = "line", _("LINE")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ConsentStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    GRANTED = "granted", _("Granted")
    DENIED = "denied", _("Denied")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class ChannelConsent(models.TextChoices):
    """Marketing consent of a whole channel (all the customer's points of one kind)."""

    GRANTED = "granted", _("Granted")
    BOUNCED = "bounced", _("Bounced")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNKNOWN = "unknown", _("Not asked")


class AddressKind(models.TextChoices):
    SHIPPING = "shipping", _("Shipping")
    BILLING = "billing", _("Billing")


class TimelineKind(models.TextChoices):
    ORDER = "order", _("Order")
    RETURN = "return", _("Return")
    VISIT = "visit", _("Browsing")
    CART = "cart", _("Cart")
    MESSAGE = "message", _("Message")
    TICKET = "ticket", _("Ticket")
    REVIEW = "review", _("Review")
    NOTE = "note", _("Note")
    POINTS = "points", _("Points")
    CONSENT = "consent", _("Consent")
    PROFILE = "profile", _("Profile")
