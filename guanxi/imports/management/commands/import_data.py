"""`guanxi import KIND FILE`: import a shop export through the import service."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guanxi.imports.exceptions import ImportRejected
from guanxi.imports.schemas import PRESETS, SCHEMAS
from guanxi.imports.services import import_file


class Command(BaseCommand):
    help = _("Import customers, products, orders, returns or events from CSV/TSV/XLSX/JSON Lines/Parquet.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(SCHEMAS))
        parser.add_argument("file")
        parser.add_argument("--source", help=_("name of the shop the data comes from (default: GUANXI_DEFAULT_SOURCE)"))
        parser.add_argument("--preset", default="generic", choices=["generic", *PRESETS])
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help=_("read FIELD from COLUMN (repeatable)"))
        parser.add_argument("--encoding", help=_("force the file encoding (default: detected)"))
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true", help=_("show what would change without writing"))
        parser.add_argument("--strict", action="store_true", help=_("exit with status 1 when any row is rejected"))
        parser.add_argument("--json", action="store_true", help=_("print the summary as JSON"))
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        mapping = _parse_mapping(opts["map"])
        try:
            run = import_file(opts["kind"], opts["file"], source=opts["source"], preset=opts["preset"], mapping=mapping,
                              dry_run=opts["dry_run"], batch_size=opts["batch_size"], encoding=opts["encoding"],
                              progress=not (opts["no_progress"] or opts["json"]))
        except ImportRejected as exc:
            raise CommandError(_("%(file)s: %(error)s") % {"file": opts["file"], "error": exc}) from None
        self._report(run, opts)
        if opts["strict"] and run.rejected:
            raise CommandError(_("%(count)d rows rejected (--strict)") % {"count": run.rejected}, returncode=1)

    def _report(self, run, opts):
        summary = run.summary()
        if opts["json"]:
            self.stdout.write(json.dumps({k: summary[k] for k in ("read", "created", "updated", "unchanged", "rejected", "rejects_file")}))
            return
        prefix = _("Dry run, nothing written. ") if run.dry_run else ""
        self.stdout.write(prefix + _("Read %(read)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.") % summary)
        if run.rejects_file:
            self.stdout.write(_("Rejected rows with line, field and reason: %(path)s") % {"path": run.rejects_file})


def _parse_mapping(pairs):
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise CommandError(_("--map expects COLUMN=FIELD, got %(pair)r") % {"pair": pair})
        mapping[column.strip()] = field.strip()
    return mapping
