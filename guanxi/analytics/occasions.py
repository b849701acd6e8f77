"""Recurring occasions: who shops before Mother's Day, Spring Festival, Double 11...
every year, and when each customer's next such occasion (or birthday) is.

The calendar is built in Python (a few hundred dates); everything per customer
runs as SQL on the engine (DuckDB's dialect: LIST, EXP). A purchase (an order
with a purchase status) is "before" an occasion when it falls in the
`window_days` days ending the day before it. A customer is flagged for an
occasion when they bought in its window in at least `min_years` distinct years
and their own purchase rate could hardly explain that: under the customer's
rate outside those windows, the chance of hitting at least that many of the
windows they were a customer for is below `max_chance` (a one-sided binomial
test), so a frequent buyer who shops every few weeks is not flagged for every
occasion. See docs/analytics/occasions.md.
"""

import math
import re
from calendar import isleap
from datetime import date, timedelta

import holidays
import pyarrow as pa

from guanxi.analytics.schema import PURCHASE_STATUSES, day_date, day_number

# Stable codes (stored and translated by the Django side) -> English names.
OCCASION_NAMES = {
    "spring_festival": "Spring Festival",
    "valentines_day": "Valentine's Day",
    "mothers_day": "Mother's Day",
    "618": "618 Shopping Festival",
    "qixi": "Qixi Festival",
    "double_11": "Double 11",
    "christmas": "Christmas",
    "birthday": "Birthday",
}
GLOBAL_OCCASIONS = ("spring_festival", "valentines_day", "mothers_day", "618", "qixi", "double_11", "christmas")

# Qixi, the 7th day of the 7th lunar month (the holidays package keeps its lunar
# conversion private). Checked against new moons in China Standard Time.
QIXI = {
    2015: (8, 20), 2016: (8, 9), 2017: (8, 28), 2018: (8, 17), 2019: (8, 7), 2020: (8, 25), 2021: (8, 14),
    2022: (8, 4), 2023: (8, 22), 2024: (8, 10), 2025: (8, 29), 2026: (8, 19), 2027: (8, 8), 2028: (8, 26),
    2029: (8, 16), 2030: (8, 5), 2031: (8, 24), 2032: (8, 12), 2033: (8, 1), 2034: (8, 20), 2035: (8, 10),
}

# Entries of the holidays package that are no occasion of their own.
_NOT_AN_OCCASION = re.compile(r"day off|substitut|observed|extended|bridge", re.IGNORECASE)

CALENDAR = pa.schema(
    [("occasion", pa.string()), ("country", pa.string()), ("year", pa.int32()), ("day", pa.int32()), ("name", pa.string())]
)
UPCOMING = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("occasion", pa.string()),
        ("next_day", pa.int32()),
        ("years", pa.list_(pa.int32())),
        ("last_day_before", pa.int32()),
        ("chance", pa.float64()),
    ]
)


def _second_sunday_of_may(year: int) -> date:
    first = date(year, 5, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def _spring_festival(year: int) -> date | None:
    """Chinese New Year's Day: the first day the Chinese holiday calendar names it."""
    days = holidays.China(years=year, language="en_US", observed=False)
    found = [d for d, name in days.items() if name.startswith("Chinese New Year") and "Eve" not in name]
    return min(found) if found else None


def occasion_date(code: str, year: int) -> date | None:
    """The date of a global occasion in a year; None when unknown (Qixi outside
    its table, a year the holidays package does not cover)."""
    fixed = {"valentines_day": (2, 14), "618": (6, 18), "double_11": (11, 11), "christmas": (12, 25)}
    if code in fixed:
        return date(year, *fixed[code])
    if code == "mothers_day":
        return _second_sunday_of_may(year)
    if code == "qixi":
        return date(year, *QIXI[year]) if year in QIXI else None
    if code == "spring_festival":
        return _spring_festival(year)
    raise ValueError(f"unknown occasion {code!r}")


def holiday_code(country: str, name: str) -> str:
    """'holiday:CN:national_day' for China's "National Day"."""
    words = re.sub(r"[^a-z0-9]+", "_", name.lower().replace("'", "")).strip("_")
    return f"holiday:{country}:{words}"


def public_holidays(country: str, years) -> list:
    """(code, year, date, name) of a country's public holidays: the first day
    of each break, once a year.

    Names the package joins ("Mid-Autumn Festival; National Day") count
    separately; substitute days off, observed and extended days are dropped,
    and so is a holiday on the day after another (the second day of Chinese
    New Year, Boxing Day): its buying window is the first day's. An unsupported
    country gives nothing."""
    try:
        days = holidays.country_holidays(country, years=list(years), language="en_US", observed=False)
    except NotImplementedError:
        return []
    first = {}
    for day, names in sorted(days.items()):
        if day - timedelta(days=1) in days:
            continue
        for name in names.split("; "):
            if not _NOT_AN_OCCASION.search(name):
                first.setdefault((holiday_code(country, name), day.year), (day, name))
    return [(code, year, day, name) for (code, year), (day, name) in first.items()]


def occasion_calendar(years, countries=()) -> pa.Table:
    """Every occasion date in `years`: columns as `CALENDAR`, day as a day number.

    Global occasions have country ''. Public holidays of each ISO-2 country are
    added, except within a day of a global occasion (US Christmas Day, China's
    New Year's Eve): their buying window is the global occasion's."""
    rows, taken = [], set()
    for year in years:
        for code in GLOBAL_OCCASIONS:
            day = occasion_date(code, year)
            if day is not None:
                rows.append((code, "", year, day_number(day), OCCASION_NAMES[code]))
                taken.update(day + timedelta(days=shift) for shift in (-1, 0, 1))
    for country in sorted({c.upper() for c in countries if c}):
        for code, year, day, name in public_holidays(country, years):
            if day not in taken:
                rows.append((code, country, year, day_number(day), name))
    columns = list(zip(*rows)) if rows else [[] for _ in CALENDAR]
    return pa.Table.from_pydict(dict(zip(CALENDAR.names, columns)), schema=CALENDAR)


def occasion_names(calendar: pa.Table) -> dict:
    """code -> English name for every occasion of a calendar, plus the birthday."""
    names = dict(zip(calendar.column("occasion").to_pylist(), calendar.column("name").to_pylist()))
    return {**names, "birthday": OCCASION_NAMES["birthday"]}


def _purchase() -> str:
    return "status IN ({})".format(", ".join(f"'{s}'" for s in PURCHASE_STATUSES))


def _shopping_days(calendar: pa.Table, as_of_day: int, window_days: int) -> pa.Table:
    """Every day of every past occasion's buying window: occasion, country,
    year, day (the `window_days` days ending the day before the occasion)."""
    rows = [
        (occasion, country, year, day - back)
        for occasion, country, year, day in zip(*(calendar.column(c).to_pylist() for c in CALENDAR.names[:4]))
        if day <= as_of_day
        for back in range(1, window_days + 1)
    ]
    names = ["occasion", "country", "year", "day"]
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    types = [pa.string(), pa.string(), pa.int32(), pa.int32()]
    return pa.Table.from_arrays([pa.array(c, t) for c, t in zip(columns, types)], names=names)


def _binomial_coefficients(most: int = 64) -> pa.Table:
    """n, j, C(n, j) for n up to `most` windows (years of history)."""
    n, j, c = zip(*((n, j, float(math.comb(n, j))) for n in range(most + 1) for j in range(n + 1)))
    return pa.Table.from_pydict({"n": pa.array(n, pa.int64()), "j": pa.array(j, pa.int64()), "c": pa.array(c)})


def _birthday_days(as_of_day: int) -> pa.Table:
    """month, dom -> day number in this year and the next; a 29 February
    birthday falls on the 28th in other years."""
    rows = []
    for year in (day_date(as_of_day).year, day_date(as_of_day).year + 1):
        first = day_number(date(year, 1, 1))
        for day in range(first, day_number(date(year + 1, 1, 1))):
            rows.append((day_date(day).month, day_date(day).day, day))
        if not isleap(year):
            rows.append((2, 29, day_number(date(year, 2, 28))))
    month, dom, day = zip(*rows)
    columns = {"month": month, "dom": dom, "day": day}
    return pa.Table.from_pydict({name: pa.array(values, pa.int32()) for name, values in columns.items()})


def upcoming_sql(as_of_day: int, window_days: int, min_years: int, max_chance: float, horizon_days: int) -> str:
    """Flagged (customer, occasion) pairs with their next date, then birthdays.

    Most (customer, occasion) pairs hold a single year; `spread` drops them
    with a plain MIN/MAX before the costlier distinct count.

    chance = P(at least `hit_years` of the customer's `windows` contain a
    purchase) when purchases fall at the customer's rate outside those windows:
    sum over j >= hits of C(n, j) p^j (1 - p)^(n - j), p = 1 - exp(-rate * w).
    """
    as_of, w, until = int(as_of_day), int(window_days), int(as_of_day) + int(horizon_days)
    return f"""
        WITH d AS (SELECT customer_id, day FROM orders WHERE {_purchase()} AND day <= {as_of}),
        span AS (SELECT customer_id, MIN(day) AS first_day, COUNT(*) AS purchases FROM d GROUP BY customer_id),
        place AS (SELECT customer_id, country FROM customers WHERE country IS NOT NULL AND country <> ''),
        local_days AS (
            SELECT customer_id, day, '' AS country FROM d
            UNION ALL
            SELECT d.customer_id, d.day, UPPER(p.country) FROM d JOIN place p ON p.customer_id = d.customer_id
        ),
        hit AS (
            SELECT l.customer_id, s.occasion, s.year, l.day
            FROM local_days l JOIN shopping s ON s.day = l.day AND s.country = l.country
        ),
        spread AS (
            SELECT customer_id, occasion FROM hit GROUP BY customer_id, occasion
            HAVING MAX(year) - MIN(year) + 1 >= {int(min_years)}
        ),
        seen AS (
            SELECT h.customer_id, h.occasion, COUNT(DISTINCT h.year) AS hit_years, COUNT(*) AS window_purchases,
                   MAX(h.day) AS last_day_before, LIST(DISTINCT h.year ORDER BY h.year) AS years
            FROM hit h JOIN spread s ON s.customer_id = h.customer_id AND s.occasion = h.occasion
            GROUP BY h.customer_id, h.occasion
            HAVING COUNT(DISTINCT h.year) >= {int(min_years)}
        ),
        exposed AS (
            SELECT e.customer_id, e.occasion, COUNT(*) AS windows
            FROM seen e JOIN span s ON s.customer_id = e.customer_id
            JOIN calendar c ON c.occasion = e.occasion AND c.day <= {as_of} AND c.day - 1 >= s.first_day
            GROUP BY e.customer_id, e.occasion
        ),
        rated AS (
            SELECT e.*, x.windows,
                   1 - EXP(-{w} * (s.purchases - e.window_purchases)
                           / GREATEST({as_of} - s.first_day + 1 - x.windows * {w}, {w})) AS p
            FROM seen e
            JOIN exposed x ON x.customer_id = e.customer_id AND x.occasion = e.occasion
            JOIN span s ON s.customer_id = e.customer_id
        ),
        tested AS (
            SELECT r.customer_id, r.occasion, ANY_VALUE(r.years) AS years,
                   ANY_VALUE(r.last_day_before) AS last_day_before,
                   SUM(k.c * POWER(r.p, k.j) * POWER(1 - r.p, k.n - k.j)) AS chance
            FROM rated r JOIN coefficients k ON k.n = r.windows AND k.j >= r.hit_years
            GROUP BY r.customer_id, r.occasion
        ),
        upcoming AS (
            SELECT occasion, MIN(day) AS next_day FROM calendar
            WHERE day > {as_of} AND day <= {until} GROUP BY occasion
        )
        SELECT t.customer_id, t.occasion, u.next_day, t.years, t.last_day_before, t.chance
        FROM tested t JOIN upcoming u ON u.occasion = t.occasion
        WHERE t.chance <= {float(max_chance)}
        UNION ALL
        SELECT c.customer_id, 'birthday', MIN(b.day), CAST([] AS INTEGER[]), CAST(NULL AS INTEGER), CAST(NULL AS DOUBLE)
        FROM customers c JOIN birthdays b ON b.month = month(c.birthday) AND b.dom = dayofmonth(c.birthday)
        WHERE b.day > {as_of} AND b.day <= {until}
        GROUP BY c.customer_id
    """


def upcoming_occasions(
    engine,
    orders: pa.Table,
    customers: pa.Table,
    as_of_day: int,
    window_days: int = 21,
    min_years: int = 2,
    horizon_days: int = 366,
    *,
    max_chance: float = 0.05,
    calendar: pa.Table | None = None,
) -> pa.Table:
    """Customers who keep buying before an occasion, and every known birthday.

    Columns as `UPCOMING`: next_day is the occasion's first date after
    as_of_day (rows whose next date is beyond `horizon_days` are left out),
    years the occasion years (ascending) whose window held a purchase,
    last_day_before the latest such purchase day, chance the test's value
    (smaller is surer). Birthdays have empty years and null last_day_before
    and chance. `calendar` defaults to `occasion_calendar` over the years of
    the orders and the next, for the countries of the customers.
    """
    as_of = int(as_of_day)
    if calendar is None:
        calendar = _calendar_for(engine, orders, customers, as_of, horizon_days)
    sql = upcoming_sql(as_of, window_days, min_years, max_chance, horizon_days)
    table = engine.query(
        sql + " ORDER BY customer_id, occasion",
        orders=orders,
        customers=customers,
        calendar=calendar.select(["occasion", "country", "year", "day"]),
        shopping=_shopping_days(calendar, as_of, window_days),
        coefficients=_binomial_coefficients(),
        birthdays=_birthday_days(as_of),
    )
    return table.cast(UPCOMING)


def _calendar_for(engine, orders, customers, as_of_day, horizon_days) -> pa.Table:
    """The occasion calendar from the first order's year to the horizon, for
    the customers' countries."""
    first = engine.query("SELECT MIN(day) AS day FROM orders", orders=orders).column("day")[0].as_py()
    start = day_date(first if first is not None else as_of_day).year
    end = day_date(as_of_day + horizon_days).year
    countries = engine.query("SELECT DISTINCT country FROM customers", customers=customers).column("country")
    return occasion_calendar(range(start, end + 1), [c for c in countries.to_pylist() if c])
