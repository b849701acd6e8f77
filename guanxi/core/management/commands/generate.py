"""`guanxi generate --out DIR`: write a synthetic shop's import files (docs/generator.md)."""

import argparse
import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guanxi.synthetic import generate_shop
from guanxi.synthetic.params import DEFAULT_END, MIN_WINDOW_DAYS, default_start
from guanxi.synthetic.writer import FORMATS


def _iso_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": text}) from None


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(_("%(value)r is not a whole number of at least 1") % {"value": text})
    return value


class Command(BaseCommand):
    help = _("Generate a deterministic synthetic shop (customers, products, orders, returns, events) "
             "with the true model parameters in truth.json.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=_positive, default=5000, help=_("number of customers (default 5000)"))
        parser.add_argument("--seed", type=int, default=42, help=_("random seed; same seed, same files (default 42)"))
        parser.add_argument("--out", required=True, help=_("directory to write the files into"))
        parser.add_argument("--format", choices=FORMATS, default="csv", help=_("file format (default csv)"))
        parser.add_argument("--start", type=_iso_date,
                            help=_("first day, YYYY-MM-DD (default: three years before the end)"))
        parser.add_argument("--end", type=_iso_date, default=DEFAULT_END,
                            help=_("last day, YYYY-MM-DD (default %(default)s)"))
        parser.add_argument("--no-progress", action="store_true", help=_("do not show a progress bar"))
        parser.add_argument("--json", action="store_true", help=_("print the summary as JSON"))

    def handle(self, *args, **opts):
        began = time.monotonic()
        start, end = opts["start"] or default_start(opts["end"]), opts["end"]
        if (end - start).days + 1 < MIN_WINDOW_DAYS:
            raise CommandError(_("--start %(start)s to --end %(end)s must span at least %(days)d days")
                               % {"start": start, "end": end, "days": MIN_WINDOW_DAYS})
        summary = generate_shop(opts["out"], opts["customers"], opts["seed"], fmt=opts["format"], start=start,
                                end=end, progress=not (opts["no_progress"] or opts["json"]))
        if opts["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self._report(summary, time.monotonic() - began)

    def _report(self, summary, seconds):
        self.stdout.write(_(
            "Generated %(customers)d customers, %(products)d products, %(orders)d orders (%(order_lines)d lines), "
            "%(returns)d returns and %(events)d events from %(start)s to %(end)s in %(seconds).1f s.")
            % {**summary, "seconds": seconds})
        for name, size in summary["files"].items():
            self.stdout.write(_("  %(file)s  %(size).1f MB") % {"file": name, "size": size / 1e6})
        self.stdout.write(_("Files are in %(dir)s; the true model parameters are in truth.json.")
                          % {"dir": summary["out_dir"]})
