"""Definitions are checked before anything runs: each problem is named with its path."""

import pytest

from guanxi.segments.exceptions import InvalidDefinition
from guanxi.segments.rules import clean_definition, describe
from guanxi.segments.tests.factories import make_segment_shop


def problems(definition):
    with pytest.raises(InvalidDefinition) as caught:
        clean_definition(definition)
    return {p["field"]: p["reason"] for p in caught.value.problems}


def one(**rule):
    return {"match": "all", "rules": [rule]}


def test_values_are_normalised():
    cleaned = clean_definition({"match": "any", "rules": [
        {"field": "country", "op": "in", "value": "cn, tw，TW"},
        {"field": "p_alive", "op": "gt", "value": "0.6"},
        {"field": "order_count", "op": "between", "value": ["1", 3.0]},
        {"field": "language", "op": "in", "value": ["ZH_Hans"]},
        {"field": "last_order", "op": "never", "value": "ignored"},
    ]})
    assert cleaned["rules"] == [
        {"field": "country", "op": "in", "value": ["CN", "TW"]},
        {"field": "p_alive", "op": "gt", "value": 0.6},
        {"field": "order_count", "op": "between", "value": [1, 3]},
        {"field": "language", "op": "in", "value": ["zh-hans"]},
        {"field": "last_order", "op": "never"},
    ]


@pytest.mark.parametrize(("definition", "field", "reason"), [
    ([], "definition", "expected a group"),
    ({"match": "some", "rules": []}, "match", 'must be "all" or "any"'),
    ({"match": "all", "rules": {}}, "rules", "expected a list"),
    ({"match": "all", "rules": [], "extra": 1}, "definition", "unknown keys: extra"),
    (one(field="shoe_size", op="gt", value=3), "rules.0.field", "unknown field 'shoe_size'"),
    (one(field="clv", op="in", value=[1]), "rules.0.op", "clv takes the operators eq, neq, gt, gte, lt, lte, between, not 'in'"),
    (one(field="clv", op="gt", value="lots"), "rules.0.value", "'lots' is not a number"),
    (one(field="clv", op="gt", value=float("nan")), "rules.0.value", "nan is not a number"),
    (one(field="clv", op="gt"), "rules.0.value", "a number is required"),
    (one(field="p_alive", op="gt", value=2), "rules.0.value", "must be between 0 and 1"),
    (one(field="clv", op="between", value=[5, 1]), "rules.0.value", "the low end 5 is above the high end 1"),
    (one(field="clv", op="between", value=5), "rules.0.value", "between needs two numbers [low, high]"),
    (one(field="country", op="in", value=["China"]), "rules.0.value", "'CHINA' is not valid here: Two-letter codes, e.g. CN, TW"),
    (one(field="country", op="in", value=[]), "rules.0.value", "choose at least one value"),
    (one(field="rfm_segment", op="in", value=["vip"]), "rules.0.value", "unknown value 'vip'; choose from"),
    (one(field="consent", op="granted", value="fax"), "rules.0.value", "choose a channel: email, phone, wechat, line, whatsapp"),
    (one(field="last_order", op="within_days", value=-1), "rules.0.value", "a number of days from 0 to 36500 is required"),
    (one(field="orders_in_window", op="gte", value=2), "rules.0.days", "a number of days from 1 to 36500 is required"),
    (one(field="clv", op="gt", value=1, days=3), "rules.0.days", "clv takes no number of days"),
    (one(field="name", op="contains", value="  "), "rules.0.value", "some text is required"),
    (one(field="bought_category", op="bought", value=["skincare"]), "rules.0.value", "expected category ids (whole numbers)"),
    ({"match": "all", "rules": [{"match": "any", "rules": ["clv > 3"]}]}, "rules.0.rules.0", "expected a rule"),
])
def test_invalid_definitions_name_the_rule_and_the_reason(definition, field, reason):
    found = problems(definition)
    assert field in found, found
    assert found[field].startswith(reason)


def test_every_problem_is_reported_at_once():
    found = problems({"match": "all", "rules": [
        {"field": "clv", "op": "gt", "value": "x"},
        {"match": "any", "rules": [{"field": "nope", "op": "in"}]},
    ]})
    assert set(found) == {"rules.0.value", "rules.1.rules.0.field"}


def test_groups_nest_at_most_four_deep():
    deep = {"match": "all", "rules": []}
    for _level in range(5):
        deep = {"match": "all", "rules": [deep]}
    assert "nest at most 4 deep" in " ".join(problems(deep).values())


def test_too_many_rules_are_refused():
    many = {"match": "all", "rules": [{"field": "clv", "op": "gt", "value": i} for i in range(61)]}
    assert problems(many) == {"rules": "at most 60 rules"}


@pytest.mark.django_db
def test_unknown_tags_skus_and_categories_are_named():
    make_segment_shop()
    found = problems({"match": "all", "rules": [
        {"field": "tags", "op": "has_any", "value": ["VIP", "VPI"]},
        {"field": "bought_product", "op": "bought", "value": ["SERUM-1", "SERUM-9"]},
        {"field": "bought_category", "op": "bought", "value": [999999]},
    ]})
    assert found == {"rules.0.value": "no tag named 'VPI'", "rules.1.value": "no product with SKU 'SERUM-9'",
                     "rules.2.value": "no category with id 999999"}


@pytest.mark.django_db
def test_a_definition_reads_as_words():
    shop = make_segment_shop()
    definition = clean_definition({"match": "all", "rules": [
        {"field": "country", "op": "in", "value": ["CN", "TW"]},
        {"field": "p_alive", "op": "gt", "value": 0.6},
        {"match": "any", "rules": [
            {"field": "last_order", "op": "before_days", "value": 60},
            {"field": "bought_category", "op": "bought", "value": [shop.skincare.pk], "days": 90},
            {"field": "occasion", "op": "within_next_days", "value": ["mothers_day"], "days": 30},
        ]},
    ]})
    assert describe(definition) == (
        "Country is one of CN, TW and P(alive) > 0.6 and (Last order more than 60 days ago or "
        "Category bought Skincare in the last 90 days or Upcoming occasion in the next 30 days: Mother's Day)")
    assert describe({"match": "all", "rules": []}) == "All customers"
