"""Products and orders in the REST API: list (filters, cursor pages) and retrieve.

Writes go through the importer; they are defined in guanxi.imports.api and
mounted on these routers (commerce never imports the imports app).
"""

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router

from guanxi.commerce.api_schemas import OrderOut, OrderPage, ProductOut, ProductPage
from guanxi.commerce.choices import Channel, OrderStatus
from guanxi.commerce.models import Order, Product
from guanxi.core.api import (
    DEFAULT_LIMIT,
    DETAIL_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    READ_ERRORS,
    SOURCE_MAX,
    IsoDateTime,
    not_found,
    paginate,
)
from guanxi.customers.models import CustomerExternalId

products_router = Router(tags=["products"])
orders_router = Router(tags=["orders"])


def product_detail(sku):
    product = Product.objects.select_related("category").filter(sku=sku).first()
    if product is None:
        raise not_found(_("No product with SKU %(sku)s.") % {"sku": sku})
    return product


def order_detail(source, order_id):
    """The order with its lines, returns and customer ids, in five queries."""
    order = (
        Order.objects.select_related("customer")
        .prefetch_related("lines", "returns__order_line", "customer__external_ids", "customer__contact_points")
        .filter(source=source, external_id=order_id)
        .first()
    )
    if order is None:
        raise not_found(_("No order %(order_id)s from %(source)s.") % {"order_id": order_id, "source": source})
    return order


@products_router.get("/", response={200: ProductPage, **READ_ERRORS}, summary="List products")
def list_products(
    request,
    q: str | None = Query(None, description="Part of the SKU or name."),
    category: str | None = Query(None, description="Category name."),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Newest first; follow `next_cursor` until it is null."""
    queryset = Product.objects.select_related("category")
    if q:
        queryset = queryset.filter(Q(sku__icontains=q) | Q(name__icontains=q))
    if category:
        queryset = queryset.filter(category__name=category)
    items, next_cursor = paginate(queryset, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@products_router.get("/{text:sku}", response={200: ProductOut, **DETAIL_ERRORS}, summary="Retrieve a product")
def get_product(request, sku: str):
    return product_detail(sku)


@orders_router.get("/", response={200: OrderPage, **READ_ERRORS}, summary="List orders")
def list_orders(
    request,
    customer: int | None = Query(None, ge=1, le=MAX_ID, description="Guanxi's customer id (`id` in /customers)."),
    customer_id: str | None = Query(None, description="The shop's own customer id, in `source`."),
    source: str | None = Query(None, max_length=SOURCE_MAX, description="Only orders from this source (also the source of `customer_id`)."),
    status: OrderStatus | None = Query(None),
    channel: Channel | None = Query(None),
    ordered_after: IsoDateTime | None = Query(None, description="Ordered at or after this time."),
    ordered_before: IsoDateTime | None = Query(None, description="Ordered before this time."),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Newest first by id; follow `next_cursor` until it is null."""
    queryset = Order.objects.all()
    if customer is not None:
        queryset = queryset.filter(customer_id=customer)
    if customer_id:
        owners = CustomerExternalId.objects.filter(source=source or settings.DEFAULT_SOURCE, external_id=customer_id)
        queryset = queryset.filter(customer__in=owners.values("customer_id"))
    if source:
        queryset = queryset.filter(source=source)
    if status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    if ordered_after:
        queryset = queryset.filter(ordered_at__gte=ordered_after)
    if ordered_before:
        queryset = queryset.filter(ordered_at__lt=ordered_before)
    items, next_cursor = paginate(queryset, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@orders_router.get("/{text:order_id}", response={200: OrderOut, **DETAIL_ERRORS}, summary="Retrieve an order")
def get_order(request, order_id: str, source: str | None = Query(None, max_length=SOURCE_MAX, description="Defaults to the default source.")):
    """The order with its lines and returns; `order_id` is the shop's order number."""
    return order_detail(source or settings.DEFAULT_SOURCE, order_id)
