from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PRODUCTS = "products", _("Products")
    ORDERS = "orders", _("Orders")
    RETURNS = "returns", _("Returns")
    EVENTS = "events", _("Browsing and cart events")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Preset(models.TextChoices):
    GENERIC = "generic", _("Guanxi generic columns")
    SHOPIFY = "shopify", _("Shopify export")
    WOOCOMMERCE = "woocommerce", _("WooCommerce export")
