"""The one import service behind the CLI, the upload page, the API and webhooks.

Steps of a run:
1. open the input and check its columns (ImportRejected before anything is written);
2. parse rows one by one; a bad row goes to the rejects file with line, field, reason;
3. group rows into batches (never splitting an order), and write each batch in
   its own transaction: a crash keeps earlier batches, and a re-run finds them
   unchanged, so nothing is duplicated;
4. keep counts on the ImportRun: read = created + updated + unchanged + rejected.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from guanxi.imports.choices import RunStatus
from guanxi.imports.columns import resolve_columns
from guanxi.imports.exceptions import ImportRejected, ObjectRejected, RowRejected
from guanxi.imports.models import ImportRun
from guanxi.imports.rejects import RejectsFile, read_rejects
from guanxi.imports.schemas import SCHEMAS, RowParser
from guanxi.imports.writers import WRITERS, Row
from guanxi.lib.tables import BAD_ENCODING, TableError, open_table

log = logging.getLogger(__name__)


def import_file(kind, path, *, source=None, preset="generic", mapping=None, dry_run=False,
                batch_size=None, progress=False, user=None, encoding=None, run=None):
    """Import a CSV/TSV/XLSX/JSONL/Parquet file; returns the finished ImportRun.

    Raises ImportRejected when the file as a whole cannot be imported.
    """
    run = run or _new_run(kind, source, preset, mapping, dry_run, user, file_name=Path(path).name, file_path=str(path))
    try:
        table = open_table(path, encoding=encoding)
        header = table.header if table.kind != "jsonl" else None
        columns, ignored = resolve_columns(SCHEMAS[_check_kind(kind)], header, preset, mapping)
    except (TableError, ImportRejected) as exc:
        _fail(run, str(exc))
        raise ImportRejected(str(exc)) from None
    if ignored:
        log.info("import %s ignores columns %s", run.pk, ignored)
    bar = tqdm(unit=_("rows"), desc=_("Importing %(kind)s") % {"kind": kind}, disable=not progress, mininterval=0.5)
    try:
        return _execute(run, columns, table.rows(), batch_size, bar)
    finally:
        bar.close()


def import_records(kind, records, *, source=None, dry_run=False, user=None):
    """Import a list of dicts (API, webhooks) through the same path as files.

    Each record's position (1-based) stands for its line number.
    """
    run = _new_run(kind, source, "generic", None, dry_run, user, file_name="api")
    columns, _ignored = resolve_columns(SCHEMAS[_check_kind(kind)], None)
    rows = ((n, _lower_keys(record)) for n, record in enumerate(records, start=1))
    return _execute(run, columns, rows, None, None)


def import_object(kind, records, *, source=None, user=None):
    """Import the records of one object (a customer, an order with its lines),
    all or nothing: when any record is rejected everything is rolled back and
    ObjectRejected carries the reasons. Returns the ImportRun otherwise."""
    with transaction.atomic():
        run = import_records(kind, records, source=source, user=user)
        if not run.rejected:
            return run
        problems = _problems(run)
        transaction.set_rollback(True)
    if run.rejects_file:
        # The run is rolled back; its rejects travel in the exception instead.
        Path(run.rejects_file).unlink(missing_ok=True)
    raise ObjectRejected(problems)


def _problems(run):
    problems = []
    for reject in read_rejects(run):
        line = int(reject["line"]) if (reject.get("line") or "").isdigit() else None
        problems.append({"line": line, "field": reject.get("field") or "", "reason": reject.get("reason") or ""})
    return problems or [{"line": None, "field": "", "reason": run.error or _("rejected")}]


def queue_file_import(kind, path, *, file_name, source=None, preset="generic", mapping=None, dry_run=False, user=None):
    """Record a queued run for an uploaded file and hand it to the worker."""
    from guanxi.imports.tasks import run_import

    run = _new_run(kind, source, preset, mapping, dry_run, user, file_name=file_name, file_path=str(path))
    transaction.on_commit(lambda: run_import.enqueue(run.pk))
    return run


def run_queued_import(run_id):
    """Worker entry: run a queued file import once (a finished run is left alone)."""
    claimed = ImportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING)
    if not claimed:
        return None
    run = ImportRun.objects.get(pk=run_id)
    try:
        return import_file(run.kind, run.file_path, source=run.source, preset=run.preset, mapping=run.mapping,
                           dry_run=run.dry_run, run=run)
    except ImportRejected:
        return ImportRun.objects.get(pk=run_id)


def _check_kind(kind):
    if kind not in SCHEMAS:
        raise ImportRejected(_("unknown import kind %(kind)s; choose one of: %(kinds)s") % {"kind": kind, "kinds": ", ".join(SCHEMAS)})
    return kind


def _lower_keys(record):
    if not isinstance(record, dict):
        return {"__invalid__": _("each record must be an object")}
    return {str(k).strip().lower(): v if isinstance(v, (str, list, dict)) or v is None else str(v) for k, v in record.items()}


def _new_run(kind, source, preset, mapping, dry_run, user, **files):
    _check_kind(kind)
    return ImportRun.objects.create(kind=kind, source=source or settings.DEFAULT_SOURCE, preset=preset or "generic",
                                    mapping=mapping or {}, dry_run=dry_run, created_by=user, **files)


def _fail(run, message):
    run.status, run.error, run.finished_at = RunStatus.FAILED, message, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


def _execute(run, columns, raw_rows, batch_size, bar):
    schema = SCHEMAS[run.kind]
    writer = WRITERS[run.kind](run)
    rejects = RejectsFile(run)
    run.status, run.started_at = RunStatus.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        for batch in _batches(schema, columns, raw_rows, batch_size or settings.IMPORT_BATCH_SIZE, rejects, run, bar):
            _write_batch(run, writer, batch, rejects)
    except Exception as exc:
        rejects.close()
        _finish(run, rejects, RunStatus.FAILED, _("stopped after %(read)d rows: %(error)s") % {"read": run.read, "error": exc})
        raise
    rejects.close()
    return _finish(run, rejects, RunStatus.DONE)


def _finish(run, rejects, status, error=""):
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.rejects_file = str(rejects.path) if rejects.written else ""
    run.save()
    return run


def _batches(schema, columns, raw_rows, size, rejects, run, bar):
    """Parse rows and yield lists of Row, never splitting a group (an order).

    A group is all or nothing: when one line of an order is rejected, its other
    lines are rejected too, so no order is ever saved without one of its lines.
    """
    batch, previous, parser = [], None, RowParser(schema, columns)
    failed = None  # (group value, line) of the group that has a rejected line
    for line, raw in raw_rows:
        run.read += 1
        if bar is not None:
            bar.update()
        raw = _fill_down(schema, columns, raw, previous) if "__invalid__" not in raw else raw
        group = _group_value(schema, columns, raw)
        previous = raw
        if failed and group == failed[0]:
            _reject(rejects, run, line, schema.group_by, _group_failed(group, failed[1]), raw)
            continue
        row = _parse(parser, line, raw, rejects, run)
        if row is None:
            if schema.group_by and group:
                failed = (group, line)
                batch = _drop_group(batch, group, line, schema, rejects, run)
            continue
        if len(batch) >= size and (not schema.group_by or row.group != batch[-1].group):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def _group_failed(group, line):
    return _("order %(order)s has a rejected line (line %(line)d): the whole order is left out") % {"order": group, "line": line}


def _group_value(schema, columns, raw):
    value = raw.get(columns.get(schema.group_by)) if schema.group_by else None
    return value.strip() if isinstance(value, str) else value


def _drop_group(batch, group, line, schema, rejects, run):
    """Reject the earlier lines of a group whose later line was rejected
    (they are the batch's tail: the lines of a group are adjacent)."""
    keep = len(batch)
    while keep and batch[keep - 1].group == group:
        keep -= 1
    for row in batch[keep:]:
        _reject(rejects, run, row.line, schema.group_by, _group_failed(group, line), row.raw)
    return batch[:keep]


def _reject(rejects, run, line, field, reason, raw):
    rejects.add(line, field, reason, raw)
    run.rejected += 1


def _parse(parser, line, raw, rejects, run):
    try:
        if "__invalid__" in raw:
            raise RowRejected("", raw["__invalid__"])
        if BAD_ENCODING in raw:
            raise RowRejected("", _("line is not valid %(encoding)s text") % {"encoding": raw[BAD_ENCODING].upper()})
        if "__extra__" in raw:
            raise RowRejected("", _("more cells than the header has columns"))
        record, fingerprint = parser(raw)
    except RowRejected as exc:
        _reject(rejects, run, line, exc.field, exc.reason, raw)
        return None
    group = record.get(parser.schema.group_by) if parser.schema.group_by else None
    return Row(line=line, record=record, hash=fingerprint, raw=raw, group=group)


def _fill_down(schema, columns, raw, previous):
    if not schema.fill_down or previous is None:
        return raw
    key = columns.get(schema.group_by)
    if raw.get(key) != previous.get(key):
        return raw
    filled = dict(raw)
    for name in schema.fill_down:
        column = columns.get(name)
        if column and not (filled.get(column) or "").strip():
            filled[column] = previous.get(column, "")
    return filled


def _write_batch(run, writer, batch, rejects):
    """Write one batch in its own transaction; retry once if another writer
    created the same keys in the meantime (unique constraints caught it)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                outcome = writer.write(batch)
                if run.dry_run:
                    transaction.set_rollback(True)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    for row, field, reason in outcome.rejected:
        rejects.add(row.line, field, reason, row.raw)
    run.created += outcome.created
    run.updated += outcome.updated
    run.unchanged += outcome.unchanged
    run.rejected += len(outcome.rejected)
    run.save(update_fields=["read", "created", "updated", "unchanged", "rejected"])
    rejects.flush()
