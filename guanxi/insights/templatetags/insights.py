"""Template tags of the customer page's scores, in the insights app so the
customers app needs no import of it: the customer page only loads these tags.

`{% customer_360 customer as view %}` gathers what the header, the next-best-
action card and the insights card show, with at most two queries (recommended
products; categories when a replenishment is due); `{% customer_insights view %}`
renders the insights card from it.
"""

from dataclasses import dataclass, field

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.commerce.models import Category, Product
from guanxi.customers.choices import ContactKind
from guanxi.insights import actions, explain

register = template.Library()


@dataclass
class Customer360:
    customer: object
    score: object
    consents: list  # [(ContactKind value, label, ChannelConsent)]
    actions: list
    recommended: list = field(default_factory=list)
    occasions: list = field(default_factory=list)
    sentences: list = field(default_factory=list)

    @property
    def action(self):
        return self.actions[0]

    @property
    def alternatives(self):
        return self.actions[1:]


def score_of(customer):
    try:
        return customer.score
    except customer.__class__.score.RelatedObjectDoesNotExist:
        return None


@register.simple_tag
def customer_360(customer, today=None):
    """Everything the customer page says about the scores (see the module doc)."""
    today = today or timezone.localdate()
    score = score_of(customer)
    consents = customer.channel_consents()
    view = Customer360(customer, score, [(kind, ContactKind(kind).label, state) for kind, state in consents], [])
    categories = {}
    if score is not None:
        ids = [i for i in score.recommended_products or [] if isinstance(i, int)]
        products = Product.objects.only("pk", "sku", "name").in_bulk(ids) if ids else {}
        view.recommended = [products[i] for i in ids if i in products]
        category_ids = [item.get("category_id") for item in score.replenishments or []]
        if category_ids:
            categories = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
        view.occasions = actions.upcoming_occasions(score, today)
        view.sentences = [s for s in [explain.alive_sentence(score), explain.next_order_sentence(score),
                                      *explain.occasion_sentences(score),
                                      *explain.replenishment_sentences(score, categories)] if s]
    owner = customer.account_owner
    view.actions = actions.next_best_actions(
        customer, score, dict(consents), today, product_names=[p.name for p in view.recommended],
        category_names=categories, owner_name=(owner.get_full_name() or owner.get_username()) if owner else "",
    )
    return view


@register.inclusion_tag("insights/customer_card.html", takes_context=True)
def customer_insights(context, view):
    return {"view": view, "score": view.score, "perms": context.get("perms")}


@register.inclusion_tag("insights/_next_best_action.html", takes_context=True)
def next_best_action(context, view):
    return {"view": view, "perms": context.get("perms")}


@register.filter
def risk_explained(score):
    """The credit rating's components in words, for a tooltip."""
    reasons = (score.risk_reasons or {}) if score is not None else {}
    if score is None or score.risk_score is None:
        return ""
    return _("risk score %(score)d/100 · returns per order %(returns).2f · refunded %(refunds)d%% · "
             "unpaid %(unpaid)d%% · complaints %(complaints)d") % {
        "score": round(score.risk_score), "returns": reasons.get("return_rate") or 0,
        "refunds": round((reasons.get("refund_share") or 0) * 100),
        "unpaid": round((reasons.get("unpaid_share") or 0) * 100), "complaints": reasons.get("complaints") or 0}


@register.filter
def percent(value):
    """0.823 -> "82%" (the share in the active language's digits)."""
    if not isinstance(value, (int, float)):
        return ""
    return _("%(share)d%%") % {"share": round(value * 100)}
