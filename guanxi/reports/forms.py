from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.reports.services import DEFAULT_PERIOD


class DashboardForm(forms.Form):
    """The period and the reporting currency (both optional: defaults apply)."""

    period = forms.ChoiceField(label=_("Period"), required=False, error_messages={
        "invalid_choice": _("Unknown period %(value)s: choose one from the list.")})
    currency = forms.ChoiceField(label=_("Reporting currency"), required=False, error_messages={
        "invalid_choice": _("No exchange rate for %(value)s: choose a currency from the list, "
                            "or add its rate in the admin.")})

    def __init__(self, *args, periods, currencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = periods
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["period"].initial = DEFAULT_PERIOD
        self.fields["currency"].initial = settings.REPORTING_CURRENCY

    def choice(self, name):
        """The valid value of `name`, or its default when none was given."""
        value = self.cleaned_data.get(name) if self.is_bound and self.is_valid() else None
        return value or self.fields[name].initial
