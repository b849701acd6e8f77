"""Number formats of the dashboard, in the active language's separators."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def money(value):
    """12345.5 -> "12,345.50"; None -> "—"."""
    return "—" if value is None else number_format(value, 2, use_l10n=True, force_grouping=True)


@register.filter
def share(value):
    """0.1234 -> "12.3%"; None -> "—"."""
    return "—" if value is None else number_format(value * 100, 1, use_l10n=True) + "%"


@register.filter
def count(value):
    return "—" if value is None else number_format(value, 0, use_l10n=True, force_grouping=True)


@register.filter
def signed(value, decimals=1):
    """+3.2 / −1.5 (a real minus sign), for changes."""
    if value is None:
        return "—"
    text = number_format(abs(value), int(decimals), use_l10n=True, force_grouping=True)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text
