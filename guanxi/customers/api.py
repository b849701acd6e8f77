"""Customers in the REST API: list (filters, cursor pages), retrieve, and the
account owner (PATCH).

Creating and updating customers goes through the importer, so those operations
are defined in guanxi.imports.api and mounted on this router.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.errors import HttpError

from guanxi.core.api import (
    DEFAULT_LIMIT,
    DETAIL_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    READ_ERRORS,
    SOURCE_MAX,
    WRITE_ERRORS,
    ErrorOut,
    IsoDateTime,
    invalid,
    not_found,
    paginate,
)
from guanxi.customers import services
from guanxi.customers.api_schemas import CustomerOut, CustomerPage, CustomerPatchIn
from guanxi.customers.exceptions import AssignmentNotAllowed, CustomerError
from guanxi.customers.models import (
    ConsentEvent,
    ContactPoint,
    Customer,
    CustomerExternalId,
)

router = Router(tags=["customers"])

CONSENT_HISTORY_LIMIT = 50


def customer_detail(pk):
    """The customer with everything the detail answer shows, in five queries."""
    customer = (
        Customer.objects.select_related("account_owner")
        .prefetch_related("tags", "external_ids", "contact_points", "addresses").filter(pk=pk).first()
    )
    if customer is None:
        raise not_found(_("No customer with id %(id)s.") % {"id": pk})
    history = ConsentEvent.objects.filter(contact_point__customer=customer).select_related("contact_point")
    customer.consent_history = list(history[:CONSENT_HISTORY_LIMIT])
    return customer


def filter_customers(queryset, q=None, tag=None, country=None, updated_since=None, customer_id=None, source=None):
    if q:
        contacts = ContactPoint.objects.filter(value__icontains=q.strip()).values("customer_id")
        names = Q(full_name__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        queryset = queryset.filter(names | Q(pk__in=contacts))
    if tag:
        queryset = queryset.filter(tags__name=tag)
    if country:
        queryset = queryset.filter(country=country.strip().upper())
    if updated_since:
        queryset = queryset.filter(updated_at__gte=updated_since)
    if customer_id:
        owners = CustomerExternalId.objects.filter(source=source or settings.DEFAULT_SOURCE, external_id=customer_id)
        queryset = queryset.filter(pk__in=owners.values("customer_id"))
    return queryset


@router.get("/", response={200: CustomerPage, **READ_ERRORS}, summary="List customers")
def list_customers(
    request,
    q: str | None = Query(None, description="Part of the name, e-mail or phone."),
    tag: str | None = Query(None, description="Only customers with this tag."),
    country: str | None = Query(None, description="Two-letter country code."),
    updated_since: IsoDateTime | None = Query(None, description="Only customers changed at or after this time."),
    customer_id: str | None = Query(None, description="The shop's own customer id (with `source`)."),
    source: str | None = Query(None, max_length=SOURCE_MAX, description="The shop `customer_id` belongs to; defaults to the default source."),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Newest first. Follow `next_cursor` until it is null to see every customer exactly once."""
    queryset = Customer.objects.prefetch_related("tags", "contact_points")
    queryset = filter_customers(queryset, q, tag, country, updated_since, customer_id, source)
    items, next_cursor = paginate(queryset, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{text:id}", response={200: CustomerOut, **DETAIL_ERRORS}, summary="Retrieve a customer")
def get_customer(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """Profile, contact points with their consent, the consent ledger, addresses, tags and order figures."""
    return customer_detail(id)


@router.patch("/{text:id}", response={200: CustomerOut, **WRITE_ERRORS, 404: ErrorOut}, summary="Change a customer")
def patch_customer(request, payload: CustomerPatchIn, id: int = Path(..., ge=1, le=MAX_ID)):
    """Set or remove the account owner (`account_owner`: a username, or null).

    The owner must be an active sales team member or admin. A key made for a
    user acts as that user, who must be allowed to assign owners (sales,
    admins); a write key without a user may."""
    customer = customer_detail(id)
    owner = None
    if payload.account_owner is not None:
        owner = get_user_model().objects.filter(username=payload.account_owner).first()
        if owner is None:
            raise invalid("account_owner", _("no team member with this username"))
    try:
        services.assign_owner(customer, owner, by=getattr(request.auth, "user", None))
    except AssignmentNotAllowed as exc:
        raise HttpError(403, exc.message) from None
    except CustomerError as exc:
        raise invalid("account_owner", exc.message) from None
    return customer_detail(id)
