"""Ingest endpoints: every write of the REST API goes through the importer, so
a record sent here is treated exactly like a row of a file (same parsing, same
matching, same rejects with field and reason).

The customer, product and order writes are mounted on the read routers of
their apps (so GET and POST share /customers/), which keeps the arrows
pointing down: imports knows customers and commerce, never the reverse.
"""

import json

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Status
from ninja.errors import HttpError

from guanxi.commerce.api import order_detail, orders_router, product_detail, products_router
from guanxi.commerce.api_schemas import OrderOut, ProductOut
from guanxi.core.api import (
    DETAIL_ERRORS,
    MAX_ID,
    SOURCE_MAX,
    WRITE_ERRORS,
    ErrorOut,
    InvalidInput,
    ProblemsOut,
    invalid,
    not_found,
)
from guanxi.customers.api import customer_detail
from guanxi.customers.api import router as customers_router
from guanxi.customers.api_schemas import CustomerOut
from guanxi.imports import webhooks
from guanxi.imports.api_schemas import (
    CustomerIn,
    EventBatchIn,
    ImportRunOut,
    OrderIn,
    ProductIn,
    RecordsBatchIn,
    WebhookOut,
)
from guanxi.imports.choices import ImportKind
from guanxi.imports.models import ImportRun
from guanxi.imports.rejects import read_rejects
from guanxi.imports.exceptions import ObjectRejected
from guanxi.imports.matching import find_customer_id
from guanxi.imports.services import import_object, import_records

imports_router = Router(tags=["imports"])
events_router = Router(tags=["events"])
webhooks_router = Router(tags=["webhooks"])

EVENT_BATCH_MAX = 1_000
IMPORT_BATCH_MAX = 5_000
REJECTS_SHOWN = 100
ORDER_LINE_FIELDS = {"sku", "product_name", "quantity", "unit_price"}
SOURCE_QUERY = Query(None, max_length=SOURCE_MAX, description="Where the data comes from, if the body does not say; defaults to the default source.")


def _source(body_source, query_source):
    return body_source or query_source or settings.DEFAULT_SOURCE


def _user(request):
    return getattr(request.auth, "user", None)


def _record(payload):
    return payload.model_dump(exclude_none=True, exclude={"source"})


def run_out(run, rejects=REJECTS_SHOWN):
    """The run's counts with its first rejects (the row decoded back to an object)."""
    shown = []
    for reject in read_rejects(run, limit=rejects):
        line = reject.get("line") or ""
        shown.append({"line": int(line) if line.isdigit() else None, "field": reject.get("field") or "",
                      "reason": reject.get("reason") or "", "row": _decode_row(reject.get("row"))})
    fields = ("id", "kind", "source", "status", "dry_run", "read", "created", "updated", "unchanged", "rejected",
              "error", "queued_at", "started_at", "finished_at")
    return {**{name: getattr(run, name) for name in fields}, "rejects": shown}


def _decode_row(text):
    try:
        row = json.loads(text or "null")
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def import_one(kind, records, source, user, field_of=None):
    """One object, all or nothing (services.import_object); rejects become a 422."""
    try:
        return 201 if import_object(kind, records, source=source, user=user).created else 200
    except ObjectRejected as exc:
        problems = [{"line": None, "field": field_of(p["line"], p["field"]) if field_of else p["field"], "reason": p["reason"]}
                    for p in exc.problems]
        raise InvalidInput(problems) from None


# --- customers, products, orders: one object at a time -----------------------------------


@customers_router.post("/", response={200: CustomerOut, 201: CustomerOut, **WRITE_ERRORS}, summary="Create or update a customer")
def upsert_customer(request: HttpRequest, payload: CustomerIn, source: str | None = SOURCE_QUERY):
    """Imports the customer like one row of a customers file: found by `customer_id`
    in this source, then e-mail, then phone. 201 when new, 200 when it existed."""
    source = _source(payload.source, source)
    record = _record(payload)
    status = import_one("customers", [record], source, _user(request))
    pk = find_customer_id(source, record)
    if pk is None:
        raise invalid("customer_id", _("the customer was imported but cannot be found again by its id, e-mail or phone"))
    return Status(status, customer_detail(pk))


@products_router.post("/", response={200: ProductOut, 201: ProductOut, **WRITE_ERRORS}, summary="Create or update a product")
def upsert_product(request: HttpRequest, payload: ProductIn, source: str | None = SOURCE_QUERY):
    """Found by SKU. 201 when new, 200 when it existed."""
    record = _record(payload)
    status = import_one("products", [record], _source(payload.source, source), _user(request))
    return Status(status, product_detail(str(record["sku"]).strip()))


@products_router.put("/{text:sku}", response={200: ProductOut, 201: ProductOut, **WRITE_ERRORS}, summary="Create or replace a product by SKU")
def put_product(request: HttpRequest, sku: str, payload: ProductIn, source: str | None = SOURCE_QUERY):
    record = _record(payload)
    if str(record.setdefault("sku", sku)).strip() != sku:
        raise invalid("sku", _("differs from the SKU in the path"))
    status = import_one("products", [record], _source(payload.source, source), _user(request))
    return Status(status, product_detail(sku))


def _order_field(lines):
    """Names a rejected field of a flattened order as the client sent it (lines.0.sku)."""
    def field_of(line, field):
        if lines and line and field in ORDER_LINE_FIELDS:
            return f"lines.{line - 1}.{field}"
        return field
    return field_of


def _write_order(request, payload, source, order_id=None):
    order = payload.model_dump(exclude_none=True, exclude={"source"})
    if order_id is not None:
        if str(order.setdefault("order_id", order_id)).strip() != order_id:
            raise invalid("order_id", _("differs from the order number in the path"))
    if order.get("order_id") in (None, ""):
        raise invalid("order_id", _("missing value"))
    source = _source(payload.source, source)
    records = webhooks.order_records(order)
    status = import_one("orders", records, source, _user(request), _order_field(payload.lines))
    return Status(status, order_detail(source, str(order["order_id"]).strip()))


@orders_router.post("/", response={200: OrderOut, 201: OrderOut, **WRITE_ERRORS}, summary="Create or update an order")
def upsert_order(request: HttpRequest, payload: OrderIn, source: str | None = SOURCE_QUERY):
    """The order with its lines, imported like the rows of an orders file (one per
    line). Found by `order_id` in this source. 201 when new, 200 when it existed."""
    return _write_order(request, payload, source)


@orders_router.put("/{text:order_id}", response={200: OrderOut, 201: OrderOut, **WRITE_ERRORS}, summary="Create or replace an order")
def put_order(request: HttpRequest, order_id: str, payload: OrderIn, source: str | None = SOURCE_QUERY):
    return _write_order(request, payload, source, order_id)


# --- batches ---------------------------------------------------------------------------


def _import_batch(request, kind, payload, source, limit):
    if len(payload.records) > limit:
        raise HttpError(413, _("At most %(max)d records per request; this one has %(count)d.") % {"max": limit, "count": len(payload.records)})
    records = [r.model_dump(exclude_none=True) if hasattr(r, "model_dump") else r for r in payload.records]
    run = import_records(kind, records, source=_source(payload.source, source), dry_run=payload.dry_run, user=_user(request))
    return run_out(run)


@events_router.post("/batch", response={200: ImportRunOut, **WRITE_ERRORS}, summary="Ingest browsing and cart events")
def ingest_events(request: HttpRequest, payload: EventBatchIn, source: str | None = SOURCE_QUERY):
    """Up to 1,000 events. Answers with the run's counts and its first rejects;
    an event id sent again changes nothing."""
    return _import_batch(request, "events", payload, source, EVENT_BATCH_MAX)


# GET /imports/{id} and POST /imports/{kind} share one path parameter: OpenAPI
# forbids two templated paths that differ only in the parameter's name.
KEY_ID = Path(..., ge=1, le=MAX_ID, description="The import run's id.")
KEY_KIND = Path(..., description="What the records are: customers, products, orders, returns or events.")


@imports_router.get("/{text:key}", response={200: ImportRunOut, **DETAIL_ERRORS}, summary="An import run and its first rejects")
def get_import(request: HttpRequest, key: int = KEY_ID):
    run = ImportRun.objects.filter(pk=key).first()
    if run is None:
        raise not_found(_("No import run with id %(id)s.") % {"id": key})
    return run_out(run)


@imports_router.post("/{text:key}", response={200: ImportRunOut, **WRITE_ERRORS}, summary="Import a batch of records")
def import_batch(request: HttpRequest, payload: RecordsBatchIn, key: ImportKind = KEY_KIND, source: str | None = SOURCE_QUERY):
    """Up to 5,000 records of one kind, with the generic column names as keys (see
    docs/import.md); orders as one record per order line. Answers with the counts."""
    return _import_batch(request, key.value, payload, source, IMPORT_BATCH_MAX)


# --- webhooks --------------------------------------------------------------------------

WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": ["object", "array"],
            "description": "`{\"id\", \"topic\", \"data\"}`, or the data alone (an object or a list of them) "
                           "when the headers carry id and topic. An order's data has `lines`.",
            "properties": {"id": {"type": "string"}, "topic": {"type": "string", "enum": list(webhooks.TOPICS)},
                           "data": {"type": ["object", "array"]}},
        }}},
    },
}


@webhooks_router.post(
    "/{text:source}", auth=None, openapi_extra=WEBHOOK_BODY, summary="Receive a signed webhook",
    response={200: WebhookOut, 401: ErrorOut, 413: ErrorOut, 422: ProblemsOut},
)
def receive_webhook(
    request: HttpRequest,
    source: str,
    signature: str | None = Header(None, alias="X-Guanxi-Signature",
                                   description='sha256=<hex HMAC-SHA256 of "<timestamp>.<event id>.<topic>." + raw body>'),
    event_id: str | None = Header(None, alias="X-Guanxi-Event-Id"),
    topic: str | None = Header(None, alias="X-Guanxi-Topic"),
    timestamp: str | None = Header(None, alias="X-Guanxi-Timestamp", description="Unix seconds; at most 5 minutes off"),
):
    """No API key: the signature with the endpoint's secret (`guanxi createwebhook SOURCE`)
    authenticates. A delivery whose event id was seen before answers `duplicate`."""
    try:
        result = webhooks.receive(source, request.body, signature=signature, event_id=event_id, topic=topic, timestamp=timestamp)
    except webhooks.WebhookUnauthorized as exc:
        raise HttpError(401, str(exc)) from None
    except webhooks.WebhookInvalid as exc:
        raise invalid(exc.field, exc.reason) from None
    return {"status": result.status, "run": run_out(result.run) if result.run else None}
