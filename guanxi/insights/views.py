"""Analysis pages: the latest report (models, backtest, segments, cohorts), the
run history, and the admins' "analyse now" button."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pages import paginate
from guanxi.insights import report as report_view
from guanxi.insights import tasks
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import AnalysisRun, ProductAffinity

TOP_AFFINITIES = 15


@permission_required("insights.view_analysisrun", raise_exception=True)
def overview(request):
    run = AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).first()
    return _report_page(request, run)


@permission_required("insights.view_analysisrun", raise_exception=True)
def run_detail(request, pk):
    return _report_page(request, get_object_or_404(AnalysisRun, pk=pk))


def _report_page(request, run):
    context = {"run": run, "latest": AnalysisRun.objects.first(),
               "running": AnalysisRun.objects.filter(status=RunStatus.RUNNING).exists()}
    if run and run.status == RunStatus.SUCCEEDED:
        context.update(report_view.sections(run.report))
        context["affinities"] = (ProductAffinity.objects.select_related("product", "consequent")
                                 .order_by("-lift", "product_id", "consequent_id")[:TOP_AFFINITIES])
    return render(request, "insights/overview.html", context)


@permission_required("insights.view_analysisrun", raise_exception=True)
def run_list(request):
    runs = AnalysisRun.objects.select_related("started_by")
    return render(request, "insights/run_list.html", {"page": paginate(request, runs)})


@require_POST
@permission_required("insights.add_analysisrun", raise_exception=True)
def start(request):
    tasks.run_analysis.enqueue(user_id=request.user.pk)
    messages.success(request, _("The analysis has been queued; the scores update when it finishes."))
    return redirect("insights:overview")
