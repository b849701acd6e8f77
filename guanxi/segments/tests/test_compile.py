"""Every operator of every field kind, nesting and empty groups, against a four-customer shop."""

from decimal import Decimal

import pytest

from guanxi.segments.rules import clean_definition
from guanxi.segments.services import matching_customers, preview
from guanxi.segments.tests.factories import make_segment_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return make_segment_shop()


def names(definition):
    return sorted(c.full_name.split()[0] for c in matching_customers(clean_definition(definition)))


def rule(field, op, value=None, days=None):
    item = {"field": field, "op": op}
    if value is not None:
        item["value"] = value
    if days is not None:
        item["days"] = days
    return {"match": "all", "rules": [item]}


CASES = [
    # profile
    (rule("name", "contains", "chen"), ["Chen"]),
    (rule("name", "not_contains", "an"), ["Amy", "Chen", "Li"]),
    (rule("name", "equals", "li na"), ["Li"]),
    (rule("gender", "in", ["female"]), ["Li"]),
    (rule("country", "in", ["cn", "TW"]), ["Chen", "Li", "Wang"]),
    (rule("country", "not_in", ["CN"]), ["Amy", "Wang"]),
    (rule("language", "in", ["zh"]), ["Chen", "Li", "Wang"]),
    (rule("language", "in", ["zh-hant"]), ["Wang"]),
    (rule("joined", "within_days", 60), ["Wang"]),
    (rule("joined", "before_days", 60), ["Li"]),
    (rule("joined", "never"), ["Amy", "Chen"]),
    (rule("tags", "has_any", ["VIP", "gold"]), ["Chen", "Li", "Wang"]),
    (rule("tags", "has_all", ["VIP", "gold"]), ["Chen"]),
    (rule("tags", "has_none", ["VIP"]), ["Amy", "Wang"]),
    # consent: granted, primary or not, and not bounced
    (rule("consent", "granted", "email"), ["Li"]),
    (rule("consent", "granted", "phone"), ["Chen"]),
    (rule("consent", "not_granted", "email"), ["Amy", "Chen", "Wang"]),
    # orders
    (rule("order_count", "gte", 2), ["Chen", "Li"]),
    (rule("order_count", "eq", 0), ["Amy"]),
    (rule("order_count", "neq", 3), ["Amy", "Chen", "Wang"]),
    (rule("order_count", "between", [1, 2]), ["Chen", "Wang"]),
    (rule("total_spent", "gt", 349.99), ["Chen", "Li"]),
    (rule("total_spent", "lt", 100), ["Amy", "Wang"]),
    (rule("last_order", "within_days", 30), ["Li"]),
    (rule("last_order", "before_days", 60), ["Chen", "Wang"]),
    (rule("last_order", "never"), ["Amy"]),
    (rule("last_order", "ever"), ["Chen", "Li", "Wang"]),
    (rule("first_order", "before_days", 100), ["Chen"]),
    (rule("orders_in_window", "gte", 2, days=30), ["Li"]),
    (rule("orders_in_window", "eq", 0, days=30), ["Amy", "Chen", "Wang"]),
    (rule("orders_in_window", "lt", 2, days=100), ["Amy", "Chen", "Wang"]),
    (rule("orders_in_window", "between", [1, 1], days=100), ["Chen", "Wang"]),
    (rule("spent_in_window", "gte", 100, days=365), ["Chen", "Li"]),
    (rule("spent_in_window", "lte", 80, days=365), ["Amy", "Wang"]),
    # products and categories (sub-categories included)
    (rule("bought_product", "bought", ["SERUM-1"]), ["Chen", "Li"]),
    (rule("bought_product", "bought", ["SERUM-1"], days=100), ["Li"]),
    (rule("bought_product", "not_bought", ["TEA-1"]), ["Amy", "Li"]),
    (rule("bought_category", "bought", "BEAUTY"), ["Chen", "Li"]),
    (rule("bought_category", "not_bought", "TEA"), ["Amy", "Li"]),
    # scores
    (rule("rfm_segment", "in", ["champions", "at_risk"]), ["Li", "Wang"]),
    (rule("rfm_segment", "not_in", ["champions"]), ["Amy", "Chen", "Wang"]),
    (rule("r_score", "lte", 2), ["Chen", "Wang"]),
    (rule("f_score", "eq", 3), ["Chen"]),
    (rule("m_score", "gte", 3), ["Chen", "Li"]),
    (rule("lifecycle", "in", ["lapsed"]), ["Chen"]),
    (rule("clv", "gte", 250), ["Chen", "Li"]),
    (rule("p_alive", "gt", 0.6), ["Chen", "Li"]),
    (rule("churn_band", "in", ["high", "medium"]), ["Chen", "Wang"]),
    (rule("expected_orders", "lt", 1), ["Wang"]),
    (rule("next_order", "within_next_days", 7), ["Li"]),
    (rule("value_tier", "in", ["key"]), ["Li"]),
    (rule("risk_rating", "in", ["B", "C"]), ["Chen", "Wang"]),
    # occasions
    (rule("occasion", "within_next_days", [], days=30), ["Li"]),
    (rule("occasion", "within_next_days", ["double_11"], days=60), ["Chen"]),
    (rule("occasion", "within_next_days", ["double_11"], days=30), []),
    (rule("replenishment", "within_next_days", 3), ["Wang"]),
]


@pytest.mark.parametrize(("definition", "expected"), CASES, ids=[f"{c[0]['rules'][0]['field']}-{c[0]['rules'][0]['op']}-{i}" for i, c in enumerate(CASES)])
def test_each_operator_selects_exactly_its_customers(shop, definition, expected):
    if definition["rules"][0]["field"] == "bought_category":
        category = {"BEAUTY": shop.beauty, "TEA": shop.tea}[definition["rules"][0]["value"]]
        definition["rules"][0]["value"] = [category.pk]
    assert names(definition) == expected


def test_the_issue_example_nests_groups(shop):
    definition = {"match": "all", "rules": [
        {"field": "tags", "op": "has_any", "value": ["gold", "VIP"]},
        {"field": "country", "op": "in", "value": ["CN", "TW"]},
        {"field": "p_alive", "op": "gt", "value": 0.6},
        {"match": "any", "rules": [
            {"field": "last_order", "op": "before_days", "value": 60},
            {"field": "bought_category", "op": "bought", "value": [shop.skincare.pk]},
        ]},
        {"field": "consent", "op": "granted", "value": "email"},
    ]}
    assert names(definition) == ["Li"]
    definition["rules"][-1] = {"field": "consent", "op": "granted", "value": "phone"}
    assert names(definition) == ["Chen"]


def test_any_group_joins_with_or_and_all_with_and(shop):
    either = {"match": "any", "rules": [rule("country", "in", ["US"])["rules"][0], rule("clv", "gte", 500)["rules"][0]]}
    assert names(either) == ["Amy", "Li"]
    both = {**either, "match": "all"}
    assert names(both) == []


def test_empty_groups_add_no_condition(shop):
    assert names({"match": "all", "rules": []}) == ["Amy", "Chen", "Li", "Wang"]
    nested = {"match": "any", "rules": [{"match": "all", "rules": []}, rule("country", "in", ["TW"])["rules"][0]]}
    assert names(nested) == ["Wang"]
    deep = {"match": "all", "rules": [{"match": "any", "rules": [{"match": "all", "rules": []}]}]}
    assert names(deep) == ["Amy", "Chen", "Li", "Wang"]


def test_preview_counts_revenue_and_clv_in_one_query(shop, django_assert_num_queries):
    definition = rule("country", "in", ["CN", "TW"])
    with django_assert_num_queries(1):
        figures = preview(definition)
    assert figures.customers == 3
    assert figures.revenue == Decimal(1330)  # Li 900 + Wang 80 + Chen 350
    assert figures.clv == pytest.approx(850.0)


def test_a_definition_compiles_to_a_single_select(shop):
    definition = {"match": "all", "rules": [rule("tags", "has_any", ["VIP"])["rules"][0],
                                            rule("orders_in_window", "lt", 2, days=100)["rules"][0],
                                            rule("clv", "gt", 1)["rules"][0]]}
    sql = str(matching_customers(clean_definition(definition)).query)
    assert sql.count("SELECT") >= 3  # subqueries inside ...
    assert sql.strip().startswith("SELECT")  # ... of one statement
    assert names(definition) == ["Chen"]


def test_purchases_mean_the_same_as_in_the_analytics():
    from guanxi.analytics.schema import PURCHASE_STATUSES as ANALYTICS
    from guanxi.segments.compile import PURCHASE_STATUSES

    assert sorted(PURCHASE_STATUSES) == sorted(ANALYTICS)
