"""Check a flow's steps and find the way through them.

`clean_steps(steps)` returns the steps unchanged or raises `InvalidFlow` listing
every problem with its JSON path ("steps.2.yes.0.template: choose a template"),
so the editor can mark the step and an API client can read which one. Branch
conditions are segment rules, checked by the segments app (`clean_definition`).

`Plan` is the steps read once per tick: each step by id and the id that follows
it (the next one in the same list, else the step after the parent branch/split;
None at the end of the flow).
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from guanxi.campaigns.choices import StepKind, Trigger
from guanxi.campaigns.models import MessageTemplate
from guanxi.segments.exceptions import InvalidDefinition
from guanxi.segments.rules import clean_definition

MAX_DEPTH = 5  # branches inside branches
MAX_STEPS = 200
ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
# The lists of steps nested in a step, by kind.
CHILDREN = {StepKind.BRANCH: ("yes", "no"), StepKind.SPLIT: ("a", "b")}
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class InvalidFlow(Exception):
    """`problems` is a list of {"field": JSON path, "reason": text}, as for segments."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(self.messages))

    @property
    def messages(self):
        return [f"{p['field']}: {p['reason']}" for p in self.problems]


class _Checker:
    def __init__(self):
        self.problems, self.ids, self.templates, self.assignees, self.count = [], {}, {}, {}, 0

    def add(self, path, reason):
        self.problems.append({"field": path, "reason": reason})


def clean_steps(steps) -> list:
    """The steps if they are valid, else InvalidFlow with every problem found."""
    checker = _Checker()
    if not isinstance(steps, list):
        checker.add("steps", _("expected a list of steps"))
    elif not steps:
        checker.add("steps", _("add at least one step"))
    else:
        _check_list(checker, steps, "steps", 1)
    if checker.count > MAX_STEPS:
        checker.add("steps", _("a flow has at most %(n)d steps") % {"n": MAX_STEPS})
    _check_references(checker)
    if checker.problems:
        raise InvalidFlow(checker.problems)
    return steps


def clean_flow(flow) -> None:
    """Steps and trigger settings together: what activation requires."""
    problems = []
    try:
        clean_steps(flow.steps)
    except InvalidFlow as exc:
        problems += exc.problems
    problems += trigger_problems(flow.trigger, flow.trigger_config or {})
    if problems:
        raise InvalidFlow(problems)


def _check_list(checker, steps, path, depth):
    if depth > MAX_DEPTH and steps:
        checker.add(path, _("steps nest at most %(n)d deep") % {"n": MAX_DEPTH})
        return
    for index, step in enumerate(steps):
        _check_step(checker, step, f"{path}.{index}", depth)


def _check_step(checker, step, path, depth):
    checker.count += 1
    if not isinstance(step, dict):
        checker.add(path, _("expected a step: {\"id\": ..., \"kind\": ...}"))
        return
    _check_id(checker, step.get("id"), path)
    kind = step.get("kind")
    if kind not in StepKind.values:
        checker.add(f"{path}.kind", _("unknown step kind %(kind)r") % {"kind": kind})
        return
    KIND_CHECKS[kind](checker, step, path)
    for key in CHILDREN.get(kind, ()):
        children = step.get(key, [])
        if not isinstance(children, list):
            checker.add(f"{path}.{key}", _("expected a list of steps"))
        else:
            _check_list(checker, children, f"{path}.{key}", depth + 1)


def _check_id(checker, step_id, path):
    if step_id in (None, ""):
        checker.add(f"{path}.id", _("give the step an id"))
    elif not isinstance(step_id, str) or not ID.match(step_id):
        checker.add(f"{path}.id", _("use 1 to 20 letters, digits, - or _"))
    elif step_id in checker.ids:
        checker.add(f"{path}.id", _("the id %(id)r is already used at %(other)s") % {"id": step_id, "other": checker.ids[step_id]})
    else:
        checker.ids[step_id] = path


def _whole(value, minimum, maximum=None):
    """Is `value` a whole number (not a bool) within the bounds?"""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value >= minimum and (maximum is None or value <= maximum)


def _check_wait(checker, step, path):
    for key in ("days", "hours"):
        if key in step and not _whole(step[key], 0, 3650 if key == "days" else 87_600):
            checker.add(f"{path}.{key}", _("a whole number, 0 or more"))
    if "until_hour" in step and not _whole(step["until_hour"], 0, 23):
        checker.add(f"{path}.until_hour", _("an hour from 0 to 23"))
    if not step.get("days") and not step.get("hours") and "until_hour" not in step:
        checker.add(path, _("wait some days or hours, or until an hour of the day"))


def _check_branch(checker, step, path):
    if "condition" not in step:
        checker.add(f"{path}.condition", _("set the condition"))
        return
    try:
        clean_definition(step["condition"])
    except InvalidDefinition as exc:
        for problem in exc.problems:
            checker.add(f"{path}.condition.{problem['field']}", problem["reason"])


def _check_split(checker, step, path):
    if not _whole(step.get("share_a", 50), 1, 99):
        checker.add(f"{path}.share_a", _("a percentage from 1 to 99"))


def _check_send(checker, step, path):
    template = step.get("template")
    if template in (None, ""):
        checker.add(f"{path}.template", _("choose a template"))
    elif not _whole(template, 1):
        checker.add(f"{path}.template", _("expected a template id"))
    else:
        checker.templates.setdefault(template, []).append(f"{path}.template")
    if "priority" in step and not _whole(step["priority"], 1, 10):
        checker.add(f"{path}.priority", _("a priority from 1 (most important) to 10"))
    if "relevant_hours" in step and not _whole(step["relevant_hours"], 1, 8760):
        checker.add(f"{path}.relevant_hours", _("a number of hours, 1 or more"))


def _check_tag(checker, step, path):
    tag = step.get("tag")
    if not isinstance(tag, str) or not tag.strip():
        checker.add(f"{path}.tag", _("name the tag"))
    elif len(tag.strip()) > 80:
        checker.add(f"{path}.tag", _("at most 80 characters"))


def _check_task(checker, step, path):
    title = step.get("title")
    if not isinstance(title, str) or not title.strip():
        checker.add(f"{path}.title", _("give the task a title"))
    elif len(title) > 200:
        checker.add(f"{path}.title", _("at most 200 characters"))
    assignee = step.get("assignee")
    if assignee is not None:
        if _whole(assignee, 1):
            checker.assignees.setdefault(assignee, []).append(f"{path}.assignee")
        else:
            checker.add(f"{path}.assignee", _("expected a user id or nothing"))
    if "due_days" in step and not _whole(step["due_days"], 0, 365):
        checker.add(f"{path}.due_days", _("a whole number of days from 0 to 365"))


def _check_webhook(checker, step, path):
    url = step.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
        checker.add(f"{path}.url", _("an http:// or https:// address"))
    if "payload" in step and not isinstance(step["payload"], dict):
        checker.add(f"{path}.payload", _("expected an object"))


def _check_points(checker, step, path):
    if not _whole(step.get("points"), 1):
        checker.add(f"{path}.points", _("a whole number of points, 1 or more"))


KIND_CHECKS = {StepKind.WAIT: _check_wait, StepKind.BRANCH: _check_branch, StepKind.SPLIT: _check_split,
               StepKind.SEND: _check_send, StepKind.TAG: _check_tag, StepKind.TASK: _check_task,
               StepKind.WEBHOOK: _check_webhook, StepKind.POINTS: _check_points}


def _check_references(checker):
    # One query per kind of reference, after the walk, not one per step.
    known = set(MessageTemplate.objects.filter(pk__in=checker.templates).values_list("pk", flat=True))
    for template, paths in checker.templates.items():
        for path in paths if template not in known else ():
            checker.add(path, _("template %(id)s does not exist") % {"id": template})
    users = set(get_user_model().objects.filter(pk__in=checker.assignees).values_list("pk", flat=True))
    for user, paths in checker.assignees.items():
        for path in paths if user not in users else ():
            checker.add(path, _("user %(id)s does not exist") % {"id": user})


def trigger_problems(trigger, config) -> list:
    """Problems with a trigger's settings ({"field": "trigger_config.x", "reason"}), empty if fine."""
    from guanxi.segments.models import Segment

    problems = []

    def add(key, reason):
        problems.append({"field": f"trigger_config.{key}", "reason": reason})

    if trigger not in Trigger.values:
        return [{"field": "trigger", "reason": _("unknown trigger %(t)r") % {"t": trigger}}]
    segment = config.get("segment") if _whole(config.get("segment"), 1) else None
    if trigger in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT) and not Segment.objects.filter(pk=segment).exists():
        add("segment", _("choose a segment"))
    if trigger == Trigger.HOLIDAY and not MONTH_DAY.match(str(config.get("date", ""))) and not config.get("dates"):
        add("date", _("a date as MM-DD, e.g. 12-25"))
    for key in ("days_before", "idle_hours", "days"):
        if key in config and not _whole(config[key], 0, 366 if key != "idle_hours" else 720):
            add(key, _("a whole number, 0 or more"))
    problems += _shape_problems(config)
    return problems


def _shape_problems(config):
    """Wrong types that would otherwise pass activation and then fail the trigger on every tick."""
    problems = []

    def add(key, reason):
        problems.append({"field": f"trigger_config.{key}", "reason": reason})

    dates = config.get("dates")
    if dates is not None and not (isinstance(dates, dict) and all(
            isinstance(year, str) and year.isdigit() and MONTH_DAY.match(str(day)) for year, day in dates.items())):
        add("dates", _('dates by year as {"2027": "02-06"}'))
    for key in ("countries", "exclude_countries"):
        value = config.get(key)
        if value is not None and not (isinstance(value, list) and all(
                isinstance(code, str) and len(code) == 2 and code.isalpha() for code in value)):
            add(key, _('a list of two-letter country codes, e.g. ["CN", "SG"]'))
    if "occasion" in config and not isinstance(config["occasion"], str):
        add("occasion", _("the name of an occasion"))
    return problems


def next_step_id(steps) -> str:
    """A fresh id for a new step ("s7"): past every "s<n>" in the flow, so ids are never reused
    while enrolments may still point at a removed step."""
    numbers = [int(m.group(1)) for step_id in all_step_ids(steps) if (m := re.match(r"^s(\d+)$", step_id))]
    return f"s{max(numbers, default=0) + 1}"


def all_step_ids(steps):
    for step in steps if isinstance(steps, list) else ():
        if isinstance(step, dict):
            if isinstance(step.get("id"), str):
                yield step["id"]
            for key in CHILDREN.get(step.get("kind"), ()):
                yield from all_step_ids(step.get(key))


@dataclass
class Plan:
    """The steps by id, and which step follows each one."""

    by_id: dict
    follows: dict
    entries: dict  # (branch/split id, "yes"/"no"/"a"/"b") -> first id down that list
    first: str | None

    @classmethod
    def of(cls, steps):
        plan = cls({}, {}, {}, None)
        plan.first = plan._read(steps or [], None)
        return plan

    def _read(self, steps, after):
        """Index one list whose end continues at `after`; returns the list's first id (or `after`)."""
        for index, step in enumerate(steps):
            follow = steps[index + 1]["id"] if index + 1 < len(steps) else after
            self.by_id[step["id"]] = step
            self.follows[step["id"]] = follow
            for key in CHILDREN.get(step["kind"], ()):
                self.entries[step["id"], key] = self._read(step.get(key) or [], follow)
        return steps[0]["id"] if steps else after

    def entry(self, step, key):
        """The first step down the `key` list of a branch/split ("yes", "b"...)."""
        return self.entries[step["id"], key]
