"""Segment definitions: check them, normalise them, and say them in words.

A definition is a tree of groups and rules:

    {"match": "all", "rules": [
        {"field": "country", "op": "in", "value": ["CN", "TW"]},
        {"field": "p_alive", "op": "gt", "value": 0.6},
        {"match": "any", "rules": [...]}]}

`clean_definition` returns the same tree with values in their canonical types
(numbers as numbers, country codes upper-case, SKUs checked to exist) or raises
InvalidDefinition listing every problem with its path ("rules.1.value"), so a
builder can mark the rule and an API client can read which one.

An empty group adds no condition; a definition with no rules at all means every
customer (the builder starts there).
"""

import math
import re

from django.utils.translation import gettext as _

from guanxi.segments.exceptions import InvalidDefinition
from guanxi.segments.fields import (
    BY_NAME,
    DAYS_OPTIONAL,
    DAYS_REQUIRED,
    NO_VALUE,
    OPERATORS,
    Kind,
)

MAX_DEPTH = 4  # groups inside groups
MAX_RULES = 60
MAX_VALUES = 500  # items in one list value
MAX_DAYS = 36_500
MATCHES = ("all", "any")


def empty_definition():
    return {"match": "all", "rules": []}


def clean_definition(data) -> dict:
    """The normalised definition, or InvalidDefinition with every problem found."""
    problems = []
    cleaned = _clean_group(data, "", 0, problems)
    count = _count_rules(cleaned) if cleaned else 0
    if count > MAX_RULES:
        problems.append({"field": "rules", "reason": _("at most %(n)d rules") % {"n": MAX_RULES}})
    if problems:
        raise InvalidDefinition(problems)
    _check_references(cleaned)
    return cleaned


def _count_rules(group):
    return sum(_count_rules(r) if "rules" in r else 1 for r in group["rules"])


def _path(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _clean_group(data, path, depth, problems):
    if not isinstance(data, dict):
        problems.append({"field": path or "definition", "reason": _("expected a group: {\"match\": \"all\", \"rules\": [...]}")})
        return None
    unknown = set(data) - {"match", "rules"}
    if unknown:
        problems.append({"field": path or "definition", "reason": _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))}})
    match = data.get("match", "all")
    if match not in MATCHES:
        problems.append({"field": _path(path, "match"), "reason": _("must be \"all\" or \"any\"")})
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        problems.append({"field": _path(path, "rules"), "reason": _("expected a list")})
        rules = []
    if depth > MAX_DEPTH:
        problems.append({"field": path, "reason": _("groups nest at most %(n)d deep") % {"n": MAX_DEPTH}})
        return None
    cleaned = []
    for index, item in enumerate(rules):
        item_path = _path(path, f"rules.{index}")
        if isinstance(item, dict) and "rules" in item:
            group = _clean_group(item, item_path, depth + 1, problems)
            if group is not None:
                cleaned.append(group)
        else:
            rule = _clean_rule(item, item_path, problems)
            if rule is not None:
                cleaned.append(rule)
    return {"match": match, "rules": cleaned}


def _clean_rule(data, path, problems):
    def problem(key, reason):
        problems.append({"field": _path(path, key) if key else path, "reason": reason})

    if not isinstance(data, dict):
        problem("", _("expected a rule: {\"field\", \"op\", \"value\"}"))
        return None
    unknown = set(data) - {"field", "op", "value", "days"}
    if unknown:
        problem("", _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    spec = BY_NAME.get(data.get("field")) if isinstance(data.get("field"), str) else None
    if spec is None:
        problem("field", _("unknown field %(field)r") % {"field": data.get("field")})
        return None
    op = data.get("op")
    if op not in spec.operators:
        allowed = ", ".join(spec.operators)
        problem("op", _("%(field)s takes the operators %(ops)s, not %(op)r") % {"field": spec.name, "ops": allowed, "op": op})
        return None
    rule = {"field": spec.name, "op": op}
    before = len(problems)
    value = None if op in NO_VALUE else _clean_value(spec, op, data.get("value"), lambda reason: problem("value", reason))
    days = _clean_days(spec, data.get("days"), lambda reason: problem("days", reason))
    if len(problems) > before:
        return None
    if op not in NO_VALUE:
        rule["value"] = value
    if days is not None:
        rule["days"] = days
    return rule


def _number(raw, problem, spec):
    if isinstance(raw, bool) or raw is None or raw == "":
        problem(_("a number is required"))
        return None
    try:
        number = float(str(raw).strip().replace(",", ""))
    except ValueError:
        problem(_("%(value)r is not a number") % {"value": raw})
        return None
    if not math.isfinite(number):
        problem(_("%(value)r is not a number") % {"value": raw})
        return None
    if spec.minimum is not None and number < spec.minimum or spec.maximum is not None and number > spec.maximum:
        problem(_("must be between %(lo)s and %(hi)s") % {"lo": _fmt(spec.minimum), "hi": _fmt(spec.maximum)})
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _fmt(bound):
    if bound is None:
        return "…"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _comparison(spec, op, raw, problem):
    if op == "between":
        if not isinstance(raw, (list, tuple)) or len(raw) != 2:
            problem(_("between needs two numbers [low, high]"))
            return None
        low, high = _number(raw[0], problem, spec), _number(raw[1], problem, spec)
        if low is None or high is None:
            return None
        if low > high:
            problem(_("the low end %(low)s is above the high end %(high)s") % {"low": low, "high": high})
            return None
        return [low, high]
    return _number(raw, problem, spec)


def _text_list(raw, problem, *, allow_empty=False):
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[,\n，、]", raw)]
    if not isinstance(raw, (list, tuple)):
        problem(_("expected a list of values"))
        return None
    items = []
    for item in raw:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            problem(_("expected text values, got %(value)r") % {"value": item})
            return None
        text = str(item).strip()
        if text and text not in items:
            items.append(text)
    if not items and not allow_empty:
        problem(_("choose at least one value"))
        return None
    if len(items) > MAX_VALUES:
        problem(_("at most %(n)d values") % {"n": MAX_VALUES})
        return None
    return items


def _choices(spec, raw, problem, *, allow_empty=False):
    items = _text_list(raw, problem, allow_empty=allow_empty)
    if items is None:
        return None
    if spec.name == "country":
        items = [i.upper() for i in items]
    elif spec.name == "language":
        items = [i.lower().replace("_", "-") for i in items]
    items = list(dict.fromkeys(items))  # "tw, TW" is one value once upper-cased
    if spec.choices:
        known = {code for code, _label in spec.choices}
        wrong = [i for i in items if i not in known]
        if wrong:
            problem(_("unknown value %(value)r; choose from %(known)s") % {"value": wrong[0], "known": ", ".join(sorted(known))})
            return None
    elif spec.pattern:
        wrong = [i for i in items if not re.match(spec.pattern, i)]
        if wrong:
            problem(_("%(value)r is not valid here: %(help)s") % {"value": wrong[0], "help": spec.help or spec.pattern})
            return None
    return items


def _clean_value(spec, op, raw, problem):
    kind = spec.kind
    if kind in (Kind.NUMBER, Kind.WINDOW_COUNT, Kind.WINDOW_AMOUNT):
        return _comparison(spec, op, raw, problem)
    if kind == Kind.CHOICE:
        return _choices(spec, raw, problem)
    if kind == Kind.OCCASION:
        return _choices(spec, raw if raw not in (None, "") else [], problem, allow_empty=True)
    if kind == Kind.TEXT:
        if not isinstance(raw, str) or not raw.strip():
            problem(_("some text is required"))
            return None
        return raw.strip()[:200]
    if kind in (Kind.RECENCY, Kind.UPCOMING):
        return _days_value(raw, problem)
    if kind in (Kind.TAG, Kind.PRODUCT):
        return _text_list(raw, problem)
    if kind == Kind.CATEGORY:
        return _id_list(raw, problem)
    if kind == Kind.CONSENT:
        return _consent_channel(spec, raw, problem)
    raise AssertionError(kind)


def _days_value(raw, problem):
    days = _int(raw)
    if days is None or not 0 <= days <= MAX_DAYS:
        problem(_("a number of days from 0 to %(max)d is required") % {"max": MAX_DAYS})
        return None
    return days


def _int(raw):
    if isinstance(raw, bool):
        return None
    try:
        number = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _id_list(raw, problem):
    items = _text_list(raw, problem)
    if items is None:
        return None
    ids = [_int(i) for i in items]
    if any(i is None or i < 1 for i in ids):
        problem(_("expected category ids (whole numbers)"))
        return None
    return ids


def _consent_channel(spec, raw, problem):
    known = [code for code, _label in spec.choices]
    if raw not in known:
        problem(_("choose a channel: %(known)s") % {"known": ", ".join(known)})
        return None
    return raw


def _clean_days(spec, raw, problem):
    if spec.kind in DAYS_REQUIRED or spec.kind in DAYS_OPTIONAL and raw not in (None, ""):
        days = _int(raw)
        if days is None or not 1 <= days <= MAX_DAYS:
            problem(_("a number of days from 1 to %(max)d is required") % {"max": MAX_DAYS})
            return None
        return days
    if raw not in (None, ""):
        problem(_("%(field)s takes no number of days") % {"field": spec.name})
    return None


def _walk_rules(group):
    for item in group["rules"]:
        if "rules" in item:
            yield from _walk_rules(item)
        else:
            yield item


def _check_references(definition):
    """Tags, SKUs and categories must exist: a typo would silently match no one."""
    from guanxi.commerce.models import Category, Product
    from guanxi.customers.models import Tag

    wanted = {"tags": set(), "bought_product": set(), "bought_category": set()}
    for rule in _walk_rules(definition):
        if rule["field"] in wanted:
            wanted[rule["field"]].update(rule["value"])
    missing = []
    checks = [("tags", Tag, "name", _("no tag named %(value)r")),
              ("bought_product", Product, "sku", _("no product with SKU %(value)r")),
              ("bought_category", Category, "pk", _("no category with id %(value)r"))]
    for field_name, model, column, message in checks:
        if wanted[field_name]:
            found = set(model.objects.filter(**{f"{column}__in": wanted[field_name]}).values_list(column, flat=True))
            missing += [(field_name, message % {"value": v}) for v in sorted(wanted[field_name] - found, key=str)]
    if missing:
        paths = _paths_of(definition)
        raise InvalidDefinition([{"field": paths.get(f, f), "reason": reason} for f, reason in missing])


def _paths_of(group, prefix=""):
    """{field name: path of its first rule} to point errors found after cleaning."""
    paths = {}
    for index, item in enumerate(group["rules"]):
        path = _path(prefix, f"rules.{index}")
        if "rules" in item:
            for name, sub in _paths_of(item, path).items():
                paths.setdefault(name, sub)
        else:
            paths.setdefault(item["field"], f"{path}.value")
    return paths


# ------------------------------------------------------------------ in words

def describe(definition, category_names=None) -> str:
    """The definition in one line of words, for lists and the segment page.

    `category_names` ({id: name}) saves a query per segment on list pages
    (see category_names_for); without it the names are looked up here."""
    if not definition or not definition.get("rules"):
        return _("All customers")
    if category_names is None:
        category_names = category_names_for([definition])
    return _describe_group(definition, category_names, top=True)


def category_names_for(definitions) -> dict:
    """{id: name} of every category the definitions mention, in one query."""
    from guanxi.commerce.models import Category

    ids = {v for d in definitions if d and d.get("rules") for r in _walk_rules(d)
           if r["field"] == "bought_category" for v in r["value"]}
    return dict(Category.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _describe_group(group, names, top=False):
    parts = [(_describe_group(item, names) if "rules" in item else describe_rule(item, names)) for item in group["rules"]]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    joiner = _(" and ") if group.get("match", "all") == "all" else _(" or ")
    text = joiner.join(parts)
    return text if top or len(parts) == 1 else f"({text})"


def describe_rule(rule, category_names=None) -> str:
    spec = BY_NAME[rule["field"]]
    op = str(OPERATORS[rule["op"]])
    if spec.kind == Kind.CATEGORY and category_names:
        rule = {**rule, "value": [category_names.get(v, v) for v in rule["value"]]}
    value, days = _value_words(spec, rule), rule.get("days")
    if spec.kind == Kind.OCCASION:
        return f"{spec.label} {op.replace('…', str(days))}: {value}"
    if rule["op"] in NO_VALUE:
        text = f"{spec.label} {op}"
    elif "…" in op:
        text = f"{spec.label} {op.replace('…', value)}"
    else:
        text = f"{spec.label} {op} {value}"
    if days is not None:
        text += " " + _("in the last %(days)d days") % {"days": days}
    return text


def _value_words(spec, rule):
    value = rule.get("value")
    if rule["op"] == "between":
        return f"{value[0]} – {value[1]}"
    labels = {code: str(label) for code, label in spec.choices}
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value) if value else _("any")
    return labels.get(value, str(value))
