"""Background entry points: the scheduled refresh of every saved segment, and
the refresh queued after an analysis."""

import logging

from django.conf import settings
from django.tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.segments import services
from guanxi.segments.choices import RefreshTrigger

log = logging.getLogger(__name__)


def _refresh_all(trigger):
    for segment, refresh, error in services.refresh_all(trigger=trigger):
        if error:
            log.warning("segment %s (%s) not refreshed: %s", segment.pk, segment.name, error)
        else:
            log.info("segment %s refreshed: %d members (+%d/-%d)", segment.pk, refresh.size, refresh.entered, refresh.left)


@task()
def refresh_segments_after_analysis():
    _refresh_all(RefreshTrigger.ANALYSIS)


@task()
def refresh_segment(segment_id):
    segment = services.Segment.objects.filter(pk=segment_id).first()
    if segment is not None and not segment.is_static:
        services.refresh_segment(segment, trigger=RefreshTrigger.MANUAL)


@db_periodic_task(crontab(minute="30", hour=str(settings.SEGMENTS_REFRESH_AT_HOUR)))
def nightly_segment_refresh():
    _refresh_all(RefreshTrigger.SCHEDULE)
