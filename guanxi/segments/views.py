"""Segment pages: list, the rule builder with its live preview, a segment's page,
refresh, list upload, export and delete. Thin: parse, check permission, call
services, render."""

import json
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from guanxi.core.pages import paginate, render_page
from guanxi.customers.models import Customer, Tag
from guanxi.segments import builder, exports, lists, services
from guanxi.segments.charts import size_chart
from guanxi.segments.choices import Change, SegmentKind
from guanxi.segments.exceptions import InvalidDefinition, SegmentError
from guanxi.segments.fields import builder_groups
from guanxi.segments.models import Segment, SegmentChange
from guanxi.segments.rules import (
    category_names_for,
    clean_definition,
    describe,
    empty_definition,
)

HISTORY_SIZE = 30
CHART_REFRESHES = 90
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


# ---------------------------------------------------------------- list

@permission_required("segments.view_segment", raise_exception=True)
def segment_list(request):
    segments = list(Segment.objects.all())
    names = category_names_for([s.definition for s in segments])
    for segment in segments:
        segment.summary = describe(segment.definition, names) if not segment.is_static else _("Uploaded list")
    return render(request, "segments/segment_list.html", {"segments": segments})


# ---------------------------------------------------------------- builder

def _builder_context(tree, problems=None):
    from guanxi.commerce.models import Category

    marked = {builder.path_of_problem(p["field"]): p["reason"] for p in (problems or [])}
    return {"root": builder.nodes_for_template(tree, marked), "field_groups": builder_groups(),
            "categories": list(Category.objects.order_by("name").values_list("pk", "name")[:500]),
            "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
            "problems": marked}


def _form_values(request, segment=None):
    data = request.POST
    return {"name": data.get("name", segment.name if segment else "").strip(),
            "description": data.get("description", segment.description if segment else "")}


@permission_required("segments.add_segment", raise_exception=True)
def segment_new(request):
    kind = SegmentKind.STATIC if request.GET.get("kind") == SegmentKind.STATIC else SegmentKind.DYNAMIC
    return _edit(request, None, kind)


@permission_required("segments.change_segment", raise_exception=True)
def segment_edit(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    return _edit(request, segment, segment.kind)


def _edit(request, segment, kind):
    tree = segment.definition if segment and segment.definition else empty_definition()
    if not segment and "template" in request.GET:
        tree = _start_from(request.GET["template"])
    problems, values = [], _form_values(request, segment)
    if request.method == "POST":
        tree = builder.tree_from_form(request.POST) if kind == SegmentKind.DYNAMIC else {}
        try:
            saved = services.save_segment(name=values["name"], definition=tree, description=values["description"],
                                          kind=kind, segment=segment, user=request.user)
        except InvalidDefinition as error:
            problems = error.problems
        except SegmentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, ngettext("Segment saved: %(n)s member.", "Segment saved: %(n)s members.", saved.size)
                             % {"n": saved.size} if not saved.is_static
                             else _("List saved. Upload a file of customers to fill it."))
            return redirect(saved)
    context = {"segment": segment, "kind": kind, "values": values, "tree_json": json.dumps(tree),
               **_builder_context(tree, problems)}
    if problems:
        messages.error(request, _("The rules need fixing before the segment can be saved."))
    return render(request, "segments/segment_form.html", context)


def _start_from(template):
    """A few starting points offered on the empty builder."""
    starts = {
        "win_back": [{"field": "churn_band", "op": "in", "value": ["high", "medium"]},
                     {"field": "clv", "op": "gte", "value": "100"},
                     {"field": "consent", "op": "granted", "value": "email"}],
        "champions": [{"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}],
    }
    return {"match": "all", "rules": starts.get(template, [])}


@require_POST
@permission_required("segments.add_segment", raise_exception=True)
def builder_update(request):
    """htmx: apply a builder button (add, remove) or a field change and draw the builder again."""
    tree = builder.apply_action(builder.tree_from_form(request.POST), request.POST.get("action", ""))
    response = render(request, "segments/segment_form.html#builder", _builder_context(tree))
    response["HX-Trigger"] = "builder-drawn"  # the preview counts the new rules
    return response


@require_POST
@permission_required("segments.view_segment", raise_exception=True)
def preview(request):
    """htmx: the live size, revenue and predicted CLV of the rules being built."""
    tree = builder.tree_from_form(request.POST)
    context = {"words": "", "problems": []}
    try:
        context["figures"] = services.preview(tree)
        context["words"] = describe(clean_definition(tree))
    except InvalidDefinition as error:
        context["problems"] = [{"path": builder.path_of_problem(p["field"]), "reason": p["reason"]} for p in error.problems]
    return render(request, "segments/segment_form.html#preview", context)


# ---------------------------------------------------------------- one segment

@permission_required("segments.view_segment", raise_exception=True)
def segment_detail(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    members = (Customer.objects.filter(segment_memberships__segment=segment).select_related("score")
               .order_by("-total_spent", "pk"))
    refreshes = list(segment.refreshes.all()[:CHART_REFRESHES])[::-1]
    history = SegmentChange.objects.filter(segment=segment).select_related("customer")[:HISTORY_SIZE]
    context = {"segment": segment, "page": paginate(request, members), "history": history, "Change": Change,
               "summary": describe(segment.definition) if not segment.is_static else "",
               "chart": size_chart(refreshes),
               "refreshes": refreshes[-10:][::-1]}
    return render_page(request, "segments/segment_detail.html", context, partial="members")


@require_POST
@permission_required("segments.change_segment", raise_exception=True)
def segment_refresh(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        refresh = services.refresh_segment(segment)
    except SegmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Refreshed: %(size)s members, %(entered)s entered, %(left)s left.")
                         % {"size": refresh.size, "entered": refresh.entered, "left": refresh.left})
    return redirect(segment)


@require_POST
@permission_required("segments.change_segment", raise_exception=True)
def segment_upload(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect(segment)
    if upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 20 MB; split it or use the API."))
        return redirect(segment)
    suffix = Path(upload.name).suffix.lower()[:8]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"list{suffix}"
        with open(path, "wb") as out:
            out.writelines(upload.chunks())
        try:
            result = lists.upload_list(segment, path, replace=request.POST.get("replace") == "on")
        except SegmentError as error:
            messages.error(request, str(error))
            return redirect(segment)
    segment.refresh_from_db()
    return render(request, "segments/upload_result.html", {"segment": segment, "result": result})


@permission_required("segments.export_segment", raise_exception=True)
def segment_export(request, pk, fmt):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        content, content_type, filename = exports.export_members(segment, fmt, request.user, request=request)
    except SegmentError as error:
        messages.error(request, str(error))
        return redirect(segment)
    if fmt == "xlsx":
        return FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@permission_required("segments.delete_segment", raise_exception=True)
def segment_delete(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    services.delete_segment(segment)
    messages.success(request, _("Segment %(name)s deleted.") % {"name": segment.name})
    return redirect("segments:list")
