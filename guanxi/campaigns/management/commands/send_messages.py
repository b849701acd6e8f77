"""`guanxi send_messages`: a sender process. Run several side by side to send faster:
the outbox hands each message to exactly one of them."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from guanxi.campaigns import outbox


class Command(BaseCommand):
    help = _("Send the messages that are due (once, or keep watching with --watch).")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=200, help=_("messages claimed at a time"))
        parser.add_argument("--limit", type=int, default=None, help=_("stop after this many messages"))
        parser.add_argument("--watch", action="store_true", help=_("keep running, checking for due messages every few seconds"))
        parser.add_argument("--worker", default=None, help=_("a name for this sender in the logs"))

    def handle(self, *args, batch, limit, watch, worker, **options):
        while True:
            in_doubt = outbox.recover()
            counts = outbox.send_due(batch=batch, limit=limit, worker=worker)
            self.stdout.write(_("sent %(sent)d, postponed %(postponed)d, suppressed %(suppressed)d, retried %(retried)d, "
                                "failed %(failed)d, in doubt %(doubt)d") % {
                "sent": counts.sent, "postponed": counts.postponed, "suppressed": counts.suppressed,
                "retried": counts.retried, "failed": counts.failed, "doubt": in_doubt})
            if not watch:
                return
            time.sleep(2 if not counts.handled else 0)
