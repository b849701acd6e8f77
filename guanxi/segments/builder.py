"""The visual rule builder's form: a definition tree <-> flat form fields.

Every node of the tree has a path: "r" is the top group, "r.0" its first item,
"r.1.2" the third item of the second (a group). A group posts `<path>.match`; a
rule posts `<path>.field`, `.op`, `.value` (several for multi-selects),
`.value2` (the high end of "between") and `.days`. The builder's buttons post
an `action` ("add-rule:r.1", "add-group:r", "remove:r.0") that edits the tree
before it is drawn again. The tree read from a form is raw (text values): the
rules module checks and normalises it when previewing or saving.
"""

import re

from guanxi.segments.fields import (
    BY_NAME,
    DAYS_OPTIONAL,
    DAYS_REQUIRED,
    FIELDS,
    NO_VALUE,
    OPERATORS,
    Kind,
)
from guanxi.segments.rules import MAX_DEPTH

_KEY = re.compile(r"^(r(?:\.\d+)*)\.(match|field|op|value|value2|days)$")
MULTI_SELECT = {Kind.CATEGORY, Kind.OCCASION}
MAX_ITEMS = 60


def new_rule(field_name="country"):
    spec = BY_NAME[field_name]
    return {"field": spec.name, "op": spec.operators[0], "value": ""}


def tree_from_form(data) -> dict:
    """The raw definition the builder's fields describe."""
    nodes = {}
    for key in data:
        found = _KEY.match(key)
        if found:
            path, attribute = found.groups()
            values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
            nodes.setdefault(path, {})[attribute] = values
    return _build("r", nodes)


def _build(path, nodes):
    own = nodes.get(path, {})
    children = sorted({int(p[len(path) + 1:].split(".")[0]) for p in nodes if p.startswith(path + ".")})
    if path != "r" and "field" in own:
        return _rule(own)
    return {"match": (own.get("match") or ["all"])[0], "rules": [_build(f"{path}.{i}", nodes) for i in children][:MAX_ITEMS]}


def _rule(own):
    spec = BY_NAME.get(own["field"][0])
    if spec is None:
        return {"field": own["field"][0], "op": "", "value": ""}
    op = (own.get("op") or [""])[0]
    if op not in spec.operators:  # the field changed: start with its first operator
        op = spec.operators[0]
    values = [v for v in own.get("value", []) if v != ""]
    if spec.kind in MULTI_SELECT or spec.kind == Kind.CHOICE and spec.choices:
        value = values
    elif op == "between":
        value = [values[0] if values else "", (own.get("value2") or [""])[0]]
    else:
        value = values[0] if values else ""
    rule = {"field": spec.name, "op": op, "value": value}
    days = (own.get("days") or [""])[0]
    if days != "":
        rule["days"] = days
    return rule


def apply_action(tree, action) -> dict:
    """Edit the raw tree for a builder button; unknown actions change nothing."""
    verb, _sep, path = (action or "").partition(":")
    if not re.fullmatch(r"r(\.\d+)*", path or ""):
        return tree
    parent, index = _locate(tree, path)
    if verb in ("add-rule", "add-group") and index is None:
        target = parent
    elif verb in ("add-rule", "add-group"):
        target = parent["rules"][index] if index < len(parent["rules"]) else None
    else:
        target = None
    if target is not None and "rules" in target and _count(tree) < MAX_ITEMS:
        target["rules"].append(new_rule() if verb == "add-rule" else {"match": "any", "rules": [new_rule()]})
    elif verb == "remove" and index is not None and index < len(parent["rules"]):
        parent["rules"].pop(index)
    return tree


def _count(group):
    return sum(_count(i) + 1 if "rules" in i else 1 for i in group["rules"])


def _locate(tree, path):
    """(the group holding the node, its index); (tree, None) for the top group."""
    steps = [int(s) for s in path.split(".")[1:]]
    if not steps:
        return tree, None
    group = tree
    for step in steps[:-1]:
        if step >= len(group["rules"]) or "rules" not in group["rules"][step]:
            return tree, None
        group = group["rules"][step]
    return group, steps[-1]


# ---------------------------------------------------------------- drawing

def nodes_for_template(tree, problems=None, path="r", depth=0):
    """The tree with what the template needs at each node: path, depth, field
    spec, operators, input values and the problem found there (if any)."""
    problems = problems or {}
    if "rules" in tree:
        items = [nodes_for_template(item, problems, f"{path}.{i}", depth + 1) for i, item in enumerate(tree["rules"])]
        return {"is_group": True, "path": path, "depth": depth, "match": tree.get("match", "all"), "items": items,
                "can_nest": depth < MAX_DEPTH, "problem": problems.get(path, "")}
    spec = BY_NAME.get(tree.get("field")) or BY_NAME["country"]
    value = tree.get("value", "")
    if isinstance(value, list) and tree.get("op") == "between":
        low, high = (list(value) + ["", ""])[:2]
    else:
        low, high = value, ""
    return {"is_group": False, "path": path, "depth": depth, "spec": spec, "op": tree.get("op", ""),
            "text": ", ".join(str(v) for v in value) if isinstance(value, list) else str(value if value is not None else ""),
            "low": low, "high": high, "selected": [str(v) for v in value] if isinstance(value, list) else [str(value)],
            "days": tree.get("days", ""), "needs_value": tree.get("op") not in NO_VALUE,
            "ops": [(op, OPERATORS[op]) for op in spec.operators], "problem": problems.get(path, ""),
            "days_input": spec.kind in DAYS_REQUIRED | DAYS_OPTIONAL, "days_required": spec.kind in DAYS_REQUIRED}


def path_of_problem(field_path) -> str:
    """"rules.1.rules.0.value" (a problem's JSON path) -> "r.1.0" (the builder's node)."""
    return "r" + "".join(f".{n}" for n in re.findall(r"rules\.(\d+)", field_path))


FIELD_KINDS = {f.name: f.kind for f in FIELDS}
