"""The true parameters of the simulated shop, in one place.

Everything the analytics should later recover (BG/NBD, Gamma-Gamma, the share of
seasonal gift buyers...) is a field here, and `truth.json` is written from it, so
the file and the simulation can never disagree.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone

DEFAULT_END = date(2026, 10, 31)
# Shorter windows leave no room for repeat purchases or the acquisition tail.
MIN_WINDOW_DAYS = 30
CUSTOMERS_PER_CHUNK = 50_000


@dataclass(frozen=True)
class BGNBD:
    """Purchase frequency and dropout, time unit days (Fader, Hardie & Lee 2005).

    lambda ~ Gamma(shape=r, rate=alpha) per customer, p ~ Beta(a, b);
    after each repeat purchase the customer drops out with probability p.
    Mean rate r/alpha = 1/125 per day (about 3 orders a year while active).
    """

    r: float = 0.6
    alpha: float = 75.0
    a: float = 0.85
    b: float = 2.5


@dataclass(frozen=True)
class GammaGamma:
    """Order value in CNY (Fader, Hardie & Lee 2005, "RFM and CLV").

    nu ~ Gamma(shape=q, rate=v) per customer, each order's value z ~ Gamma(shape=p,
    rate=nu), so a customer's mean order value is p/nu and the shop-wide mean is
    p*v/(q-1) = 4*180/2.8 ~ 257 CNY.
    """

    p: float = 4.0
    q: float = 3.8
    v: float = 180.0


@dataclass(frozen=True)
class Seasons:
    """Seasonal gift buyers: extra orders in the weeks before yearly occasions."""

    gift_buyer_share: float = 0.08
    # Each gift buyer cares about each occasion with this probability (at least one).
    occasion_share: float = 0.6
    # ... and buys for it in a given year, while still a customer, with this one.
    purchase_probability: float = 0.85
    days_before: tuple = (7, 21)


@dataclass(frozen=True)
class ShopParameters:
    bgnbd: BGNBD = field(default_factory=BGNBD)
    gamma_gamma: GammaGamma = field(default_factory=GammaGamma)
    seasons: Seasons = field(default_factory=Seasons)
    # New customers arrive until this many days before the end, more of them
    # later on (first-purchase day ~ Beta(acquisition_growth, 1) over the span).
    acquisition_tail_days: int = 14
    acquisition_growth: float = 1.3
    # Extra lines per order beyond the first ~ Poisson(extra_lines), capped.
    extra_lines: float = 0.8
    max_lines: int = 6
    # An order holding a planted anchor product also holds its partner this often.
    pair_probability: float = 0.7
    # Share of orders preceded by a cancelled attempt (not part of BG/NBD).
    cancelled_share: float = 0.03
    refunded_share: float = 0.02
    # Orders this recent may still be unshipped ("paid").
    unshipped_days: float = 3.0
    phone_share: float = 0.9
    # Abandoned carts and browse-only sessions per order placed.
    abandoned_carts_per_order: float = 0.3
    browse_sessions_per_order: float = 0.3
    # A cart counts as abandoned only if no order follows within this window.
    abandonment_days: float = 3.0

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class Window:
    """The observation window: [start 00:00 UTC, end + 1 day 00:00 UTC)."""

    start: date
    end: date

    @classmethod
    def parse(cls, start=None, end=None):
        end = _as_date(end) or DEFAULT_END
        start = _as_date(start) or default_start(end)
        if (end - start).days + 1 < MIN_WINDOW_DAYS:
            raise ValueError(f"the window {start}..{end} must span at least {MIN_WINDOW_DAYS} days")
        return cls(start, end)

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def start_epoch(self):
        """Seconds since 1970 of the window's first instant."""
        return int(datetime.combine(self.start, datetime.min.time(), timezone.utc).timestamp())

    @property
    def end_instant(self):
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time(), timezone.utc)


def default_start(end):
    """Three years before `end`: long enough for repeat purchases and occasions."""
    return _years_before(end, 3)


def _as_date(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
