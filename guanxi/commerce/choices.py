from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class Channel(models.TextChoices):
    WEB = "web", _("Web shop")
    APP = "app", _("App")
    MARKETPLACE = "marketplace", _("Marketplace")
    WECHAT = "wechat", _("WeChat")
    STORE = "store", _("Physical store")
    OTHER = "other", _("Other")


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    RECEIVED = "received", _("Received")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")


class EventType(models.TextChoices):
    VIEW = "view", _("Viewed a product")
    ADD_TO_CART = "add_to_cart", _("Added to cart")
    REMOVE_FROM_CART = "remove_from_cart", _("Removed from cart")
    CHECKOUT_STARTED = "checkout_started", _("Started checkout")
    SEARCH = "search", _("Searched")
