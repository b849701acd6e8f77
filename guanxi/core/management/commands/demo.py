"""`guanxi demo`: a ready-to-explore shop on http://127.0.0.1:8000 with no other server.

Steps: migrate the SQLite database in GUANXI_DATA_DIR; generate a synthetic shop
and import it through the ordinary importer (skipped when customers already
exist, unless --reset); create the demo login; start the background worker
and serve the web app until Ctrl+C.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from guanxi.accounts.choices import Role
from guanxi.accounts.services import create_user
from guanxi.customers.models import Customer
from guanxi.imports.services import import_file

IMPORT_ORDER = ("products", "customers", "orders", "returns", "events")


class Command(BaseCommand):
    help = _("Generate and import a demo shop, then serve it on 127.0.0.1.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reset", action="store_true", help=_("import a fresh shop even if data exists"))
        parser.add_argument("--no-serve", action="store_true", help=_("set up and exit without serving"))

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        if opts["reset"] or not Customer.objects.exists():
            self._load_shop(opts["customers"], opts["seed"])
        password = os.environ.get("GUANXI_DEMO_PASSWORD", "guanxi-demo")
        create_user("demo", password, Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(_("Log in at http://127.0.0.1:%(port)d/ as user \"demo\" with password \"%(password)s\"") % {
            "port": opts["port"], "password": password}))
        if not opts["no_serve"]:
            self._serve(opts["port"])

    def _load_shop(self, customers, seed):
        from guanxi.synthetic import generate_shop

        folder = Path(settings.DATA_DIR) / "demo-shop"
        self.stdout.write(_("Generating a shop with %(n)d customers in %(folder)s ...") % {"n": customers, "folder": folder})
        generate_shop(folder, customers=customers, seed=seed, progress=True)
        for kind in IMPORT_ORDER:
            run = import_file(kind, folder / f"{kind}.csv", source="demo", progress=True)
            self.stdout.write(_("%(kind)s: %(read)d read, %(created)d created, %(rejected)d rejected") % {
                "kind": kind, "read": run.read, "created": run.created, "rejected": run.rejected})
        # Score the customers now, so their pages and the insights page have something to show.
        call_command("analyze", stdout=self.stdout)
        # The ready-made flows, as drafts: a marketer reviews and switches them on.
        from guanxi.campaigns.flows.presets import install_presets

        self.stdout.write(_("%(n)d ready-made flows installed as drafts (Campaigns > Flows).") % {"n": len(install_presets())})

    def _serve(self, port):
        worker = subprocess.Popen([sys.executable, "-m", "guanxi.cli", "worker", "--workers", "1"])
        try:
            time.sleep(0.5)
            call_command("serve", port=port, no_migrate=True)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
