"""Where customers live: country mix, time zones, currencies and phone numbers.

Phone prefixes were checked with the `phonenumbers` package: every number the
generator builds from them is a *valid* mobile number for its country (many
"fictional" ranges such as US 555-01xx or UK 07700 900xxx are not).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Zone:
    time_zone: str
    weight: float
    # Standard-time offset from UTC in hours; only used to place orders at
    # plausible local hours, so daylight saving time is ignored.
    utc_offset: float
    # National number prefixes (after the country code) and how many random
    # digits follow them.
    phone_prefixes: tuple
    phone_digits: int


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    currency: str
    calling_code: str
    # Share of customers from this country who write in Chinese and carry
    # Chinese names (locale zh-hans); the rest use English.
    chinese_share: float
    zones: tuple
    channels: tuple  # preferred-channel weights: web, app, marketplace, wechat, store


CHANNELS = ("web", "app", "marketplace", "wechat", "store")
_CN_MOBILE = tuple("130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
                   "176 177 180 181 182 183 185 186 187 188 189 199".split())
_ASIA_CHANNELS = (0.25, 0.30, 0.30, 0.05, 0.10)
_WEST_CHANNELS = (0.45, 0.25, 0.22, 0.0, 0.08)

COUNTRIES = (
    Country("CN", 0.60, "CNY", "86", 1.0,
            (Zone("Asia/Shanghai", 1.0, 8, _CN_MOBILE, 8),), (0.10, 0.30, 0.30, 0.25, 0.05)),
    Country("TW", 0.05, "TWD", "886", 0.9, (Zone("Asia/Taipei", 1.0, 8, ("90", "91", "92", "93", "95",
                                                                         "96", "97", "98"), 7),), _ASIA_CHANNELS),
    Country("HK", 0.05, "HKD", "852", 0.9, (Zone("Asia/Hong_Kong", 1.0, 8, ("510", "521", "532", "541", "612",
                                                                            "634", "656", "681", "912", "934",
                                                                            "961"), 5),), _ASIA_CHANNELS),
    Country("SG", 0.04, "SGD", "65", 0.6, (Zone("Asia/Singapore", 1.0, 8, ("81", "82", "83", "85", "87",
                                                                           "90", "91", "93", "96", "98"), 6),),
            _ASIA_CHANNELS),
    Country("US", 0.08, "USD", "1", 0.05, (
        Zone("America/New_York", 0.45, -5, ("212", "646", "718", "917", "617", "305", "404", "202"), 7),
        Zone("America/Chicago", 0.28, -6, ("312", "773", "713", "214", "512"), 7),
        Zone("America/Denver", 0.07, -7, ("303", "801", "602"), 7),
        Zone("America/Los_Angeles", 0.20, -8, ("415", "310", "213", "206", "503", "408"), 7)), _WEST_CHANNELS),
    Country("GB", 0.04, "GBP", "44", 0.03, (Zone("Europe/London", 1.0, 0, ("7912", "7923", "7934", "7947",
                                                                          "7958", "7712", "7745", "7834"), 6),),
            _WEST_CHANNELS),
    Country("DE", 0.03, "EUR", "49", 0.02, (Zone("Europe/Berlin", 1.0, 1, ("151", "152", "160", "170", "171",
                                                                          "176", "177"), 8),), _WEST_CHANNELS),
    Country("AU", 0.03, "AUD", "61", 0.05, (
        Zone("Australia/Sydney", 0.6, 10, ("400", "412", "421", "433", "455"), 6),
        Zone("Australia/Melbourne", 0.3, 10, ("401", "413", "423", "438"), 6),
        Zone("Australia/Perth", 0.1, 8, ("404", "417", "427"), 6)), _WEST_CHANNELS),
    Country("CA", 0.03, "CAD", "1", 0.05, (
        Zone("America/Toronto", 0.6, -5, ("416", "647", "613", "514"), 7),
        Zone("America/Vancouver", 0.4, -8, ("604", "778"), 7)), _WEST_CHANNELS),
    Country("JP", 0.02, "JPY", "81", 0.02, (Zone("Asia/Tokyo", 1.0, 9, ("901", "905", "908", "803", "806"), 7),),
            _ASIA_CHANNELS),
    Country("MY", 0.03, "MYR", "60", 0.3, (Zone("Asia/Kuala_Lumpur", 1.0, 8, ("12", "16", "19"), 7),),
            _ASIA_CHANNELS),
)

_ZONES = [(country_no, zone) for country_no, c in enumerate(COUNTRIES) for zone in c.zones]


def draw_countries(rng, n):
    """Country and zone number per customer (indexes into COUNTRIES and zones())."""
    weights = np.array([COUNTRIES[c].weight * z.weight for c, z in _ZONES])
    zone = rng.choice(len(_ZONES), size=n, p=weights / weights.sum())
    country = np.array([c for c, _ in _ZONES])[zone]
    return country, zone


def zones():
    return [zone for _, zone in _ZONES]


def country_column(country, attribute):
    """An attribute of each customer's country (e.g. "code", "currency") as strings."""
    return np.array([getattr(c, attribute) for c in COUNTRIES])[country]


def utc_offsets(zone):
    return np.array([z.utc_offset for z in zones()])[zone]


def draw_phones(rng, zone):
    """E.164 mobile numbers matching each customer's zone (one loop per zone)."""
    phones = np.empty(len(zone), dtype=object)
    for zone_no, (country_no, z) in enumerate(_ZONES):
        mine = np.flatnonzero(zone == zone_no)
        if not len(mine):
            continue
        prefix = np.array(z.phone_prefixes)[rng.integers(0, len(z.phone_prefixes), len(mine))]
        rest = rng.integers(0, 10 ** z.phone_digits, len(mine))
        if z.phone_digits == 7 and COUNTRIES[country_no].calling_code == "1":
            # North American exchanges start with 2-9 and are never N11.
            rest = _nanp_subscriber(rng, len(mine))
        digits = np.strings.zfill(rest.astype(str), z.phone_digits)
        phones[mine] = np.strings.add(np.strings.add("+" + COUNTRIES[country_no].calling_code, prefix), digits)
    return phones.astype(str)


def _nanp_subscriber(rng, n):
    exchange = rng.integers(200, 1000, n)
    exchange = np.where(exchange % 100 == 11, exchange + 1, exchange)
    return exchange * 10_000 + rng.integers(0, 10_000, n)


def draw_channel_preference(rng, country):
    """Each customer's usual sales channel, by country habits (WeChat in China...)."""
    choice = np.empty(len(country), dtype=np.int8)
    for country_no, c in enumerate(COUNTRIES):
        mine = np.flatnonzero(country == country_no)
        weights = np.array(c.channels)
        choice[mine] = rng.choice(len(CHANNELS), size=len(mine), p=weights / weights.sum())
    return choice
