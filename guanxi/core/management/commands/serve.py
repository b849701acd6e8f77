"""`guanxi serve`: the web app on a production WSGI server (waitress)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Serve Guanxi over HTTP with waitress (static files included).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **opts):
        from waitress import serve

        from guanxi.wsgi import application

        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(_("Guanxi is serving on http://%(host)s:%(port)d/ (Ctrl+C stops it)") % opts)
        serve(application, host=opts["host"], port=opts["port"], threads=opts["threads"])
