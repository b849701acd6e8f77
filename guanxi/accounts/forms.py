from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.choices import Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Who or what uses the key, e.g. “Shopify sync”."))
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.READ)
