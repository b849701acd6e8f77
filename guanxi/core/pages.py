"""Page helpers shared by every app's views: fast pagination and htmx partials."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PER_PAGE = 50

class Page:
    """One page of rows found without COUNT(*): it fetches one row more than it
    shows to learn whether a next page exists. Counting a million customers
    (worse: across a contact-point join) on every keystroke is what it avoids."""

    def __init__(self, rows, number, per_page):
        self.object_list = rows[:per_page]
        self.number = number
        self.has_next = len(rows) > per_page
        self.has_previous = number > 1
        self.start_index = (number - 1) * per_page + 1 if self.object_list else 0
        self.end_index = (number - 1) * per_page + len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1


def paginate(request, queryset, per_page=PER_PAGE):
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    offset = (number - 1) * per_page
    return Page(list(queryset[offset : offset + per_page + 1]), number, per_page)


def is_fragment(request):
    """True for htmx requests that want a partial (not a history restore)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(request, template, context, partial=None):
    """Render the whole page, or only `partial` when htmx asks for a fragment."""
    name = f"{template}#{partial}" if partial and is_fragment(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
