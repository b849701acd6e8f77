"""Customer pages: list with live search, the customer's page and its edits.

Views fetch, check the permission, call guanxi.customers.services and render.
htmx requests get the matching template partial ("template.html#name").
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.commerce.models import Return
from guanxi.core.pages import is_fragment, paginate, render_page
from guanxi.customers import services
from guanxi.customers.choices import TimelineKind
from guanxi.customers.exceptions import CustomerError
from guanxi.customers.forms import (
    AddressForm,
    ConsentForm,
    ContactPointForm,
    CustomerFilterForm,
    CustomerProfileForm,
    NoteForm,
    TagForm,
    add_service_error,
)
from guanxi.customers.models import ConsentEvent, ContactPoint, Customer, Tag

TIMELINE_SIZE = 50
LATEST_ORDERS = 20


# ---------------------------------------------------------------- list

@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request):
    form = CustomerFilterForm(request.GET)
    customers = services.search_customers(**form.filters()).prefetch_related("contact_points", "tags")
    context = {"form": form, "page": paginate(request, customers), "sort": form.filters()["sort"]}
    return render_page(request, "customers/customer_list.html", context, partial="results")


# ---------------------------------------------------------------- detail

def _customer_for_page(pk):
    history = Prefetch("consent_events", queryset=ConsentEvent.objects.order_by("-recorded_at", "-id"))
    points = Prefetch("contact_points", queryset=ContactPoint.objects.prefetch_related(history))
    # "score" is the insights app's one-to-one: fetched in the same query for the
    # header and the insights card, as is the account owner.
    customers = Customer.objects.select_related("score", "account_owner").prefetch_related(points, "tags", "addresses")
    return get_object_or_404(customers, pk=pk)


def _timeline(customer, kind):
    entries = customer.timeline.all()
    if kind in TimelineKind.values:
        entries = entries.filter(kind=kind)
    return entries.order_by("-occurred_at", "-id")[:TIMELINE_SIZE]


def _detail_context(request, customer, **forms):
    kind = request.GET.get("kind", "")
    return {
        "customer": customer,
        "orders": customer.orders.order_by("-ordered_at", "-id")[:LATEST_ORDERS],
        "returns": Return.objects.filter(order__customer=customer).select_related("order")[:LATEST_ORDERS],
        "notes": customer.notes.select_related("author")[:LATEST_ORDERS],
        "timeline": _timeline(customer, kind),
        "timeline_kind": kind if kind in TimelineKind.values else "",
        "timeline_kinds": TimelineKind.choices,
        "all_tags": Tag.objects.values_list("name", flat=True)[:500],
        "tag_form": forms.get("tag_form") or TagForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "contact_form": forms.get("contact_form") or ContactPointForm(),
        "address_form": forms.get("address_form") or AddressForm(),
        "consent_form": ConsentForm(),
    }


@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request, pk):
    customer = _customer_for_page(pk)
    return render_page(request, "customers/customer_detail.html", _detail_context(request, customer))


@permission_required("customers.view_customer", raise_exception=True)
def customer_timeline(request, pk):
    """The timeline card alone (htmx filter by kind, refresh after an edit)."""
    customer = get_object_or_404(Customer, pk=pk)
    kind = request.GET.get("kind", "")
    context = {"customer": customer, "timeline": _timeline(customer, kind), "timeline_kinds": TimelineKind.choices,
               "timeline_kind": kind if kind in TimelineKind.values else ""}
    return render(request, "customers/customer_detail.html#timeline", context)


@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerProfileForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(customer, form.changes(), user=request.user)
        except CustomerError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_edit.html", {"customer": customer, "form": form})


# ---------------------------------------------------------------- edits from the customer page

_CARD_FORMS = {"tags": "tag_form", "notes": "note_form", "contacts": "contact_form", "addresses": "address_form"}


def _edit(request, customer, form_class, card, action, success):
    """Shared flow of the small edit forms on the customer page.

    Validate the form, call `action(form.cleaned_data)`; a CustomerError goes
    back onto the form. htmx gets the card partial re-rendered (plus an
    HX-Trigger so the timeline refreshes itself); a plain POST is redirected.
    """
    form = form_class(request.POST)
    ok = False
    if form.is_valid():
        try:
            action(form.cleaned_data)
            ok = True
        except CustomerError as error:
            add_service_error(form, error)
    if not is_fragment(request):
        if ok:
            messages.success(request, success)
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("customers:detail", pk=customer.pk)
    customer = _customer_for_page(customer.pk)
    context = _detail_context(request, customer, **({} if ok else {_CARD_FORMS[card]: form}))
    response = render(request, f"customers/customer_detail.html#{card}", context)
    if ok:
        response["HX-Trigger"] = "timeline-changed"
    return response


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def tag_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    return _edit(request, customer, TagForm, "tags", lambda data: services.add_tag(customer, data["name"]), _("Tag added."))


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def tag_remove(request, pk, tag_id):
    customer = get_object_or_404(Customer, pk=pk)
    services.remove_tag(customer, get_object_or_404(Tag, pk=tag_id))
    if not is_fragment(request):
        messages.success(request, _("Tag removed."))
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_detail.html#tags", _detail_context(request, _customer_for_page(pk)))


@require_POST
@permission_required("customers.add_note", raise_exception=True)
def note_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    return _edit(request, customer, NoteForm, "notes",
                 lambda data: services.add_note(customer, data["body"], author=request.user), _("Note added."))


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def consent_change(request, pk, point_id):
    point = get_object_or_404(ContactPoint, pk=point_id, customer_id=pk)
    return _edit(request, point.customer, ConsentForm, "contacts",
                 lambda data: services.change_consent(point, data["status"], user=request.user, note=data["note"]),
                 _("Consent updated."))


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def contact_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk)

    def action(data):
        services.add_contact_point(customer, data["kind"], data["value"], consent=data["consent"],
                                   is_primary=data["is_primary"], user=request.user)

    return _edit(request, customer, ContactPointForm, "contacts", action, _("Contact point added."))


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def address_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    return _edit(request, customer, AddressForm, "addresses",
                 lambda data: services.add_address(customer, data), _("Address added."))
