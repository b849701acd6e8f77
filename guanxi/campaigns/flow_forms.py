"""The flow pages' forms: a flow's settings (name, trigger and its settings, re-entry,
goal) and the visual editor's state.

The editor posts its whole state on every button: the steps as JSON in a hidden
field (their order, nesting and any key the form does not show) and one field per
setting shown, named "<step id>.<key>" ("s3.template"). Step ids are unique in a
flow, so the names stay right however the steps move. A branch's condition is the
segments rule builder, its fields prefixed "<step id>~" ("s4~r.0.field").
"""

import copy
import json
import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.campaigns.choices import ReEntry, StepKind, Trigger
from guanxi.campaigns.flows.definition import (
    CHILDREN,
    MAX_STEPS,
    all_step_ids,
    next_step_id,
    trigger_problems,
)
from guanxi.insights.explain import OCCASION_NAMES
from guanxi.segments import builder
from guanxi.segments.exceptions import InvalidDefinition
from guanxi.segments.models import Segment
from guanxi.segments.rules import clean_definition, empty_definition

# ---------------------------------------------------------------- flow settings

# Which trigger settings each trigger reads (flows/triggers.py), as form fields.
TRIGGER_SETTINGS = {
    Trigger.SEGMENT_ENTERED: ("segment",), Trigger.SEGMENT_LEFT: ("segment",),
    Trigger.BIRTHDAY: ("days_before",), Trigger.OCCASION: ("occasion", "days_before"),
    Trigger.HOLIDAY: ("date", "countries", "exclude_countries", "days_before"),
    Trigger.REPLENISHMENT: ("days_before",), Trigger.CART_ABANDONED: ("idle_hours",),
    Trigger.BROWSE_ABANDONED: ("idle_hours",), Trigger.PRICE_DROP: ("days",),
}
COUNTRY_LISTS = ("countries", "exclude_countries")


def _codes(text):
    return [code.strip().upper() for code in re.split(r"[,\s]+", text or "") if code.strip()]


class FlowForm(forms.Form):
    """A flow's settings; `settings_for()` gives what `editing.save_flow` takes."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    trigger = forms.ChoiceField(label=gettext_lazy("Trigger"), choices=Trigger.choices)
    segment = forms.ModelChoiceField(label=gettext_lazy("Segment"), required=False, queryset=Segment.objects.order_by("name"),
                                     empty_label=gettext_lazy("Choose a segment"))
    days_before = forms.IntegerField(label=gettext_lazy("Days before"), required=False, min_value=0, max_value=366)
    occasion = forms.ChoiceField(label=gettext_lazy("Occasion"), required=False)
    date = forms.RegexField(label=gettext_lazy("Date (MM-DD)"), required=False, regex=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
                            error_messages={"invalid": gettext_lazy("A date as MM-DD, e.g. 12-25.")})
    countries = forms.CharField(label=gettext_lazy("Only customers in (country codes)"), required=False,
                                help_text=gettext_lazy("e.g. CN, TW; empty for every country"))
    exclude_countries = forms.CharField(label=gettext_lazy("Except customers in (country codes)"), required=False)
    idle_hours = forms.IntegerField(label=gettext_lazy("Idle for (hours)"), required=False, min_value=0, max_value=720)
    days = forms.IntegerField(label=gettext_lazy("Looked at the product in the last (days)"), required=False,
                              min_value=0, max_value=366)
    re_entry = forms.ChoiceField(label=gettext_lazy("Re-entry"), choices=ReEntry.choices)
    re_entry_days = forms.IntegerField(label=gettext_lazy("Re-entry after (days)"), min_value=0, initial=0, required=False)
    goal_order = forms.BooleanField(label=gettext_lazy("An order ends the flow (goal)"), required=False, initial=True)

    def __init__(self, *args, flow=None, **kwargs):
        self.flow = flow
        if flow is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(flow)
        super().__init__(*args, **kwargs)
        self.fields["occasion"].choices = [("", _("Any occasion")), *[(k, v) for k, v in OCCASION_NAMES.items()]]
        for name in ("countries", "exclude_countries"):
            self.fields[name].widget.attrs["placeholder"] = "CN, TW"

    def setting_names(self):
        """The trigger settings shown for the trigger chosen (posted, else initial)."""
        trigger = self.data.get("trigger") if self.is_bound else self.initial.get("trigger")
        return TRIGGER_SETTINGS.get(trigger, ())

    def settings_fields(self):
        return [self[name] for name in self.setting_names()]

    def clean(self):
        cleaned = super().clean()
        if "trigger" in cleaned:
            for problem in trigger_problems(cleaned["trigger"], self.trigger_config()):
                name = problem["field"].removeprefix("trigger_config.")
                self.add_error(name if name in self.fields else None, problem["reason"])
        return cleaned

    def trigger_config(self) -> dict:
        """The trigger's settings as the flow stores them; settings the form does not show
        (a holiday's date per year...) are kept from the flow when its trigger stays."""
        trigger = self.cleaned_data.get("trigger")
        config = {}
        if self.flow is not None and self.flow.trigger == trigger:
            config = {k: v for k, v in (self.flow.trigger_config or {}).items() if k not in self.fields}
        for name in TRIGGER_SETTINGS.get(trigger, ()):
            value = self.cleaned_data.get(name)
            if name == "segment":
                value = value.pk if value else None
            elif name in COUNTRY_LISTS:
                value = _codes(value)
            if value not in (None, "", []):
                config[name] = value
        return config

    def settings_for(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "description": data["description"], "trigger": data["trigger"],
                "trigger_config": self.trigger_config(), "re_entry": data["re_entry"],
                "re_entry_days": data.get("re_entry_days") or 0, "goal_order": data["goal_order"]}


def initial_for(flow) -> dict:
    config = flow.trigger_config or {}
    initial = {"name": flow.name, "description": flow.description, "trigger": flow.trigger, "re_entry": flow.re_entry,
               "re_entry_days": flow.re_entry_days, "goal_order": flow.goal_order}
    for name in TRIGGER_SETTINGS.get(flow.trigger, ()):
        if name in config:
            initial[name] = ", ".join(config[name]) if name in COUNTRY_LISTS else config[name]
    return initial


# ---------------------------------------------------------------- the editor's state

NEW_STEPS = {
    StepKind.WAIT: {"days": 1},
    StepKind.SEND: {"template": None, "priority": 5, "relevant_hours": 48},
    StepKind.TAG: {"tag": ""},
    StepKind.TASK: {"title": "", "assignee": None},
    StepKind.WEBHOOK: {"url": ""},
    StepKind.POINTS: {"points": 100},
    StepKind.SPLIT: {"share_a": 50, "a": [], "b": []},
    StepKind.BRANCH: {"condition": empty_definition(), "yes": [], "no": []},
}
# The settings each kind shows as fields: (key, how the posted text is read).
NUMBER, OPTIONAL_NUMBER, TEXT, ID_OR_NONE = "number", "optional", "text", "id"
FIELDS = {
    StepKind.WAIT: (("days", OPTIONAL_NUMBER), ("hours", OPTIONAL_NUMBER), ("until_hour", OPTIONAL_NUMBER)),
    StepKind.SEND: (("template", ID_OR_NONE), ("priority", OPTIONAL_NUMBER), ("relevant_hours", OPTIONAL_NUMBER)),
    StepKind.TAG: (("tag", TEXT),),
    StepKind.TASK: (("title", TEXT), ("assignee", ID_OR_NONE), ("due_days", OPTIONAL_NUMBER)),
    StepKind.WEBHOOK: (("url", TEXT),),
    StepKind.POINTS: (("points", NUMBER),),
    StepKind.SPLIT: (("share_a", NUMBER),),
    StepKind.BRANCH: (),
}
WHOLE = re.compile(r"^-?\d{1,9}$")
LANE = re.compile(r"^(steps|[A-Za-z0-9_-]{1,20}\.(yes|no|a|b))$")


def steps_from_post(data) -> list:
    """The steps the editor's fields describe (raw: validation is save_flow's)."""
    try:
        steps = json.loads(data.get("steps_json") or "[]")
    except ValueError:
        steps = []
    if not isinstance(steps, list):
        steps = []
    conditions = _conditions_from_post(data)
    for step in _every_step(steps):
        for key, reading in FIELDS.get(step.get("kind"), ()):
            name = f"{step.get('id')}.{key}"
            if name in data:
                _read_field(step, key, reading, data.get(name, ""))
        if step.get("kind") == StepKind.BRANCH and step.get("id") in conditions:
            step["condition"] = conditions[step["id"]]
    return steps


def _read_field(step, key, reading, raw):
    raw = raw.strip()
    if reading == TEXT:
        step[key] = raw
    elif raw == "":
        if reading == OPTIONAL_NUMBER:
            step.pop(key, None)
        else:
            step[key] = None if reading == ID_OR_NONE else ""
    else:
        # Not a whole number: keep the text, so the check says what is wrong with it.
        step[key] = int(raw) if WHOLE.match(raw) else raw


def _conditions_from_post(data):
    """{branch step id: raw condition} from the rule builder fields "<id>~r...."."""
    fields = {}
    for key in data:
        step_id, sep, rest = key.partition("~")
        if sep:
            fields.setdefault(step_id, MultiValueDict())
            fields[step_id].setlist(rest, data.getlist(key) if hasattr(data, "getlist") else [data[key]])
    return {step_id: builder.tree_from_form(values) for step_id, values in fields.items()}


def _every_step(steps):
    for step in steps if isinstance(steps, list) else ():
        if isinstance(step, dict):
            yield step
            for key in CHILDREN.get(step.get("kind"), ()):
                yield from _every_step(step.get(key))


def _find(steps, step_id):
    """(the list holding the step, its index), or None."""
    for index, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, dict):
            continue
        if step.get("id") == step_id:
            return steps, index
        for key in CHILDREN.get(step.get("kind"), ()):
            found = _find(step.get(key), step_id)
            if found:
                return found
    return None


def _lane(steps, lane):
    """The list of steps a lane names: "steps" (the top) or "<branch/split id>.<yes|no|a|b>"."""
    if lane == "steps":
        return steps
    step_id, _sep, key = lane.partition(".")
    found = _find(steps, step_id)
    if not found:
        return None
    step = found[0][found[1]]
    if key not in CHILDREN.get(step.get("kind"), ()):
        return None
    if not isinstance(step.get(key), list):
        step[key] = []
    return step[key]


def apply_action(steps, action, data) -> list:
    """Edit the steps for an editor button; unknown actions change nothing.

    add:<lane> (the kind comes from the lane's "kind@<lane>" menu), remove-step:<id>,
    up:<id>, down:<id>; the rule builder's add-rule/add-group/remove:<id>~<path>."""
    verb, _sep, target = (action or "").partition(":")
    if verb == "add" and LANE.match(target):
        _add(steps, target, data.get(f"kind@{target}", ""))
    elif verb in ("remove-step", "up", "down"):
        found = _find(steps, target)
        if found:
            _move_or_remove(*found, verb)
    elif verb in ("add-rule", "add-group", "remove") and "~" in target:
        step_id, _sep, path = target.partition("~")
        found = _find(steps, step_id)
        if found and found[0][found[1]].get("kind") == StepKind.BRANCH:
            step = found[0][found[1]]
            condition = step.get("condition") if isinstance(step.get("condition"), dict) else empty_definition()
            step["condition"] = builder.apply_action(condition, f"{verb}:{path}")
    return steps


def _add(steps, lane, kind):
    target = _lane(steps, lane)
    if target is None or kind not in NEW_STEPS or len(list(all_step_ids(steps))) >= MAX_STEPS:
        return
    target.append({"id": next_step_id(steps), "kind": kind, **copy.deepcopy(NEW_STEPS[kind])})


def _move_or_remove(siblings, index, verb):
    if verb == "remove-step":
        siblings.pop(index)
    elif verb == "up" and index > 0:
        siblings[index - 1], siblings[index] = siblings[index], siblings[index - 1]
    elif verb == "down" and index < len(siblings) - 1:
        siblings[index + 1], siblings[index] = siblings[index], siblings[index + 1]


def with_clean_conditions(steps) -> list:
    """The steps with each valid branch condition in the rules' canonical form (numbers as
    numbers, codes upper-case): what the engine compiles. Invalid ones stay as typed, for
    save_flow to report."""
    steps = copy.deepcopy(steps)
    for step in _every_step(steps):
        if step.get("kind") == StepKind.BRANCH and "condition" in step:
            try:
                step["condition"] = clean_definition(step["condition"])
            except InvalidDefinition:
                pass
    return steps


def assignees():
    return get_user_model().objects.filter(is_active=True).order_by("username")[:200]


# ---------------------------------------------------------------- drawing the editor

# "steps.2.yes.0.template" -> the card "steps.2.yes.0" and what on it: "template".
PROBLEM_PATH = re.compile(r"^(steps(?:\.\d+\.(?:yes|no|a|b))*\.\d+)(?:\.(.+))?$")
LANE_LABELS = {"yes": gettext_lazy("Yes: the customer matches"), "no": gettext_lazy("No"),
               "a": gettext_lazy("Path A"), "b": gettext_lazy("Path B")}
OTHER_PLACES = {"name": gettext_lazy("Name"), "trigger": gettext_lazy("Trigger"), "steps": gettext_lazy("Steps")}


def editor_cards(steps, problems=()) -> tuple:
    """(the cards to draw, the problems in reading order with where they are).

    Each problem is shown on its card: next to its field, on the rule of a branch's
    condition, or on the card itself; the summary lists them all with a link."""
    at_card = {}
    for problem in problems:
        found = PROBLEM_PATH.match(problem["field"])
        if found:
            at_card.setdefault(found.group(1), []).append((found.group(2) or "", problem["reason"]))
    by_path = {}
    cards = _cards(steps, "steps", "", at_card, by_path)
    summary = [{"anchor": f"step-{card['id']}", "where": _("Step %(n)s · %(kind)s") % {"n": card["number"], "kind": card["label"]},
                "reason": reason} for card in by_path.values() for _key, reason in at_card.get(card["path"], ())]
    for problem in problems:
        if not PROBLEM_PATH.match(problem["field"]):
            place = problem["field"].split(".")[0]
            where = _("Trigger settings") if place == "trigger_config" else OTHER_PLACES.get(place, place)
            summary.append({"anchor": "", "where": str(where), "reason": problem["reason"]})
    return cards, summary


def _cards(steps, path, number, at_card, by_path):
    cards = []
    steps = [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []
    for index, step in enumerate(steps):
        kind = step.get("kind")
        card = {"id": step.get("id", ""), "kind": kind, "step": step, "path": f"{path}.{index}",
                "label": StepKind(kind).label if kind in StepKind.values else kind,
                "number": f"{number}{index + 1}", "first": index == 0, "last": index == len(steps) - 1,
                "problems": {}, "notes": [], "lanes": []}
        marked = _place_problems(card, at_card.get(card["path"], ()))
        by_path[card["path"]] = card
        for key in CHILDREN.get(kind, ()):
            card["lanes"].append({"key": key, "label": LANE_LABELS[key], "name": f"{card['id']}.{key}",
                                  "cards": _cards(step.get(key), f"{card['path']}.{key}",
                                                  f"{card['number']}{key.upper()[:1]}", at_card, by_path)})
        if kind == StepKind.BRANCH:
            condition = step.get("condition")
            condition = condition if isinstance(condition, dict) and "rules" in condition else empty_definition()
            card["condition"] = _prefixed(builder.nodes_for_template(condition, marked), f"{card['id']}~")
        cards.append(card)
    return cards


def _place_problems(card, problems):
    """Put each problem next to its field, on a condition's rule, or on the card; returns the
    rule builder's marks ({"r.0": reason})."""
    shown = {key for key, _reading in FIELDS.get(card["kind"], ())}
    marked = {}
    for where, reason in problems:
        key = where.split(".")[0]
        if key in shown:
            card["problems"].setdefault(key, reason)
        elif where.startswith("condition.") and builder.path_of_problem(where) != "r":
            marked.setdefault(builder.path_of_problem(where), reason)
        else:
            card["notes"].append(reason)
    return marked


def _prefixed(node, prefix):
    node["path"] = prefix + node["path"]
    for item in node.get("items", ()):
        _prefixed(item, prefix)
    return node
