"""Background entry points: the messaging tick, every minute on the worker.

Each tick queues scheduled campaigns that are due, picks A/B winners whose test
time is over, runs the flows (enrols from triggers, advances due enrolments, which
queues their messages), marks rows left by dead workers as in doubt, sends what
is due and credits new orders to the messages that led to them. All state is in the
database, so the embedded (SQLite) huey and a Redis-backed one behave the same.
"""

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from guanxi.campaigns import outbox, services
from guanxi.campaigns.flows import engine

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@lock_task("campaigns-tick")  # one tick at a time; parallel senders are `guanxi send_messages` processes
def messaging_tick():
    tick()


@db_periodic_task(crontab(hour="3", minute="15"))
def attribution_sweep():
    from guanxi.campaigns.attribution import attribute_orders

    log.info("%d orders attributed to messages", attribute_orders())


def tick(now=None):
    from guanxi.campaigns.attribution import attribute_orders  # the tracking side, kept out of import time

    for campaign, added in services.queue_due_campaigns(now=now):
        log.info("campaign %s queued: %d messages", campaign.pk, added)
    for campaign in services.campaigns_ready_for_winner(now=now):
        log.info("campaign %s: variant %s wins", campaign.pk, services.pick_winner(campaign, now=now))
    flows = engine.tick(now)
    if flows["errors"]:
        log.warning("flows: %d errors this tick (see the log above)", flows["errors"])
    stuck = outbox.recover(now=now)
    if stuck:
        log.warning("%d messages in doubt: their sender stopped mid-send", stuck)
    counts = outbox.send_due(now=now)
    # Orders from the last attribution window and a day: the nightly sweep looks at all of them.
    since = (now or timezone.now()) - dt.timedelta(days=settings.GUANXI_MESSAGING["attribution_days"] + 1)
    attributed = attribute_orders(since=since, now=now)
    return {"sent": counts.sent, "postponed": counts.postponed, "suppressed": counts.suppressed,
            "failed": counts.failed, "retried": counts.retried, "in_doubt": stuck, "attributed": attributed,
            "enrolled": flows["enrolled"], "advanced": flows["advanced"], "flow_errors": flows["errors"]}
