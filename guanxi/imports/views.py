"""Import pages: the runs, the upload form, a run's progress and its rejects."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from guanxi.core.pages import paginate, render_page
from guanxi.imports.choices import RunStatus
from guanxi.imports.exceptions import ImportRejected
from guanxi.imports.forms import UploadForm
from guanxi.imports.models import ImportRun
from guanxi.imports.rejects import read_rejects
from guanxi.imports.services import queue_file_import

REJECTS_SHOWN = 200


@permission_required("imports.view_importrun", raise_exception=True)
def run_list(request):
    runs = ImportRun.objects.select_related("created_by").order_by("-id")
    return render(request, "imports/run_list.html", {"page": paginate(request, runs)})


@permission_required("imports.add_importrun", raise_exception=True)
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        path = form.save_upload()
        try:
            run = queue_file_import(data["kind"], path, file_name=data["file"].name, source=data["source"] or None,
                                    preset=data["preset"], mapping=data["mapping"], dry_run=data["dry_run"],
                                    user=request.user)
        except ImportRejected as exc:
            path.unlink(missing_ok=True)
            form.add_error(None, str(exc))
        else:
            return redirect("imports:detail", pk=run.pk)
    return render(request, "imports/upload.html", {"form": form})


@permission_required("imports.view_importrun", raise_exception=True)
def run_detail(request, pk):
    """The run page; htmx polls its "run" partial every 2 s until the run ends."""
    run = get_object_or_404(ImportRun.objects.select_related("created_by"), pk=pk)
    context = {
        "run": run,
        "in_progress": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "rejects": read_rejects(run, limit=REJECTS_SHOWN),
        "rejects_shown": REJECTS_SHOWN,
    }
    return render_page(request, "imports/run_detail.html", context, partial="run")


@permission_required("imports.view_importrun", raise_exception=True)
def rejects_download(request, pk):
    """Stream the run's rejects CSV; only files inside REJECTS_DIR are served."""
    run = get_object_or_404(ImportRun, pk=pk)
    if not run.rejects_file:
        raise Http404(_("This run has no rejects file."))
    path = Path(run.rejects_file).resolve()
    if not path.is_relative_to(Path(settings.REJECTS_DIR).resolve()) or not path.is_file():
        raise Http404(_("This run has no rejects file."))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{run.pk}-rejects.csv",
                        content_type="text/csv; charset=utf-8")
