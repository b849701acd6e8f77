"""`guanxi createapikey NAME --scope read|write [--user U]`: print a new API key once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guanxi.accounts.choices import Scope
from guanxi.accounts.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key. The key is printed once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for, e.g. the shop or the script using it.")
        parser.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        parser.add_argument("--user", help="The user the key acts for (recorded on the imports it makes).")

    def handle(self, *args, name, scope, user, **options):
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(_("No user %(username)s.") % {"username": user})
        key, plaintext = create_api_key(name, scope, owner)
        self.stderr.write(_("API key %(name)s (%(scope)s). Copy it now: it is not shown again.") % {"name": key.name, "scope": scope})
        self.stdout.write(plaintext)
