"""Send-time optimisation: each customer's best hour, learned from when they
opened, clicked and ordered, on their own clock.

The hour with the most signals in the last year wins (ties: the earlier hour);
with fewer than `MIN_SIGNALS` signals the campaign's own time is kept, because
two clicks say little. A campaign "at each customer's best hour" sends each
message at the first such hour after the campaign's time, within a day.
"""

import datetime as dt
from collections import Counter, defaultdict

from django.utils import timezone

from guanxi.campaigns.choices import EventKind
from guanxi.campaigns.models import MessageEvent
from guanxi.campaigns.policy import customer_zone
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order

MIN_SIGNALS = 3
LOOKBACK = dt.timedelta(days=365)


def best_hours(customers, now=None) -> dict:
    """{customer id: best local hour 0-23} for those with enough signals."""
    now = now or timezone.now()
    zones = {c.pk: customer_zone(c) for c in customers}
    if not zones:
        return {}
    moments = defaultdict(list)
    since = now - LOOKBACK
    engaged = MessageEvent.objects.filter(kind__in=[EventKind.OPENED, EventKind.CLICKED], at__gte=since,
                                          message__customer_id__in=zones).values_list("message__customer_id", "at")
    ordered = (Order.objects.filter(customer_id__in=zones, ordered_at__gte=since)
               .exclude(status=OrderStatus.CANCELLED).values_list("customer_id", "ordered_at"))
    for customer_id, at in [*engaged, *ordered]:
        moments[customer_id].append(at.astimezone(zones[customer_id]).hour)
    best = {}
    for customer_id, hours in moments.items():
        if len(hours) >= MIN_SIGNALS:
            counts = Counter(hours)
            best[customer_id] = min(counts, key=lambda hour: (-counts[hour], hour))
    return best


def next_at_hour(moment, hour, customer) -> dt.datetime:
    """The first time at `hour` on the customer's clock at or after `moment`."""
    local = moment.astimezone(customer_zone(customer))
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate < local:
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.UTC)
