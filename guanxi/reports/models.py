"""Exchange rates for the reporting currency; the dashboard's permission.

The dashboard's figures themselves live in the analysis report
(`insights.AnalysisRun.report["dashboard"]`), in the currencies the orders were
placed in; rates turn them into the reporting currency when a page shows them.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

currency_code = RegexValidator(r"^[A-Z]{3}\Z", _("Enter a three-letter ISO 4217 code in capitals, e.g. USD."))


class ExchangeRate(models.Model):
    """What one unit of `currency` is worth in the reporting currency
    (settings.REPORTING_CURRENCY): USD 7.1 when reporting in CNY."""

    currency = models.CharField(_("currency"), max_length=3, unique=True, validators=[currency_code])
    rate = models.DecimalField(_("value of one unit in the reporting currency"), max_digits=20, decimal_places=10,
                               validators=[MinValueValidator(Decimal("0.0000000001"))])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("currency",)
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        permissions = (("view_dashboard", _("Can view the dashboard")),)

    def __str__(self):
        return f"1 {self.currency} = {self.rate.normalize()}"

    def clean(self):
        from django.conf import settings

        if self.currency == settings.REPORTING_CURRENCY:
            raise ValidationError({"currency": _("%(code)s is the reporting currency: its rate is always 1.")
                                   % {"code": self.currency}})
