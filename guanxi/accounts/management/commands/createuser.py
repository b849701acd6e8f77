"""`guanxi createuser USERNAME --role ROLE`: add a team member (or reset their
password and role). The password comes from --password, else the
GUANXI_PASSWORD environment variable, else a prompt."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guanxi.accounts.choices import Role
from guanxi.accounts.exceptions import AccountError
from guanxi.accounts.services import create_user


class Command(BaseCommand):
    help = "Create a user with a role, or reset an existing user's password and role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.ADMIN)
        parser.add_argument("--password", help="Prefer GUANXI_PASSWORD: a command line is visible to other users.")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password, email, **options):
        password = password or os.environ.get("GUANXI_PASSWORD") or self._prompt()
        try:
            user = create_user(username, password, role, email=email)
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("User %(username)s is ready with the %(role)s role.") % {"username": user.username, "role": role})

    def _prompt(self):
        if not os.isatty(0):
            raise CommandError(_("No password: pass --password, set GUANXI_PASSWORD, or run in a terminal."))
        first = getpass.getpass(_("Password: "))
        if not first or first != getpass.getpass(_("Password (again): ")):
            raise CommandError(_("The passwords are empty or do not match."))
        return first
