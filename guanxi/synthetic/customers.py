"""Customer profiles: who they are (names, contact, country) and what they like.

`draw_people` makes the hidden traits the purchase simulation needs (zone,
usual channel, favourite categories, gift interest); `customer_columns` turns
them into the rows of customers.csv once the first order time is known.
"""

from dataclasses import dataclass

import numpy as np

from guanxi.synthetic import formatting as fmt
from guanxi.synthetic import geography, names, seasons

CUSTOMER_COLUMNS = ("customer_id", "email", "phone", "first_name", "last_name", "full_name", "gender", "birthday",
                    "occupation", "interests", "locale", "country", "time_zone", "currency", "tags", "created_at",
                    "email_consent", "sms_consent")
OCCUPATIONS = ("engineer", "teacher", "student", "designer", "nurse", "accountant", "sales manager",
               "civil servant", "entrepreneur", "doctor", "retired", "marketing specialist", "lawyer",
               "freelancer", "homemaker")
EXTRA_INTERESTS = ("travel", "photography", "music", "gaming", "outdoors", "cooking", "fitness", "reading")
# tag, share of customers carrying it (China-only tags are handled below)
TAGS = (("newsletter", 0.3), ("wholesale", 0.02), ("influencer", 0.01), ("staff", 0.005))


@dataclass
class People:
    country: np.ndarray
    zone: np.ndarray
    utc_offset: np.ndarray
    chinese: np.ndarray  # zh-hans locale and a Chinese name
    female: np.ndarray
    channel: np.ndarray  # usual channel (index into CHANNELS)
    favourites: np.ndarray  # (n, 2) favourite category numbers
    gift_buyer: np.ndarray
    gift_occasions: np.ndarray  # (n, occasions) bool


def draw_people(rng, n, catalogue, params):
    country, zone = geography.draw_countries(rng, n)
    chinese_share = np.array([c.chinese_share for c in geography.COUNTRIES])[country]
    weights = np.array([1.2, 1.0, 1.0, 0.9, 0.6, 0.8, 0.9, 1.0, 1.2, 0.8, 0.5, 0.6])[:len(catalogue.categories)]
    favourites = rng.choice(len(catalogue.categories), size=(n, 2), p=weights / weights.sum())
    gift_buyer, occasions = seasons.draw_gift_buyers(rng, n, params.seasons)
    return People(country, zone, geography.utc_offsets(zone), rng.random(n) < chinese_share,
                  rng.random(n) < 0.58, geography.draw_channel_preference(rng, country), favourites,
                  gift_buyer, occasions)


def customer_columns(rng, people, first_position, customers, first_order_epoch, window, catalogue, params):
    """The customers.csv columns (Arrow string arrays) for one chunk."""
    n = len(people.country)
    position = first_position + np.arange(n)
    last, first, full, mail = _names_and_emails(rng, people, position, customers)
    phone = geography.draw_phones(rng, people.zone)
    has_phone = rng.random(n) < params.phone_share
    created = first_order_epoch - (60 + rng.exponential(1.5 * 86400, n)).astype(np.int64)
    return {
        "customer_id": customer_ids(position), "email": fmt.text(mail),
        "phone": fmt.blank_where(fmt.text(phone), ~has_phone),
        "first_name": fmt.text(first), "last_name": fmt.text(last), "full_name": fmt.text(full),
        "gender": fmt.text(_genders(rng, people)), "birthday": _birthdays(rng, n, window),
        "occupation": fmt.blank_where(fmt.text(np.array(OCCUPATIONS)[rng.integers(0, len(OCCUPATIONS), n)]),
                                      rng.random(n) < 0.4),
        "interests": fmt.text(_interests(rng, people, catalogue)),
        "locale": fmt.text(np.where(people.chinese, "zh-hans", "en")),
        "country": fmt.text(geography.country_column(people.country, "code")),
        "time_zone": fmt.text(np.array([z.time_zone for z in geography.zones()])[people.zone]),
        "currency": fmt.text(geography.country_column(people.country, "currency")),
        "tags": fmt.text(_tags(rng, people)), "created_at": fmt.timestamps(created),
        "email_consent": fmt.text(_consent(rng, n, (0.55, 0.25, 0.2))),
        "sms_consent": fmt.blank_where(fmt.text(_consent(rng, n, (0.35, 0.35, 0.3))), ~has_phone),
    }


def customer_ids(position):
    return fmt.codes("C", position + 1, 7)


def _names_and_emails(rng, people, position, customers):
    asian = np.isin(geography.country_column(people.country, "code"), ["SG", "MY", "HK", "TW"])
    zh_last, zh_first, py_last, py_first = names.chinese_names(rng, people.female)
    en_last, en_first = names.english_names(rng, people.female, asian)
    zh = people.chinese
    last, first = np.where(zh, zh_last, en_last), np.where(zh, zh_first, en_first)
    # Chinese order without a space (王芳); English "Emma Smith".
    full = np.where(zh, np.strings.add(zh_last, zh_first), np.strings.add(np.strings.add(en_first, " "), en_last))
    mail = names.emails(rng, position, np.where(zh, py_first, en_first), np.where(zh, py_last, en_last), zh,
                        customers)
    return last, first, full, mail


def _genders(rng, people):
    gender = np.where(people.female, "female", "male")
    # Some customers never say.
    return np.where(rng.random(len(gender)) < 0.08, "unknown", gender)


def _birthdays(rng, n, window):
    """Ages 18-80, mostly 25-45; a quarter of customers never give a birthday."""
    age_days = (18 + np.minimum(rng.gamma(4.0, 4.5, n), 62)) * 365.25
    end_epoch_day = window.start_epoch // 86400 + window.days
    born = (end_epoch_day - age_days).astype(np.int64)
    return fmt.blank_where(fmt.dates(born), rng.random(n) < 0.25)


def _interests(rng, people, catalogue):
    """The favourite category's interest, sometimes another hobby; ~20% blank."""
    n = len(people.country)
    main = catalogue.interests()[people.favourites[:, 0]]
    extra = np.array(EXTRA_INTERESTS)[rng.integers(0, len(EXTRA_INTERESTS), n)]
    both = np.strings.add(np.strings.add(main, ";"), extra)
    out = np.where((rng.random(n) < 0.4) & (extra != main), both, main)
    return np.where(rng.random(n) < 0.2, "", out)


def _tags(rng, people):
    n = len(people.country)
    tags = np.full(n, "", dtype=object)
    china = geography.country_column(people.country, "code") == "CN"
    rows = [(name, rng.random(n) < share) for name, share in TAGS]
    rows.insert(1, ("wechat_follower", china & (rng.random(n) < 0.4)))
    for name, has in rows:
        tags[has] = np.where(tags[has] == "", name, tags[has] + ";" + name)
    return tags.astype(str)


def _consent(rng, n, shares):
    return np.array(["yes", "no", ""])[rng.choice(3, size=n, p=shares)]
