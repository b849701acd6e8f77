"""Forms of the customer pages. They check shapes; the rules live in services."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.customers.choices import AddressKind, ConsentStatus, ContactKind
from guanxi.customers.models import Customer, Tag
from guanxi.customers.services import PROFILE_FIELDS, SORTS


class CustomerFilterForm(forms.Form):
    """The search box, tag filter and sort of the customer list (GET)."""

    SORT_CHOICES = [
        ("newest", _("Newest")),
        ("name", _("Name (A–Z)")),
        ("last_order", _("Last order")),
        ("total_spent", _("Total spent")),
        ("orders", _("Orders")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Name, e-mail or phone"), "autocomplete": "off"}))
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False,
                                 to_field_name="name", empty_label=_("All tags"))
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def filters(self):
        """Keyword arguments for services.search_customers (invalid input is ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or "newest"
        return {"query": data.get("q", ""), "tag": data.get("tag"), "sort": sort if sort in SORTS else "newest"}


class InterestsField(forms.CharField):
    """Interests are a list; people type them separated by commas."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value


class CustomerProfileForm(forms.ModelForm):
    interests = InterestsField(label=_("interests"), required=False, help_text=_("Separate with commas."))
    locale = forms.ChoiceField(label=_("language"), required=False,
                               choices=[("", "—"), *settings.LANGUAGES])

    class Meta:
        model = Customer
        fields = PROFILE_FIELDS
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "country": _("Two-letter code, e.g. CN or US."),
            "currency": _("Three-letter code, e.g. CNY or USD."),
            "time_zone": _("For example Asia/Shanghai."),
        }

    def changes(self):
        """{field: new value} for the fields the user changed."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class TagForm(forms.Form):
    name = forms.CharField(label=_("Tag"), max_length=80, widget=forms.TextInput(attrs={
        "placeholder": _("Add a tag"), "list": "tag-names", "autocomplete": "off"}))


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={
        "rows": 3, "placeholder": _("What happened? What should colleagues know?")}))


class ConsentForm(forms.Form):
    status = forms.ChoiceField(label=_("Marketing consent"), choices=ConsentStatus.choices)
    note = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ContactPointForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Value"), max_length=254)
    consent = forms.ChoiceField(label=_("Marketing consent"), choices=ConsentStatus.choices, initial=ConsentStatus.UNKNOWN)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AddressKind.choices)
    recipient = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    line1 = forms.CharField(label=_("Address line 1"), max_length=255)
    line2 = forms.CharField(label=_("Address line 2"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    is_default = forms.BooleanField(label=_("Default address"), required=False)


def add_service_error(form, error):
    """Show a CustomerError on its field when the form has it, else on the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
