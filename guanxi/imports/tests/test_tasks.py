"""The upload page's imports run through django.tasks on huey."""

import pytest
from huey.contrib.djhuey import HUEY

from guanxi.imports.services import queue_file_import
from guanxi.imports.tasks import run_import
from guanxi.imports.tests.helpers import orders_file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def huey_immediate():
    # Immediate mode runs tasks in-process through huey's real task machinery
    # (in-memory storage) instead of a separate consumer.
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = False


def test_a_queued_file_import_runs_once_through_the_task_backend(tmp_path, huey_immediate):
    path = orders_file(tmp_path / "o.csv", 5)
    run = queue_file_import("orders", path, file_name="o.csv", source="upload")
    run.refresh_from_db()
    assert (run.status, run.read, run.created) == ("done", 10, 10)
    result = run_import.enqueue(run.pk)  # a second delivery finds the run already claimed
    assert result.status == "SUCCESSFUL" and result.return_value is None
    run.refresh_from_db()
    assert run.created == 10
