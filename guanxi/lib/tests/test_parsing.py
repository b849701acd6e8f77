from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from guanxi.lib import parsing as p


def test_datetimes_in_shop_formats():
    assert p.parse_datetime("2025-03-08") == datetime(2025, 3, 8, tzinfo=timezone.utc)
    assert p.parse_datetime("2025-03-08T14:30:00Z") == datetime(2025, 3, 8, 14, 30, tzinfo=timezone.utc)
    assert p.parse_datetime("2024-01-15 10:23:45 +0800") == datetime(2024, 1, 15, 10, 23, 45, tzinfo=timezone(timedelta(hours=8)))
    assert p.parse_datetime("2025-03-08T10:00:00-16:26").utcoffset() == timedelta(0)
    assert p.parse_datetime("2025/03/08 09:05") == datetime(2025, 3, 8, 9, 5, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="is not a date"):
        p.parse_datetime("2025-02-30")


def test_money_tolerates_separators_and_signs_but_not_garbage():
    assert p.parse_money("¥1,299.5") == Decimal("1299.50")
    assert p.parse_money("-3") == Decimal("-3.00")
    assert p.parse_money("1,299,000.5") == Decimal("1299000.50")
    for bad in ("abc", "1e400", "NaN", "12..3", "1.299,50", "12,5", "0,99", "1 299,50 €"):
        with pytest.raises(ValueError):
            p.parse_money(bad)


def test_quantity_must_be_a_non_negative_whole_number():
    assert p.parse_quantity("3") == 3 and p.parse_quantity("2.0") == 2
    for bad, reason in (("-1", "negative"), ("1.5", "whole number"), ("x", "whole number")):
        with pytest.raises(ValueError, match=reason):
            p.parse_quantity(bad)


def test_phones_are_normalised_to_e164_in_their_country():
    assert p.normalise_phone("138 1234 5678", "CN") == "+8613812345678"
    assert p.normalise_phone("(415) 555-2671", "US") == "+14155552671"
    with pytest.raises(ValueError, match="not a valid phone number"):
        p.normalise_phone("12345", "CN")


def test_emails_are_lower_cased_and_checked_offline():
    assert p.normalise_email(" Wang.Fang@Example.CN ") == "wang.fang@example.cn"
    with pytest.raises(ValueError, match="not an e-mail address"):
        p.normalise_email("wang@@example")


def test_dates_lists_and_yes_no():
    assert p.parse_date("1990/05/12") == date(1990, 5, 12)
    assert p.parse_list("vip; tea,  gifts") == ["vip", "tea", "gifts"]
    assert (p.parse_yes_no("是"), p.parse_yes_no("No")) == (True, False)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_money_round_trips_any_two_decimal_amount(amount):
    assert p.parse_money(str(amount)) == amount


def test_day_first_or_month_first_dates_are_refused_not_guessed():
    with pytest.raises(ValueError, match="is not a date"):
        p.parse_date("03/08/2025")
