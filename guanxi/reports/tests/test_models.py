"""Exchange rates: valid codes, positive rates, never the reporting currency itself."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from guanxi.reports.models import ExchangeRate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("currency, rate, field", [
    ("usd", "7.2", "currency"), ("US", "7.2", "currency"), ("USD", "0", "rate"), ("USD", "-1", "rate"),
    ("CNY", "1", "currency"),
])
def test_bad_rates_are_refused_with_the_field_named(currency, rate, field, settings):
    settings.REPORTING_CURRENCY = "CNY"
    with pytest.raises(ValidationError) as caught:
        ExchangeRate(currency=currency, rate=Decimal(rate)).full_clean()
    assert field in caught.value.message_dict


def test_a_rate_reads_as_what_one_unit_is_worth():
    rate = ExchangeRate.objects.create(currency="USD", rate=Decimal("7.2"))
    assert str(rate) == "1 USD = 7.2"
    ExchangeRate(currency="EUR", rate=Decimal("7.8")).full_clean()
