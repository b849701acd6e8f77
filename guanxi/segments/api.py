"""Segments in the REST API: the same definitions, preview, refresh and lists as the builder."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from guanxi.core.api import (
    DEFAULT_LIMIT,
    DETAIL_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    InvalidInput,
    decode_cursor,
    encode_cursor,
    invalid,
    paginate,
)
from guanxi.segments import lists, services
from guanxi.segments.api_schemas import (
    DefinitionIn,
    FieldOut,
    FiguresOut,
    ListIn,
    ListResultOut,
    MemberPage,
    RefreshOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
)
from guanxi.segments.choices import RefreshTrigger
from guanxi.segments.exceptions import InvalidDefinition, SegmentError
from guanxi.segments.fields import FIELDS
from guanxi.segments.models import Segment, SegmentMembership

router = Router(tags=["segments"])
DETAIL_WRITE_ERRORS = {**WRITE_ERRORS, 404: DETAIL_ERRORS[404]}


def _problems(error):
    if isinstance(error, InvalidDefinition):
        return InvalidInput([{"line": None, "field": f"definition.{p['field']}", "reason": p["reason"]}
                             for p in error.problems])
    return invalid("", str(error))


def _definition(payload):
    return payload.model_dump() if payload is not None else None


@router.get("/fields", response={200: list[FieldOut], **READ_ERRORS}, summary="Fields a rule can use")
def list_fields(request):
    return [{"name": f.name, "label": str(f.label), "group": str(f.group), "kind": f.kind,
             "operators": list(f.operators), "choices": [code for code, _label in f.choices], "help": str(f.help)}
            for f in FIELDS]


@router.post("/preview", response={200: FiguresOut, **WRITE_ERRORS}, summary="Preview a definition")
def preview(request, payload: DefinitionIn):
    """Size, revenue to date and total predicted CLV of the customers the rules match now."""
    try:
        return services.preview(_definition(payload))
    except SegmentError as error:
        raise _problems(error) from None


@router.get("/", response={200: SegmentPage, **READ_ERRORS}, summary="List segments")
def list_segments(request, cursor: str | None = Query(None), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    items, next_cursor = paginate(Segment.objects.all(), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/", response={201: SegmentOut, **WRITE_ERRORS}, summary="Create a segment")
def create_segment(request, payload: SegmentIn):
    """A rule-based segment is materialised at once; a static list starts empty (fill it with /members)."""
    try:
        segment = services.save_segment(name=payload.name, description=payload.description, kind=payload.kind,
                                        definition=_definition(payload.definition), user=_user(request))
    except SegmentError as error:
        raise _problems(error) from None
    return Status(201, segment)


def _user(request):
    key = getattr(request, "auth", None)
    return getattr(key, "user", None)


@router.get("/{id}", response={200: SegmentOut, **DETAIL_ERRORS}, summary="Retrieve a segment")
def get_segment(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return get_object_or_404(Segment, pk=id)


@router.patch("/{id}", response={200: SegmentOut, **DETAIL_WRITE_ERRORS}, summary="Change a segment")
def update_segment(request, payload: SegmentPatch, id: int = Path(..., ge=1, le=MAX_ID)):
    segment = get_object_or_404(Segment, pk=id)
    definition = _definition(payload.definition) if payload.definition is not None else segment.definition
    try:
        return services.save_segment(name=payload.name if payload.name is not None else segment.name,
                                     description=payload.description if payload.description is not None else segment.description,
                                     kind=segment.kind, definition=definition, segment=segment)
    except SegmentError as error:
        raise _problems(error) from None


@router.delete("/{id}", response={204: None, **DETAIL_WRITE_ERRORS}, summary="Delete a segment")
def delete_segment(request, id: int = Path(..., ge=1, le=MAX_ID)):
    services.delete_segment(get_object_or_404(Segment, pk=id))
    return Status(204, None)


@router.post("/{id}/refresh", response={200: RefreshOut, **DETAIL_WRITE_ERRORS}, summary="Refresh a segment now")
def refresh_segment(request, id: int = Path(..., ge=1, le=MAX_ID)):
    segment = get_object_or_404(Segment, pk=id)
    try:
        return services.refresh_segment(segment, trigger=RefreshTrigger.API)
    except SegmentError as error:
        raise _problems(error) from None


@router.get("/{id}/members", response={200: MemberPage, **DETAIL_ERRORS}, summary="List a segment's members")
def list_members(request, id: int = Path(..., ge=1, le=MAX_ID), cursor: str | None = Query(None),
                 limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    """By customer id, descending; follow `next_cursor` until it is null."""
    segment = get_object_or_404(Segment, pk=id)
    rows = SegmentMembership.objects.filter(segment=segment).order_by("-customer_id")
    if cursor:
        rows = rows.filter(customer_id__lt=decode_cursor(cursor))
    page = list(rows.values("customer_id", "customer__full_name", "entered_at")[: limit + 1])
    next_cursor = encode_cursor(page[limit - 1]["customer_id"]) if len(page) > limit else None
    items = [{"customer_id": r["customer_id"], "full_name": r["customer__full_name"], "entered_at": r["entered_at"]}
             for r in page[:limit]]
    return {"items": items, "next_cursor": next_cursor}


@router.post("/{id}/members", response={200: ListResultOut, **DETAIL_WRITE_ERRORS}, summary="Add customers to a static list")
def add_members(request, payload: ListIn, id: int = Path(..., ge=1, le=MAX_ID)):
    """Each item names one customer; `line` in `unmatched` is its 1-based position.
    With `replace`, the list becomes exactly the matched customers."""
    segment = get_object_or_404(Segment, pk=id)
    identifiers = []
    for line, item in enumerate(payload.customers, start=1):
        column = next((c for c in lists.COLUMNS if getattr(item, c) not in (None, "")), None)
        if column is None:
            raise invalid("customers", _("give one of email, phone, id or customer_id"), line=line)
        identifiers.append((line, column, str(getattr(item, column)).strip()))
    try:
        ids, result = lists.match_identifiers(identifiers)
        result = lists.update_list(segment, ids, result, replace=payload.replace)
    except SegmentError as error:
        raise _problems(error) from None
    return {**vars(result), "unmatched": [{"line": a, "value": b, "reason": c} for a, b, c in result.unmatched]}
