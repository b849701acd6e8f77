"""Small factories for import page tests (no importer needed)."""

from guanxi.imports.choices import ImportKind, RunStatus
from guanxi.imports.models import ImportRun
from guanxi.imports.rejects import RejectsFile


def make_run(kind=ImportKind.CUSTOMERS, status=RunStatus.DONE, **fields):
    return ImportRun.objects.create(kind=kind, source=fields.pop("source", "shop"), status=status, **fields)


def add_rejects(run, rejects):
    """Write (line, field, reason) rows to the run's rejects file, as the importer does."""
    rejects_file = RejectsFile(run)
    for line, field, reason in rejects:
        rejects_file.add(line, field, reason, {"email": "bad"})
    rejects_file.close()
    run.rejects_file, run.rejected = str(rejects_file.path), len(rejects)
    run.save(update_fields=["rejects_file", "rejected"])
    return run
