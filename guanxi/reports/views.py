"""The dashboard page: thin; the figures come from the latest analysis' report."""

from django.contrib.auth.decorators import permission_required

from guanxi.campaigns.flows.health import flows_needing_attention
from guanxi.core.pages import render_page
from guanxi.reports import charts, services
from guanxi.reports.forms import DashboardForm
from guanxi.reports.money import Converter

TEMPLATE = "reports/dashboard.html"


@permission_required("reports.view_dashboard", raise_exception=True)
def dashboard(request):
    run = services.latest_run()
    # Flows that stopped sending or need a person, above the figures (not in the htmx fragment).
    alerts = flows_needing_attention() if request.user.has_perm("campaigns.view_flow") else []
    context = {"run": run, "flow_alerts": alerts}
    if run is None or "dashboard" not in run.report:
        return render_page(request, TEMPLATE, context, partial="body")
    rates = services.exchange_rates()
    form = DashboardForm(request.GET or None, periods=services.period_choices(run.report["dashboard"]),
                         currencies=Converter("", rates).currencies)
    context["form"] = form
    if form.is_bound and not form.is_valid():
        response = render_page(request, TEMPLATE, context, partial="body")
        response.status_code = 400
        return response
    converter = Converter(form.choice("currency"), rates)
    context.update(services.dashboard(run, form.choice("period"), converter))
    context["charts"] = charts.charts(run.report, converter)
    return render_page(request, TEMPLATE, context, partial="body")
