"""Commerce data: catalogue, orders with lines, returns/refunds, browsing and cart events.

Money is Decimal with its currency beside it; every imported object carries
(source, external_id) so re-imports update instead of duplicating.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.commerce.choices import Channel, EventType, OrderStatus, ReturnStatus
from guanxi.customers.models import Customer

MONEY = {"max_digits": 14, "decimal_places": 2}


class Category(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products", verbose_name=_("category"))
    price = models.DecimalField(_("price"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    import_hash = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return f"{self.sku} {self.name}"


class Order(models.Model):
    """An order as the shop recorded it; lines hold what was bought."""

    source = models.CharField(_("source"), max_length=50)
    external_id = models.CharField(_("order number"), max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders", verbose_name=_("customer"))
    ordered_at = models.DateTimeField(_("ordered at"), db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), **MONEY)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus, default=OrderStatus.PAID)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel, default=Channel.WEB)
    # The import run that last wrote the order: lets the importer notice an
    # order id that comes back later in the same file.
    import_run = models.ForeignKey("imports.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    import_hash = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="order_external_id_unique")]
        indexes = [models.Index(fields=["customer", "-ordered_at"])]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self):
        return self.external_id

    @property
    def counts_as_purchase(self):
        return self.status != OrderStatus.CANCELLED


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    product_name = models.CharField(_("product"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["order", "line_no"]
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="order_line_unique")]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    @property
    def amount(self):
        return (self.unit_price or Decimal("0")) * self.quantity


class Return(models.Model):
    """A return or refund, linked to the order (and the line when known)."""

    source = models.CharField(_("source"), max_length=50)
    external_id = models.CharField(_("return number"), max_length=100)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns", verbose_name=_("order"))
    order_line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="returns")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount = models.DecimalField(_("refund"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    returned_at = models.DateTimeField(_("returned at"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ReturnStatus, default=ReturnStatus.REFUNDED)
    import_hash = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["-returned_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="return_external_id_unique")]
        verbose_name = _("return")
        verbose_name_plural = _("returns")


class Event(models.Model):
    """A browsing or cart event (product view, add to cart, checkout started...)."""

    source = models.CharField(_("source"), max_length=50)
    external_id = models.CharField(_("event id"), max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(_("event"), max_length=20, choices=EventType)
    occurred_at = models.DateTimeField(_("when"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    session_id = models.CharField(_("session"), max_length=100, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="event_external_id_unique")]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]
        verbose_name = _("event")
        verbose_name_plural = _("events")
