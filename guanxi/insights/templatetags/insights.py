"""{% customer_insights customer %}: the scores card on the customer page.

Lives with the insights app so the customers app needs no import of it: the
customer page only includes this tag.
"""

from django import template

from guanxi.commerce.models import Category, Product
from guanxi.insights import explain

register = template.Library()


def _score_of(customer):
    try:
        return customer.score
    except customer.__class__.score.RelatedObjectDoesNotExist:
        return None


@register.inclusion_tag("insights/customer_card.html", takes_context=True)
def customer_insights(context, customer):
    score = _score_of(customer)
    if score is None:
        return {"score": None, "perms": context.get("perms")}
    ids = [i for i in score.recommended_products or [] if isinstance(i, int)]
    products = Product.objects.in_bulk(ids)
    category_ids = [item.get("category_id") for item in score.replenishments or []]
    categories = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name")) if category_ids else {}
    sentences = [explain.alive_sentence(score), explain.next_order_sentence(score),
                 *explain.occasion_sentences(score), *explain.replenishment_sentences(score, categories)]
    return {
        "score": score,
        "sentences": [s for s in sentences if s],
        "recommended": [products[i] for i in ids if i in products],
        "perms": context.get("perms"),
    }
