"""The synthetic shop: deterministic, internally consistent, and carrying the
structure (BG/NBD timing, co-purchase pairs, gift seasons) its truth file claims.

No database: these tests only read the generated files.
"""

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import phonenumbers
import pyarrow.parquet as pq
import pytest

from guanxi.synthetic import generate_shop

CUSTOMERS = 2000
SEED = 7
TABLES = ("customers", "products", "orders", "returns", "events", "truth_customers")
CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def read_csv(directory, name):
    with open(directory / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, CUSTOMERS, SEED, progress=False)
    return directory


@pytest.fixture(scope="module")
def shop(shop_dir):
    data = {name: read_csv(shop_dir, name) for name in TABLES}
    data["truth"] = json.loads((shop_dir / "truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def orders(shop):
    """order_id -> its lines, in file order."""
    grouped = defaultdict(list)
    for line in shop["orders"]:
        grouped[line["order_id"]].append(line)
    return grouped


def when(text):
    return datetime.fromisoformat(text)


# Determinism -------------------------------------------------------------------------------------

def test_the_same_seed_gives_byte_identical_files(shop_dir, tmp_path):
    generate_shop(tmp_path, CUSTOMERS, SEED, progress=False)
    for name in [f"{t}.csv" for t in TABLES] + ["truth.json"]:
        assert (tmp_path / name).read_bytes() == (shop_dir / name).read_bytes(), name


def test_another_seed_gives_different_files(shop_dir, tmp_path):
    generate_shop(tmp_path, CUSTOMERS, SEED + 1, progress=False)
    for name in ("customers.csv", "orders.csv", "events.csv"):
        assert (tmp_path / name).read_bytes() != (shop_dir / name).read_bytes(), name


def test_csv_and_parquet_hold_the_same_rows(shop_dir, tmp_path):
    generate_shop(tmp_path, CUSTOMERS, SEED, fmt="parquet", progress=False)
    for name in TABLES:
        with open(shop_dir / f"{name}.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.column_names == rows[0], name
        assert [list(r.values()) for r in table.to_pylist()] == rows[1:], name


# Consistency between the files ---------------------------------------------------------------------

def test_the_customers_file_has_one_row_per_customer_with_unique_ids_and_emails(shop):
    customers = shop["customers"]
    assert len(customers) == CUSTOMERS == shop["truth"]["customers"]
    assert customers[0]["customer_id"] == "C0000001"
    assert len({c["customer_id"] for c in customers}) == CUSTOMERS
    emails = [c["email"] for c in customers]
    assert len(set(emails)) == CUSTOMERS and all(e == e.lower() and "@" in e for e in emails)


def test_every_order_line_references_an_existing_customer_and_product(shop):
    customers = {c["customer_id"]: c["email"] for c in shop["customers"]}
    products = {p["sku"]: p for p in shop["products"]}
    assert 150 <= len(products) <= 250 and len({p["category"] for p in products.values()}) == 12
    for line in shop["orders"]:
        assert customers[line["customer_id"]] == line["customer_email"]
        product = products[line["sku"]]
        assert (line["product_name"], line["unit_price"], line["currency"]) == (
            product["name"], product["price"], "CNY")


def test_order_totals_equal_the_sum_of_their_lines_exactly(orders):
    for order_id, lines in orders.items():
        expected = sum(Decimal(line["quantity"]) * Decimal(line["unit_price"]) for line in lines)
        assert {line["total"] for line in lines} == {f"{expected:.2f}"}, order_id
        assert len({(l["customer_id"], l["ordered_at"], l["status"], l["channel"]) for l in lines}) == 1


def test_lines_of_an_order_are_adjacent(shop, orders):
    runs = [line["order_id"] for i, line in enumerate(shop["orders"])
            if i == 0 or line["order_id"] != shop["orders"][i - 1]["order_id"]]
    assert len(runs) == len(set(runs)) == len(orders) == shop["truth"]["orders"]
    assert len(shop["orders"]) == shop["truth"]["order_lines"]
    assert 1.5 <= len(shop["orders"]) / len(orders) <= 3


def test_returns_reference_delivered_order_lines_and_never_exceed_their_value(shop, orders):
    returns = shop["returns"]
    assert 0.02 < len(returns) / len(shop["orders"]) < 0.08
    for ret in returns:
        matching = [l for l in orders.get(ret["order_id"], []) if l["sku"] == ret["sku"]]
        assert len(matching) == 1, ret["return_id"]
        line = matching[0]
        assert line["status"] == "fulfilled"
        assert 1 <= int(ret["quantity"]) <= int(line["quantity"])
        assert Decimal("0") < Decimal(ret["amount"]) <= int(ret["quantity"]) * Decimal(line["unit_price"])
        assert when(line["ordered_at"]) < when(ret["returned_at"]) < when(shop["truth"]["observation_end"])
    assert len({r["return_id"] for r in returns}) == len(returns)


def test_statuses_channels_and_profile_fields_take_their_documented_values(shop, orders):
    statuses = Counter(lines[0]["status"] for lines in orders.values())
    assert set(statuses) <= {"paid", "fulfilled", "cancelled", "refunded"}
    assert statuses["fulfilled"] > 0.85 * len(orders)
    assert {lines[0]["channel"] for lines in orders.values()} == {"web", "app", "marketplace", "wechat", "store"}
    customers = shop["customers"]
    assert {c["gender"] for c in customers} == {"female", "male", "unknown"}
    assert {c["email_consent"] for c in customers} == {"yes", "no", ""}
    assert {c["country"] for c in customers} == {"CN", "TW", "HK", "SG", "US", "GB", "DE", "AU", "CA", "JP", "MY"}
    for c in customers:
        assert c["birthday"] == "" or date.fromisoformat(c["birthday"]) < date(2010, 1, 1)
        assert c["phone"] or c["sms_consent"] == ""


def test_timestamps_are_iso_8601_in_utc(shop):
    stamps = ([c["created_at"] for c in shop["customers"]] + [l["ordered_at"] for l in shop["orders"]]
              + [r["returned_at"] for r in shop["returns"]] + [e["occurred_at"] for e in shop["events"]])
    for stamp in stamps:
        assert when(stamp).utcoffset() == timedelta(0), stamp


def test_customers_join_before_their_first_order(shop):
    first = {}
    for line in shop["orders"]:
        ordered = when(line["ordered_at"])
        first[line["customer_id"]] = min(first.get(line["customer_id"], ordered), ordered)
    assert len(first) == CUSTOMERS
    assert all(when(c["created_at"]) <= first[c["customer_id"]] for c in shop["customers"])


# Names and contact points --------------------------------------------------------------------------

def test_chinese_customers_have_chinese_names_and_the_others_english_ones(shop):
    by_locale = Counter(c["locale"] for c in shop["customers"])
    assert set(by_locale) == {"zh-hans", "en"} and by_locale["zh-hans"] > by_locale["en"]
    for c in shop["customers"]:
        if c["locale"] == "zh-hans":
            assert CJK.match(c["full_name"]) and c["full_name"] == c["last_name"] + c["first_name"]
        else:
            assert c["full_name"] == f"{c['first_name']} {c['last_name']}" and c["full_name"].isascii()


def test_every_phone_is_a_valid_e164_number_of_the_customers_country(shop):
    with_phone = [c for c in shop["customers"] if c["phone"]]
    assert 0.85 < len(with_phone) / CUSTOMERS < 0.95
    for c in with_phone:
        number = phonenumbers.parse(c["phone"])
        assert phonenumbers.is_valid_number(number), c["phone"]
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == c["phone"]
        assert phonenumbers.region_code_for_number(number) == c["country"], c["phone"]


# The planted structure -----------------------------------------------------------------------------

def test_planted_pairs_are_bought_together_far_more_often_than_by_chance(shop, orders):
    baskets = [{line["sku"] for line in lines} for lines in orders.values()]
    bought = Counter(sku for basket in baskets for sku in basket)
    pairs = shop["truth"]["co_purchase_pairs"]
    assert len(pairs) == 20
    together_all = chance_all = 0.0
    for anchor, partner in pairs:
        together = sum(1 for basket in baskets if anchor in basket and partner in basket)
        chance = bought[anchor] * bought[partner] / len(baskets)
        together_all, chance_all = together_all + together, chance_all + chance
        if bought[anchor] >= 10:
            assert together >= 5 * chance, (anchor, partner, together, chance)
    assert together_all >= 10 * chance_all


def expected_repeat_purchases(r, alpha, a, b, t):
    """BG/NBD E[X(t)] (Fader, Hardie & Lee 2005, eq. 9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def hyp2f1(a, b, c, z):
    try:
        from scipy.special import hyp2f1 as scipy_hyp2f1
    except ImportError:  # scipy is not a dependency of the generator: sum the series
        term, total = np.ones_like(z), np.ones_like(z)
        for n in range(20_000):
            term = term * (a + n) * (b + n) / ((c + n) * (n + 1)) * z
            total += term
            if np.all(np.abs(term) < 1e-13 * total):
                break
        return total
    return scipy_hyp2f1(a, b, c, z)


def test_the_series_fallback_agrees_with_known_values():
    # 2F1(1, 1; 2; z) = -ln(1 - z) / z
    z = np.array([0.1, 0.5, 0.9])
    assert np.allclose(hyp2f1(1.0, 1.0, 2.0, z), -np.log1p(-z) / z, rtol=1e-9)


def stationary_repeat_counts(order_rows, truth_rows, observation_end):
    """(repeat purchases, days observed) of customers without seasonal gift orders."""
    gift = {t["customer_id"] for t in truth_rows if t["gift_buyer"] == "yes"}
    seen, first, count = set(), {}, Counter()
    for line in order_rows:
        if line["order_id"] in seen or line["status"] == "cancelled" or line["customer_id"] in gift:
            continue
        seen.add(line["order_id"])
        ordered = when(line["ordered_at"])
        first[line["customer_id"]] = min(first.get(line["customer_id"], ordered), ordered)
        count[line["customer_id"]] += 1
    ids = sorted(first)
    repeats = np.array([count[i] - 1 for i in ids], float)
    days = np.array([(observation_end - first[i]).total_seconds() / 86400 for i in ids])
    return repeats, days


def assert_bgnbd_mean_matches(repeats, days, truth):
    bg = truth["bgnbd"]
    expected = expected_repeat_purchases(bg["r"], bg["alpha"], bg["a"], bg["b"], days).mean()
    standard_error = repeats.std() / np.sqrt(len(repeats))
    assert abs(repeats.mean() - expected) < 4 * standard_error, (repeats.mean(), expected, standard_error)
    assert 1.0 < expected < 3.5


def test_repeat_purchases_match_the_bgnbd_expectation(shop):
    truth = shop["truth"]
    repeats, days = stationary_repeat_counts(shop["orders"], shop["truth_customers"], when(truth["observation_end"]))
    assert len(repeats) > 0.85 * CUSTOMERS
    assert_bgnbd_mean_matches(repeats, days, truth)


def test_truth_customers_agree_with_the_orders_of_non_gift_customers(shop):
    per_customer = Counter()
    for lines in {l["order_id"]: l for l in shop["orders"] if l["status"] != "cancelled"}.values():
        per_customer[lines["customer_id"]] += 1
    for t in shop["truth_customers"]:
        if t["gift_buyer"] == "no":
            assert int(t["repeat_purchases"]) == per_customer[t["customer_id"]] - 1
        assert (t["left_at"] == "") == (t["active_at_end"] == "yes")


def orders_before(order_rows, customer_ids, occasion_dates, days_before=(21, 7)):
    """Orders per customer placed 1-3 weeks before any of the occasion dates."""
    windows = [(date.fromisoformat(d) - timedelta(days=days_before[0]),
                date.fromisoformat(d) - timedelta(days=days_before[1])) for d in occasion_dates]
    seen, hits = set(), 0
    for line in order_rows:
        if line["customer_id"] in customer_ids and line["order_id"] not in seen:
            seen.add(line["order_id"])
            day = when(line["ordered_at"]).date()
            hits += any(low <= day <= high for low, high in windows)
    return hits / max(len(customer_ids), 1)


def test_gift_buyers_order_more_in_the_weeks_before_mothers_day(shop):
    mothers_days = shop["truth"]["seasonal"]["occasions"]["mothers_day"]
    assert all(date.fromisoformat(d).weekday() == 6 and date.fromisoformat(d).month == 5 for d in mothers_days)
    gift = {t["customer_id"] for t in shop["truth_customers"] if t["gift_buyer"] == "yes"}
    others = {t["customer_id"] for t in shop["truth_customers"]} - gift
    assert 0.05 < len(gift) / CUSTOMERS < 0.11
    assert orders_before(shop["orders"], gift, mothers_days) > 2 * orders_before(shop["orders"], others, mothers_days)


def test_abandoned_carts_are_never_followed_by_an_order_within_three_days(shop):
    order_times = defaultdict(list)
    for line in shop["orders"]:
        order_times[line["customer_id"]].append(when(line["ordered_at"]))
    sessions = defaultdict(list)
    for event in shop["events"]:
        sessions[event["session_id"]].append(event)
    skus = {p["sku"] for p in shop["products"]}
    abandoned = 0
    for events in sessions.values():
        assert len({e["customer_id"] for e in events}) == 1
        assert all(e["sku"] in skus or (e["event_type"] == "checkout_started" and e["sku"] == "") for e in events)
        if not any(e["event_type"] == "add_to_cart" for e in events):
            continue
        began = min(when(e["occurred_at"]) for e in events)
        followed = any(began <= t < began + timedelta(days=3) for t in order_times[events[0]["customer_id"]])
        abandoned += not followed
    assert abandoned == shop["truth"]["abandoned_carts"] > 0.05 * CUSTOMERS


def test_truth_json_records_the_true_parameters(shop):
    truth = shop["truth"]
    assert set(truth["bgnbd"]) == {"r", "alpha", "a", "b"} and set(truth["gamma_gamma"]) == {"p", "q", "v"}
    assert truth["time_unit"] == "days" and (truth["start"], truth["end"]) == ("2023-10-31", "2026-10-31")
    assert set(truth["seasonal"]["occasions"]) == {"mothers_day", "spring_festival", "double_11", "christmas"}
    realised = truth["realised"]
    # Catalogue prices only approximate the Gamma-Gamma targets, but closely on average.
    assert abs(realised["mean_order_value"] / realised["mean_target_value"] - 1) < 0.1


def test_generate_command_writes_the_files(tmp_path):
    from django.conf import settings

    if not settings.configured:
        pytest.skip("Django settings are not configured (run under pytest-django)")
    from django.core.management import call_command

    call_command("generate", "--customers", "50", "--out", str(tmp_path), "--no-progress", "--json")
    assert json.loads((tmp_path / "truth.json").read_text())["customers"] == 50
    assert len(read_csv(tmp_path, "customers")) == 50


@pytest.mark.slow
def test_a_larger_shop_matches_the_bgnbd_expectation_closely(tmp_path):
    summary = generate_shop(tmp_path, 50_000, 11, progress=False)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert summary["orders"] == truth["orders"] and 2.5 < truth["realised"]["orders_per_customer"] < 4
    repeats, days = stationary_repeat_counts(read_csv(tmp_path, "orders"), read_csv(tmp_path, "truth_customers"),
                                             when(truth["observation_end"]))
    assert_bgnbd_mean_matches(repeats, days, truth)
