"""Amounts kept per currency, shown in one reporting currency.

Rates (`ExchangeRate`) give each currency's value in the base reporting currency
(settings.REPORTING_CURRENCY); any other currency with a rate can be chosen for
a page, through the cross rate. An amount in a currency without a rate is never
added in: it is kept aside (`Money.unconverted`) so the page can show it apart.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


@dataclass
class Money:
    amount: Decimal = Decimal(0)  # in the reporting currency
    unconverted: dict = field(default_factory=dict)  # currency -> amount without a rate

    def __add__(self, other: "Money") -> "Money":
        kept = dict(self.unconverted)
        for currency, amount in other.unconverted.items():
            kept[currency] = kept.get(currency, Decimal(0)) + amount
        return Money(self.amount + other.amount, kept)


class Converter:
    """Converts into `target` with `rates` {currency: value of one unit in `base`}."""

    def __init__(self, target: str, rates: dict, base: str | None = None):
        self.base = base or settings.REPORTING_CURRENCY
        self.target = target
        self.rates = {code: Decimal(rate) for code, rate in rates.items()}
        self.rates[self.base] = Decimal(1)

    @property
    def currencies(self) -> list[str]:
        """The currencies a page can report in: the base and every one with a rate."""
        return sorted(self.rates)

    def factor(self, currency: str) -> Decimal | None:
        if currency == self.target:
            return Decimal(1)
        if currency not in self.rates or self.target not in self.rates:
            return None
        return self.rates[currency] / self.rates[self.target]

    def value(self, amount, currency: str) -> Decimal | None:
        """One amount in the target currency, to the cent; None without a rate."""
        factor = self.factor(currency)
        if factor is None:
            return None
        return (Decimal(str(amount)) * factor).quantize(CENT, ROUND_HALF_UP)

    def convert(self, amounts: dict) -> Money:
        """{currency: amount} -> the sum in the target currency, the rest kept aside."""
        money = Money()
        for currency, amount in sorted(amounts.items()):
            value = self.value(amount, currency)
            if value is None:
                money.unconverted[currency] = Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)
            else:
                money.amount += value
        return money

    def count(self, counts: dict) -> int:
        """The sum of {currency: n} over the currencies that convert (for averages)."""
        return sum(n for currency, n in counts.items() if self.factor(currency) is not None)
