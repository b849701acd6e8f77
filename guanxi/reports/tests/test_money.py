"""Conversion into the reporting currency: cross rates, cents, and amounts
without a rate kept aside instead of added in."""

from decimal import Decimal

import pytest

from guanxi.reports.money import Converter, Money

RATES = {"USD": Decimal("7.2"), "EUR": Decimal("7.8")}


def test_amounts_in_the_base_currency_and_with_a_rate_add_up_to_the_cent():
    money = Converter("CNY", RATES, base="CNY").convert({"CNY": 300.0, "USD": 50.0, "EUR": 0.01})
    assert money == Money(Decimal("660.08"), {})


def test_another_reporting_currency_goes_through_the_cross_rate():
    converter = Converter("USD", RATES, base="CNY")
    assert converter.value(300.0, "CNY") == Decimal("41.67")
    assert converter.value(10, "EUR") == Decimal("10.83")  # 78 CNY / 7.2
    assert converter.value(50.0, "USD") == Decimal("50.00")


def test_a_currency_without_a_rate_is_kept_apart_never_summed():
    converter = Converter("CNY", {}, base="CNY")
    money = converter.convert({"CNY": 300.0, "USD": 50.0})
    assert money == Money(Decimal("300.00"), {"USD": Decimal("50.00")})
    assert converter.count({"CNY": 3, "USD": 1}) == 3
    assert converter.factor("USD") is None


def test_the_reporting_currencies_are_the_base_and_those_with_a_rate():
    assert Converter("CNY", RATES, base="CNY").currencies == ["CNY", "EUR", "USD"]


@pytest.mark.parametrize("target", ["JPY", ""])
def test_a_target_without_a_rate_converts_only_itself(target):
    converter = Converter(target, RATES, base="CNY")
    assert converter.factor("CNY") is None
    assert converter.convert({"CNY": 1.0}).unconverted == {"CNY": Decimal("1.00")}
