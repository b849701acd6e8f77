"""Plain-language sentences about a customer's scores, for the customer page.

"Likely still active: 82%", "Expected to order again around 12 March 2027",
"Bought Mother's Day gifts in 2024 and 2025": what a merchant reads at a glance.
"""

from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.analytics.schema import day_date

OCCASION_NAMES = {
    "mothers_day": gettext_lazy("Mother's Day"),
    "valentines_day": gettext_lazy("Valentine's Day"),
    "qixi": gettext_lazy("Qixi (Chinese Valentine's Day)"),
    "spring_festival": gettext_lazy("Spring Festival"),
    "618": gettext_lazy("618 shopping festival"),
    "double_11": gettext_lazy("Double 11"),
    "christmas": gettext_lazy("Christmas"),
    "birthday": gettext_lazy("birthday"),
}


def occasion_name(code: str) -> str:
    """A display name; per-country holidays are coded holiday:CC:Name."""
    if code in OCCASION_NAMES:
        return str(OCCASION_NAMES[code])
    if code.startswith("holiday:"):
        return code.split(":", 2)[-1]
    return code


def _day(value) -> str:
    if isinstance(value, int):
        value = day_date(value)
    return date_format(value, "DATE_FORMAT")


def _years(years) -> str:
    years = [str(y) for y in years or []]
    if len(years) < 2:
        return "".join(years)
    return format_lazy(_("{} and {}"), ", ".join(years[:-1]), years[-1])


def alive_sentence(score) -> str:
    if score.p_alive is None:
        return ""
    share = round(score.p_alive * 100)
    if score.p_alive >= 0.5:
        return _("Likely still active: %(share)d%%") % {"share": share}
    return _("Probably slipping away: %(share)d%% chance still active") % {"share": share}


def next_order_sentence(score) -> str:
    if score.next_order_on:
        return _("Expected to order again around %(day)s") % {"day": _day(score.next_order_on)}
    if score.p_alive is not None:
        return _("No next order expected: %(days)d days since the last one") % {"days": score.recency_days or 0}
    return ""


def occasion_sentences(score) -> list[str]:
    sentences = []
    for item in score.occasions or []:
        code, day, years = item.get("occasion", ""), item.get("day"), item.get("years") or []
        if code == "birthday":
            sentences.append(_("Birthday on %(day)s") % {"day": _day(day)})
        elif years:
            sentences.append(_("Bought for %(occasion)s in %(years)s; next on %(day)s")
                             % {"occasion": occasion_name(code), "years": _years(years), "day": _day(day)})
    return sentences


def replenishment_sentences(score, category_names) -> list[str]:
    return [
        _("Buys %(category)s about every %(days)d days: due around %(day)s")
        % {"category": category_names.get(item.get("category_id"), "?"), "days": round(item.get("interval_days") or 0),
           "day": _day(item.get("due_day"))}
        for item in score.replenishments or []
    ]
