"""E-mail through Django's mail backend (SMTP in production, files in the demo)."""

import hashlib
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.utils.translation import gettext as _

from guanxi.campaigns.channels.base import PermanentFailure, Sender, TemporaryFailure

# Errors about the server or our own account, not the customer's address: retrying
# is right, and a permanent failure here would mark every recipient as bounced.
SERVER_SIDE = (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError,
               smtplib.SMTPSenderRefused)


def message_id(key: str) -> str:
    """The same outbox key always gives the same Message-ID, so receivers can drop duplicates."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "guanxi"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class EmailSender(Sender):
    """Plain text body with an HTML alternative; one connection per batch."""

    channel = "email"

    def __init__(self, connection=None):
        # mailers.default (Django 6.1+) builds the backend from settings.MAILERS; errors are raised.
        self._connection = connection or mailers.default
        self._in_batch = False

    def open(self):
        try:
            self._connection.open()
        except (OSError, smtplib.SMTPException) as error:
            raise failure_for(error) from error
        self._in_batch = True

    def close(self):
        self._in_batch = False
        try:
            self._connection.close()
        except (OSError, smtplib.SMTPException):
            pass  # The server hung up first: nothing left to close.

    def send(self, outgoing) -> str:
        mail = self.build(outgoing)
        try:
            if self._in_batch:
                self._connection.open()  # reconnects after a dropped connection, else a no-op
            self._connection.send_messages([mail])
        except ValueError as error:
            raise PermanentFailure(_("Invalid address or header: %(error)s") % {"error": error}) from error
        except (OSError, smtplib.SMTPException) as error:
            failure = failure_for(error)
            if isinstance(failure, TemporaryFailure):
                self.close_quietly()
            raise failure from error
        return mail.extra_headers["Message-ID"]

    def close_quietly(self):
        """Drop a connection that may be broken; the next send in the batch reconnects."""
        in_batch = self._in_batch
        self.close()
        self._in_batch = in_batch

    def build(self, outgoing) -> EmailMultiAlternatives:
        headers = {"Message-ID": message_id(outgoing.key), **outgoing.headers}
        if outgoing.language:
            headers.setdefault("Content-Language", outgoing.language)
        mail = EmailMultiAlternatives(subject=outgoing.subject, body=outgoing.text,
                                      from_email=settings.DEFAULT_FROM_EMAIL, to=[outgoing.to], headers=headers)
        if outgoing.html:
            mail.attach_alternative(outgoing.html, "text/html")
        return mail


def failure_for(error) -> Exception:
    """Translate an smtplib/socket error into TemporaryFailure or PermanentFailure."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _refused(error)
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(error, SERVER_SIDE):
        text = _reply(error.smtp_code, error.smtp_error)
        kind = PermanentFailure if error.smtp_code >= 500 else TemporaryFailure
        return kind(_("The mail server rejected the message: %(reply)s") % {"reply": text})
    if isinstance(error, smtplib.SMTPResponseException):
        text = _reply(error.smtp_code, error.smtp_error)
        return TemporaryFailure(_("The mail server refused the connection or account: %(reply)s") % {"reply": text})
    reason = str(error) or type(error).__name__
    return TemporaryFailure(_("The mail server could not be reached: %(error)s") % {"error": reason})


def _refused(error):
    replies = error.recipients.values()
    text = "; ".join(f"{address}: {_reply(code, reply)}" for address, (code, reply) in error.recipients.items())
    # Retry while any refusal is temporary: the address may still turn out to work.
    kind = PermanentFailure if replies and all(code >= 500 for code, _reply_text in replies) else TemporaryFailure
    return kind(_("The mail server refused the recipient: %(reply)s") % {"reply": text})


def _reply(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()
