"""`guanxi segments list | refresh [NAME...] | export NAME FILE`: segments from the command line."""

import json
import shutil

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guanxi.segments import exports, services
from guanxi.segments.choices import RefreshTrigger
from guanxi.segments.exceptions import SegmentError
from guanxi.segments.models import Segment


class Command(BaseCommand):
    help = _("List saved segments, refresh them now, or export one's members (docs/segments.md).")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help=_("segments with their size and last refresh"))
        listing.add_argument("--json", action="store_true", help=_("print JSON"))
        refresh = actions.add_parser("refresh", help=_("refresh rule-based segments now (all, or those named)"))
        refresh.add_argument("names", nargs="*", help=_("segment names (default: every rule-based segment)"))
        export = actions.add_parser("export", help=_("write a segment's members to a CSV or XLSX file (audited)"))
        export.add_argument("name", help=_("segment name"))
        export.add_argument("file", help=_("output file, .csv or .xlsx"))

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _list(self, **options):
        rows = [{"id": s.pk, "name": s.name, "kind": s.kind, "members": s.size, "revenue": str(s.revenue),
                 "clv": round(s.clv, 2), "refreshed_at": s.refreshed_at.isoformat() if s.refreshed_at else None}
                for s in Segment.objects.all()]
        if options["json"]:
            self.stdout.write(_json(rows))
            return
        for row in rows:
            self.stdout.write(f"{row['id']:>5}  {row['name']:<40} {row['members']:>10,}  {row['refreshed_at'] or '-'}")

    def _refresh(self, names=(), **options):
        segments = [_named(name) for name in names] if names else None
        results = ([(s, *_refresh(s)) for s in segments] if segments is not None
                   else services.refresh_all(trigger=RefreshTrigger.MANUAL))
        failed = False
        for segment, refresh, error in results:
            if error:
                failed = True
                self.stderr.write(_("%(name)s: not refreshed: %(error)s") % {"name": segment.name, "error": error})
            else:
                self.stdout.write(_("%(name)s: members %(size)s (+%(entered)s, -%(left)s) in %(seconds).2f s") % {
                    "name": segment.name, "size": refresh.size, "entered": refresh.entered, "left": refresh.left,
                    "seconds": refresh.seconds})
        if failed:
            raise CommandError(_("Some segments were not refreshed."))

    def _export(self, name, file, **options):
        fmt = file.rsplit(".", 1)[-1].lower()
        if fmt not in ("csv", "xlsx"):
            raise CommandError(_("%(file)s: the file name must end in .csv or .xlsx") % {"file": file})
        segment = _named(name)
        try:
            content, _kind, _name = exports.export_members(segment, fmt, None)
        except SegmentError as error:
            raise CommandError(str(error)) from None
        if fmt == "xlsx":
            with open(file, "wb") as out:
                shutil.copyfileobj(content, out)
        else:
            with open(file, "w", encoding="utf-8", newline="") as out:
                out.writelines(content)
        self.stdout.write(_("%(file)s: members written: %(n)s") % {"n": segment.size, "file": file})


def _named(name):
    segment = Segment.objects.filter(name__iexact=name.strip()).first()
    if segment is None:
        raise CommandError(_("No segment named %(name)r.") % {"name": name})
    return segment


def _refresh(segment):
    try:
        return services.refresh_segment(segment, trigger=RefreshTrigger.MANUAL), None
    except SegmentError as error:
        return None, str(error)


def _json(rows):
    return json.dumps(rows, ensure_ascii=False)
