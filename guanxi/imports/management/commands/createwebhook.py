"""`guanxi createwebhook SOURCE`: create the webhook endpoint of a shop, or
rotate its secret; prints the secret and the URL to give the shop."""

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.imports.webhooks import rotate_secret


class Command(BaseCommand):
    help = "Create or rotate the signing secret of a webhook source and print it with the URL."

    def add_arguments(self, parser):
        parser.add_argument("source", help="The shop's source name, e.g. shopify-main.")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where Guanxi is reachable from the shop.")

    def handle(self, *args, source, base_url, **options):
        try:
            endpoint = rotate_secret(source)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        url = base_url.rstrip("/") + reverse("api:receive_webhook", kwargs={"source": endpoint.source})
        self.stdout.write(_("URL:    %(url)s") % {"url": url})
        self.stdout.write(_("Secret: %(secret)s") % {"secret": endpoint.secret})
        self.stdout.write(_("Sign each body with HMAC-SHA256 and this secret; send it as X-Guanxi-Signature: sha256=<hex>. "
                            "A previous secret stops working now."))
