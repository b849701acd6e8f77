"""The occasion calendar, the recurring-occasion flag (hand-made purchases and a
generated shop's seasonal gift buyers) and birthdays."""

import math
import re
from datetime import date

import pyarrow as pa
import pyarrow.csv
import pytest

from guanxi.analytics import occasions, schema
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import day_date, day_number
from guanxi.synthetic import generate_shop

GIFT_OCCASIONS = ("mothers_day", "spring_festival", "double_11", "christmas")


def test_global_occasion_dates():
    assert occasions.occasion_date("mothers_day", 2024) == date(2024, 5, 12)
    assert occasions.occasion_date("mothers_day", 2026) == date(2026, 5, 10)
    assert occasions.occasion_date("spring_festival", 2025) == date(2025, 1, 29)
    assert occasions.occasion_date("spring_festival", 2026) == date(2026, 2, 17)
    assert occasions.occasion_date("qixi", 2025) == date(2025, 8, 29)
    assert occasions.occasion_date("qixi", 2040) is None
    assert occasions.occasion_date("618", 2025) == date(2025, 6, 18)
    assert occasions.occasion_date("double_11", 2025) == date(2025, 11, 11)
    with pytest.raises(ValueError):
        occasions.occasion_date("arbor_day", 2025)


def test_calendar_adds_public_holidays_of_the_countries():
    calendar = occasions.occasion_calendar([2025, 2026], ["CN", "US", "XX", ""])
    assert calendar.schema == occasions.CALENDAR
    rows = calendar.to_pylist()
    codes = {r["occasion"] for r in rows}
    assert set(occasions.GLOBAL_OCCASIONS) <= codes
    assert all(r["country"] == "" for r in rows if r["occasion"] in occasions.GLOBAL_OCCASIONS)
    national = [r for r in rows if r["occasion"] == "holiday:CN:national_day"]
    assert [day_date(r["day"]) for r in national] == [date(2025, 10, 1), date(2026, 10, 1)]
    # Christmas Day and Chinese New Year's Eve are the global occasions' windows;
    # substitute days off are no occasions; an unknown country adds nothing.
    local = codes - set(occasions.GLOBAL_OCCASIONS)
    assert not [c for c in local if "christmas" in c or "eve" in c or "day_off" in c or ":XX:" in c]
    assert local and all(re.fullmatch(r"holiday:(CN|US):[a-z0-9_]+", c) for c in local)
    names = occasions.occasion_names(calendar)
    assert names["holiday:CN:national_day"] == "National Day" and names["birthday"] == "Birthday"
    assert names["double_11"] == occasions.OCCASION_NAMES["double_11"]


def day(y, m, d):
    return day_number(date(y, m, d))


AS_OF = day(2026, 4, 15)
# A made-up yearly occasion on 1 May, and a Chinese one on 1 June.
CALENDAR = pa.Table.from_pylist(
    [{"occasion": "gift", "country": "", "year": y, "day": day(y, 5, 1), "name": "Gift"} for y in range(2023, 2028)]
    + [{"occasion": "cn_fest", "country": "CN", "year": y, "day": day(y, 6, 1), "name": "Fest"} for y in range(2024, 2028)],
    schema=occasions.CALENDAR,
)


def shop(purchases, countries=None, birthdays=None, cancelled=()):
    """orders and customers from {customer: [day, ...]}."""
    rows = [(c, d) for c, days in purchases.items() for d in days]
    orders = pa.table(
        {
            "order_id": list(range(1, len(rows) + 1)),
            "customer_id": [c for c, _ in rows],
            "day": [d for _, d in rows],
            "amount": [10.0] * len(rows),
            "refunded": [0.0] * len(rows),
            "status": ["cancelled" if (c, d) in cancelled else "fulfilled" for c, d in rows],
            "currency": ["CNY"] * len(rows),
        }
    ).cast(schema.ORDERS)
    ids = sorted(set(purchases) | set(birthdays or {}))
    customers = pa.table(
        {
            "customer_id": ids,
            "created_day": [0] * len(ids),
            "birthday": [(birthdays or {}).get(c) for c in ids],
            "country": [(countries or {}).get(c, "") for c in ids],
        }
    ).cast(schema.CUSTOMERS)
    return orders, customers


def upcoming(orders, customers, **options):
    table = occasions.upcoming_occasions(DuckDBEngine(), orders, customers, AS_OF, calendar=CALENDAR, **options)
    assert table.schema == occasions.UPCOMING
    return {(r["customer_id"], r["occasion"]): r for r in table.to_pylist()}


def test_a_customer_who_shops_before_the_occasion_every_year_is_flagged():
    first, spring_23, spring_24 = day(2022, 6, 1), day(2023, 4, 20), day(2024, 4, 25)
    orders, customers = shop({1: [first, spring_23, spring_24]})
    flagged = upcoming(orders, customers)
    row = flagged[(1, "gift")]
    assert (row["next_day"], row["years"], row["last_day_before"]) == (day(2026, 5, 1), [2023, 2024], spring_24)
    # Three windows (2023-2025) since the first purchase, one purchase outside them.
    exposure = AS_OF - first + 1 - 3 * 21
    p = 1 - math.exp(-21 * 1 / exposure)
    assert row["chance"] == pytest.approx(3 * p**2 * (1 - p) + p**3)


def test_frequent_buyers_one_off_years_and_cancelled_orders_are_not_flagged():
    every_ten_days = list(range(day(2022, 6, 1), AS_OF, 10))
    once = [day(2022, 6, 1), day(2024, 4, 25)]
    cancelled = [day(2022, 6, 1), day(2023, 4, 20), day(2024, 4, 25)]
    orders, customers = shop(
        {2: every_ten_days, 3: once, 4: cancelled},
        cancelled={(4, day(2023, 4, 20)), (4, day(2024, 4, 25))},
    )
    assert upcoming(orders, customers) == {}
    # Without the chance test the frequent buyer would be flagged.
    assert set(upcoming(orders, customers, max_chance=1.0)) == {(2, "gift")}


def test_country_occasions_apply_to_that_country_only():
    days = [day(2023, 1, 10), day(2024, 5, 20), day(2025, 5, 25)]
    orders, customers = shop({5: days, 6: days}, countries={5: "CN", 6: "US"})
    flagged = upcoming(orders, customers)
    assert set(flagged) == {(5, "cn_fest")}
    assert flagged[(5, "cn_fest")]["next_day"] == day(2026, 6, 1)


def test_next_birthdays_strictly_after_as_of():
    birthdays = {
        1: date(1990, 3, 1),  # passed this year: next year
        2: date(2000, 2, 29),  # 2027 is no leap year: 28 February
        3: date(1985, 4, 15),  # today: next year
        4: date(1980, 12, 24),
        5: None,
    }
    orders, customers = shop({}, birthdays=birthdays)
    got = {c: r["next_day"] for (c, occasion), r in upcoming(orders, customers).items() if occasion == "birthday"}
    assert got == {1: day(2027, 3, 1), 2: day(2027, 2, 28), 3: day(2027, 4, 15), 4: day(2026, 12, 24)}
    rows = [r for (_, occasion), r in upcoming(orders, customers).items() if occasion == "birthday"]
    assert all(r["years"] == [] and r["last_day_before"] is None and r["chance"] is None for r in rows)
    soon = upcoming(orders, customers, horizon_days=300)
    assert {c for c, _ in soon} == {4}


def test_empty_input():
    orders, customers = shop({})
    assert upcoming(orders, customers) == {}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A 20,000-customer shop (seed 7), its flags as of its last day, and the
    true (customer, occasion) pairs of its seasonal gift buyers."""
    directory = tmp_path_factory.mktemp("occasions")
    generate_shop(directory, 20_000, 7, progress=False)
    shop_tables = shop_from_generator(directory)
    truth = pyarrow.csv.read_csv(directory / "truth_customers.csv").to_pylist()
    pairs = {
        (int(row["customer_id"][1:]), occasion)
        for row in truth
        if row["gift_buyer"] == "yes"
        for occasion in (row["gift_occasions"] or "").split(";")
        if occasion
    }
    as_of = day(2026, 10, 31)
    engine = DuckDBEngine()
    flags = occasions.upcoming_occasions(engine, shop_tables.orders, shop_tables.customers, as_of)
    return engine, shop_tables, pairs, flags, as_of


def shown_in_two_years(engine, orders, pairs, as_of):
    """True pairs whose gift orders the data can show: a purchase 7-21 days
    before the occasion (the generator's gift window) in two or more years."""
    days = {}
    purchases = engine.query(
        f"SELECT DISTINCT customer_id, day FROM orders WHERE status IN {schema.PURCHASE_STATUSES}", orders=orders
    )
    for customer, bought in zip(*(purchases.column(c).to_pylist() for c in ("customer_id", "day"))):
        days.setdefault(customer, set()).add(bought)
    dates = {
        code: [(y, day_number(occasions.occasion_date(code, y))) for y in range(2023, 2027)] for code in GIFT_OCCASIONS
    }
    shown = set()
    for customer, code in pairs:
        years = {y for y, d in dates[code] if d <= as_of and days.get(customer, set()) & set(range(d - 21, d - 6))}
        if len(years) >= 2:
            shown.add((customer, code))
    return shown


def test_seasonal_gift_buyers_are_found(generated):
    engine, shop_tables, pairs, flags, as_of = generated
    flagged = {(r["customer_id"], r["occasion"]) for r in flags.to_pylist() if r["occasion"] in GIFT_OCCASIONS}
    found = flagged & pairs
    shown = shown_in_two_years(engine, shop_tables.orders, pairs, as_of)
    # Observed for seed 7: 623 flags, precision 0.724; recall 0.120 of all
    # 3,769 true pairs (most gift buyers joined too late for two years) and
    # 0.808 of the 547 pairs whose gift orders show in two years.
    assert len(found) / len(flagged) >= 0.65
    assert len(found) / len(pairs) >= 0.10
    assert len(found & shown) / len(shown) >= 0.75


def test_generated_birthdays_and_next_days(generated):
    _, shop_tables, _, flags, as_of = generated
    rows = flags.to_pylist()
    birthdays = [r for r in rows if r["occasion"] == "birthday"]
    known = sum(b is not None for b in shop_tables.customers.column("birthday").to_pylist())
    assert len(birthdays) == known == len({r["customer_id"] for r in birthdays})
    assert all(as_of < r["next_day"] <= as_of + 366 for r in rows)
    assert all(len(r["years"]) >= 2 and r["years"] == sorted(r["years"]) for r in rows if r["occasion"] != "birthday")
