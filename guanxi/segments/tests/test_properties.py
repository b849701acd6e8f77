"""Properties over generated definitions: checking never crashes, and what the preview
counts is exactly what a refresh materialises."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.segments import services
from guanxi.segments.exceptions import InvalidDefinition
from guanxi.segments.fields import FIELDS, NO_VALUE, Kind
from guanxi.segments.models import SegmentMembership
from guanxi.segments.rules import clean_definition
from guanxi.segments.tests.factories import make_segment_shop

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
                    max_leaves=12)


@given(JSON)
@settings(max_examples=300, deadline=None)
def test_checking_any_json_either_passes_or_names_problems(data):
    try:
        clean_definition(data)
    except InvalidDefinition as error:
        assert error.problems and all({"field", "reason"} <= set(p) for p in error.problems)
    except Exception as error:  # a database lookup for tags/SKUs is the only other path
        assert "Database access not allowed" in str(error)


def _value(spec, op):
    if op in NO_VALUE:
        return st.none()
    if spec.kind in (Kind.NUMBER, Kind.WINDOW_COUNT, Kind.WINDOW_AMOUNT):
        low, high = spec.minimum if spec.minimum is not None else 0, spec.maximum if spec.maximum is not None else 600
        number = st.integers(int(low), int(high))
        return st.tuples(number, number).map(sorted).map(list) if op == "between" else number
    if spec.kind in (Kind.RECENCY, Kind.UPCOMING):
        return st.integers(0, 400)
    if spec.kind == Kind.CHOICE and spec.choices:
        return st.lists(st.sampled_from([c for c, _l in spec.choices]), min_size=1, max_size=2)
    if spec.kind == Kind.CHOICE:
        return {"country": st.sampled_from([["CN"], ["TW", "US"]]), "language": st.sampled_from([["zh"], ["en"]]),
                "source": st.just(["shop"])}[spec.name]
    if spec.kind == Kind.OCCASION:
        return st.lists(st.sampled_from(["mothers_day", "double_11"]), max_size=1)
    return {Kind.TEXT: st.sampled_from(["li", "an"]), Kind.TAG: st.sampled_from([["VIP"], ["gold", "VIP"]]),
            Kind.CONSENT: st.sampled_from(["email", "phone"]), Kind.PRODUCT: st.sampled_from([["SERUM-1"], ["TEA-1"]]),
            Kind.CATEGORY: st.just("CATEGORY")}[spec.kind]


@st.composite
def rules(draw):
    spec = draw(st.sampled_from(FIELDS))
    op = draw(st.sampled_from(spec.operators))
    rule = {"field": spec.name, "op": op}
    value = draw(_value(spec, op))
    if value is not None:
        rule["value"] = value
    if spec.kind in (Kind.WINDOW_COUNT, Kind.WINDOW_AMOUNT, Kind.OCCASION) or (
            spec.kind in (Kind.PRODUCT, Kind.CATEGORY) and draw(st.booleans())):
        rule["days"] = draw(st.integers(1, 400))
    return rule


definitions = st.recursive(rules(), lambda inner: st.fixed_dictionaries(
    {"match": st.sampled_from(["all", "any"]), "rules": st.lists(inner, max_size=3)}), max_leaves=5).map(
    lambda tree: tree if "rules" in tree else {"match": "all", "rules": [tree]})


@pytest.mark.django_db(transaction=True)
@given(definition=definitions)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_preview_counts_exactly_the_members_a_refresh_stores(definition):
    from guanxi.segments.models import Segment

    Segment.objects.all().delete()
    shop = _shop()
    _fill_categories(definition, shop.beauty.pk)
    figures = services.preview(definition)
    segment = services.save_segment(name="generated", definition=definition)
    stored = set(SegmentMembership.objects.filter(segment=segment).values_list("customer_id", flat=True))
    matched = set(services.matching_customers(clean_definition(definition)).values_list("pk", flat=True))
    assert stored == matched
    assert (segment.size, segment.revenue, segment.clv) == (figures.customers, figures.revenue, figures.clv)


_SHOP = {}


def _shop():
    from guanxi.customers.models import Customer

    if not Customer.objects.exists():
        _SHOP["shop"] = make_segment_shop()
    return _SHOP["shop"]


def _fill_categories(tree, category_id):
    for item in tree["rules"]:
        if "rules" in item:
            _fill_categories(item, category_id)
        elif item.get("value") == "CATEGORY":
            item["value"] = [category_id]
