"""Background entry points for imports: take ids, call the service."""

from django.tasks import task

from guanxi.imports import services


@task()
def run_import(run_id):
    run = services.run_queued_import(run_id)
    return run.summary() if run else None
