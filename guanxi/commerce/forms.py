"""Filter forms of the order and product lists (GET, never invalid enough to fail)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.commerce.choices import Channel, OrderStatus
from guanxi.commerce.models import Category


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number"), required=False, max_length=100, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Order number"), "autocomplete": "off"}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *OrderStatus.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])

    def filter(self, orders):
        """Narrow an Order queryset. The number matches exactly or as a prefix."""
        if not self.is_valid():
            return orders
        data = self.cleaned_data
        if data["q"].strip():
            orders = orders.filter(external_id__startswith=data["q"].strip())
        if data["status"]:
            orders = orders.filter(status=data["status"])
        if data["channel"]:
            orders = orders.filter(channel=data["channel"])
        return orders


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("SKU or name"), "autocomplete": "off"}))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False,
                                      empty_label=_("All categories"))

    def filter(self, products):
        """Narrow a Product queryset: SKU prefix or a part of the name."""
        if not self.is_valid():
            return products
        data = self.cleaned_data
        query = data["q"].strip()
        if query:
            products = products.filter(Q(sku__startswith=query) | Q(name__icontains=query))
        if data["category"]:
            products = products.filter(category=data["category"])
        return products
