"""`{% customer_segments customer %}`: the segments a customer is in, as chips on their page.

A template tag, so the customers app needs no import of segments (the arrows point down)."""

from django import template

from guanxi.segments.models import SegmentMembership

register = template.Library()
MAX_CHIPS = 12


@register.inclusion_tag("segments/_customer_segments.html", takes_context=True)
def customer_segments(context, customer):
    memberships = list(SegmentMembership.objects.filter(customer=customer).select_related("segment")
                       .order_by("segment__name")[:MAX_CHIPS + 1])
    return {"memberships": memberships[:MAX_CHIPS], "more": len(memberships) > MAX_CHIPS,
            "perms": context.get("perms")}
