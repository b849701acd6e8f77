"""Background entry points for analyses: the admin's button and the nightly run."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.insights import services
from guanxi.insights.choices import Trigger
from guanxi.insights.exceptions import AnalysisAlreadyRunning

log = logging.getLogger(__name__)


@task()
def run_analysis(user_id=None):
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        run = services.run_analysis(trigger=Trigger.BUTTON, user=user)
    except AnalysisAlreadyRunning:
        return None
    return run.pk


@db_periodic_task(crontab(minute="0", hour=str(settings.ANALYZE_AT_HOUR)))
def nightly_analysis():
    try:
        services.run_analysis(trigger=Trigger.SCHEDULE)
    except AnalysisAlreadyRunning:
        log.info("nightly analysis skipped: another analysis is running")
