"""What an analysis leaves behind: the run with its report, one score row per
customer, and the product and category affinities behind the recommendations.

Scores are replaced as a whole by each successful run (inside one transaction),
so a customer page never mixes two runs; the run's report keeps the fitted
models, the backtest and the cohorts for the analysis page.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.insights.choices import (
    ChurnBand,
    Lifecycle,
    Model,
    RfmSegment,
    RiskRating,
    RunStatus,
    TimeUnit,
    Trigger,
    ValueTier,
)


class AnalysisRun(models.Model):
    """One `guanxi analyze`: its options, outcome and report (models, backtest, cohorts)."""

    status = models.CharField(_("status"), max_length=10, choices=RunStatus, default=RunStatus.RUNNING)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger, default=Trigger.COMMAND)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    calibration_end = models.DateField(_("calibration end"), null=True, blank=True)
    time_unit = models.CharField(_("time unit"), max_length=5, choices=TimeUnit, default=TimeUnit.DAYS)
    chosen_model = models.CharField(_("model"), max_length=10, choices=Model, blank=True)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")

    def __str__(self):
        return f"{self.as_of} ({self.get_status_display()})"

    @property
    def seconds(self):
        if not self.finished_at:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class CustomerScore(models.Model):
    """A customer's scores as of the last successful analysis.

    Few indexes on purpose: a million rows are rewritten every night, and the
    segment queries over these columns scan anyway (low-cardinality codes); CLV
    is indexed for the key-account list sorted by value.
    """

    customer = models.OneToOneField("customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="score")
    run = models.ForeignKey(AnalysisRun, null=True, on_delete=models.SET_NULL, related_name="+")
    as_of = models.DateField(_("as of"))
    # RFM over the analysis window
    recency_days = models.IntegerField(_("days since last order"), null=True)
    frequency = models.IntegerField(_("orders in window"), default=0)
    monetary = models.FloatField(_("revenue in window"), default=0)
    r_score = models.PositiveSmallIntegerField("R", null=True)
    f_score = models.PositiveSmallIntegerField("F", null=True)
    m_score = models.PositiveSmallIntegerField("M", null=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=20, choices=RfmSegment, blank=True)
    lifecycle = models.CharField(_("lifecycle stage"), max_length=10, choices=Lifecycle, blank=True)
    # Purchase and spend models
    p_alive = models.FloatField(_("probability still active"), null=True)
    churn_band = models.CharField(_("churn risk"), max_length=6, choices=ChurnBand, blank=True)
    expected_orders = models.FloatField(_("expected orders in horizon"), null=True)
    expected_order_value = models.FloatField(_("expected order value"), null=True)
    clv = models.FloatField(_("predicted customer lifetime value"), null=True, db_index=True)
    next_order_on = models.DateField(_("expected next order"), null=True)
    revenue = models.FloatField(_("revenue net of refunds"), default=0)
    # Key accounts and credit
    value_tier = models.CharField(_("value tier"), max_length=10, choices=ValueTier, blank=True)
    value_score = models.FloatField(_("value score"), null=True)
    risk_score = models.FloatField(_("risk score"), null=True)
    risk_rating = models.CharField(_("credit rating"), max_length=1, choices=RiskRating, blank=True)
    risk_reasons = models.JSONField(_("risk components"), default=dict, blank=True)
    # Dates ahead: occasions and replenishment, nearest first in the scalar columns
    next_occasion = models.CharField(_("next occasion"), max_length=80, blank=True)
    next_occasion_on = models.DateField(_("next occasion date"), null=True)
    occasions = models.JSONField(_("occasions"), default=list, blank=True)
    replenish_on = models.DateField(_("replenishment due"), null=True)
    replenishments = models.JSONField(_("replenishment"), default=list, blank=True)
    recommended_products = models.JSONField(_("recommended products"), default=list, blank=True)

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")


class Affinity(models.Model):
    """An association rule "bought X, also bought Y" with its figures (analytics/crosssell)."""

    orders = models.PositiveIntegerField(_("orders with both"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))

    class Meta:
        abstract = True
        ordering = ["-lift"]


class ProductAffinity(Affinity):
    """Between products."""

    product = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")
    consequent = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")

    class Meta(Affinity.Meta):
        constraints = [models.UniqueConstraint(fields=["product", "consequent"], name="product_affinity_unique")]


class CategoryAffinity(Affinity):
    """Between categories."""

    category = models.ForeignKey("commerce.Category", on_delete=models.CASCADE, related_name="+")
    consequent = models.ForeignKey("commerce.Category", on_delete=models.CASCADE, related_name="+")

    class Meta(Affinity.Meta):
        constraints = [models.UniqueConstraint(fields=["category", "consequent"], name="category_affinity_unique")]
