"""Key accounts for sales: the customers of the "key" value tier, most valuable
first, with their credit rating, revenue trend and account owner, and the
inline owner assignment.

The page costs a fixed number of queries whatever its length: the page of
scores with their customers and owners, the account managers for the owner
menu, and ONE grouped query for the trend of the page's customers over the
orders (customer_id, ordered_at) index.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.analytics.schema import PURCHASE_STATUSES
from guanxi.commerce.choices import ReturnStatus
from guanxi.commerce.models import Order, Return
from guanxi.core.pages import is_fragment, paginate, render_page
from guanxi.customers.exceptions import AssignmentNotAllowed, CustomerError
from guanxi.customers.models import Customer
from guanxi.customers.services import account_managers, assign_owner
from guanxi.insights.choices import RiskRating, RunStatus, ValueTier
from guanxi.insights.models import AnalysisRun, CustomerScore

TREND_DAYS = 90
#: A change smaller than this share of the previous period reads as steady.
STEADY = Decimal("0.10")
OWNER_FILTERS = {"": gettext_lazy("Anyone"), "me": gettext_lazy("Mine"), "none": gettext_lazy("Unassigned")}
MONEY = DecimalField(max_digits=16, decimal_places=2)


# ---------------------------------------------------------------- trend

@dataclass(frozen=True)
class Trend:
    """Net revenue of the last TREND_DAYS days against the TREND_DAYS before."""

    recent: Decimal
    previous: Decimal

    @property
    def direction(self):
        if not self.recent and not self.previous:
            return "none"
        if not self.previous:
            return "new"
        change = self.change
        return "up" if change >= STEADY else "down" if change <= -STEADY else "steady"

    @property
    def change(self):
        return (self.recent - self.previous) / self.previous if self.previous else None

    @property
    def percent(self):
        return round(self.change * 100) if self.previous else None


NO_TREND = Trend(Decimal(0), Decimal(0))


def revenue_trends(customer_ids, now=None, days=TREND_DAYS):
    """{customer_id: Trend} for these customers, in one grouped query.

    Net revenue: totals of orders with a purchase status, less their refunded
    returns, counted on the order's date. The range on ordered_at per customer
    is what the orders (customer_id, ordered_at) index serves.
    """
    if not customer_ids:
        return {}
    now = now or timezone.now()
    recent_start, previous_start = now - timedelta(days=days), now - timedelta(days=2 * days)
    refunds = (Return.objects.filter(order=OuterRef("pk"), status=ReturnStatus.REFUNDED).order_by()
               .values("order").annotate(amount_sum=Sum("amount")).values("amount_sum"))
    net = F("total") - Coalesce(Subquery(refunds, output_field=MONEY), Value(Decimal(0)), output_field=MONEY)
    rows = (Order.objects.filter(customer_id__in=customer_ids, ordered_at__gte=previous_start, ordered_at__lt=now,
                                 status__in=PURCHASE_STATUSES)
            .order_by().values("customer_id")
            .annotate(recent=Sum(Case(When(ordered_at__gte=recent_start, then=net), default=Value(Decimal(0)),
                                      output_field=MONEY)),
                      previous=Sum(Case(When(ordered_at__lt=recent_start, then=net), default=Value(Decimal(0)),
                                        output_field=MONEY))))
    return {row["customer_id"]: Trend(Decimal(row["recent"] or 0), Decimal(row["previous"] or 0)) for row in rows}


# ---------------------------------------------------------------- the list

def key_account_scores(owner_filter="", rating="", user=None):
    """Scores of the key tier, most valuable first, with customer and owner."""
    scores = (CustomerScore.objects.filter(value_tier=ValueTier.KEY)
              .select_related("customer", "customer__account_owner")
              .order_by(F("value_score").desc(nulls_last=True), F("clv").desc(nulls_last=True), "customer_id"))
    if owner_filter == "me" and user is not None:
        scores = scores.filter(customer__account_owner=user)
    elif owner_filter == "none":
        scores = scores.filter(customer__account_owner__isnull=True)
    if rating in RiskRating.values:
        scores = scores.filter(risk_rating=rating)
    return scores


def _filters(request):
    owner = request.GET.get("owner", "")
    rating = request.GET.get("rating", "")
    return (owner if owner in OWNER_FILTERS else ""), (rating if rating in RiskRating.values else "")


def _managers_and_permission(user):
    managers = list(account_managers())
    can_assign = user.has_perm("customers.change_customer") and any(m.pk == user.pk for m in managers)
    return managers, can_assign


@permission_required("insights.view_analysisrun", raise_exception=True)
def key_accounts(request):
    owner, rating = _filters(request)
    page = paginate(request, key_account_scores(owner, rating, request.user))
    trends = revenue_trends([score.customer_id for score in page])
    for score in page:
        score.trend = trends.get(score.customer_id, NO_TREND)
    managers, can_assign = _managers_and_permission(request.user)
    context = {
        "page": page, "owner": owner, "rating": rating, "owner_filters": OWNER_FILTERS.items(),
        "ratings": RiskRating.choices, "managers": managers, "can_assign": can_assign, "trend_days": TREND_DAYS,
        # Only asked when the page is empty, to tell "no analysis yet" from "no match".
        "analysed": bool(page.object_list) or AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).exists(),
    }
    return render_page(request, "insights/key_accounts.html", context, partial="results")


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def assign(request, pk):
    """Set the account owner from the key-accounts list (htmx: the owner cell)."""
    customer = get_object_or_404(Customer.objects.select_related("account_owner"), pk=pk)
    owner_id = request.POST.get("owner", "")
    owner = None
    if owner_id:
        owner = get_user_model().objects.filter(pk=owner_id).first() if owner_id.isdigit() else None
    error = ""
    try:
        if owner_id and owner is None:
            raise CustomerError(_("No such team member."))
        changed = assign_owner(customer, owner, by=request.user)
    except AssignmentNotAllowed as exc:
        raise PermissionDenied(exc.message) from None
    except CustomerError as exc:
        error, changed = exc.message, False
    if not is_fragment(request):
        if error:
            messages.error(request, error)
        elif changed:
            messages.success(request, _("Account owner saved."))
        return redirect("insights:key_accounts")
    managers, can_assign = _managers_and_permission(request.user)
    context = {"customer": customer, "managers": managers, "can_assign": can_assign, "error": error, "saved": changed}
    # 200 even with an error: htmx swaps only successful answers, and the cell shows the message.
    return render(request, "insights/key_accounts.html#owner", context)
