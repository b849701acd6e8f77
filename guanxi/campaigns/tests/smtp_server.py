"""A real SMTP server for tests (aiosmtpd on 127.0.0.1): counts what actually arrived.

Use it from any test module:

    from guanxi.campaigns.tests.smtp_server import smtp_server  # noqa: F401

    def test_something(smtp_server):
        smtp_server.refuse("gone@example.com")       # 550 at RCPT
        smtp_server.defer("busy@example.com")        # 451 at RCPT
        ...send through Django's mail backend...
        assert smtp_server.messages[0].message["Subject"] == "Hello"

The fixture points Django's default mailer at the server for the test's duration
(through the MAILERS setting; see `point_mail_at`).
"""

import email
import email.policy
import socket
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the server got it; `message` is parsed with the modern e-mail
    policy, so headers and bodies come back decoded (RFC 2047 subjects included)."""

    mail_from: str
    rcpt_tos: list
    raw: bytes
    message: email.message.EmailMessage
    peer: tuple  # the client's (host, port): one value per SMTP connection


class CollectingHandler:
    def __init__(self):
        self.messages = []
        self.refused = set()
        self.deferred = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such user here"
        if address in self.deferred:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed, session.peer))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, controller, handler):
        self.controller = controller
        self.handler = handler
        self.host = controller.hostname
        self.port = controller.port

    @property
    def messages(self) -> list:
        return self.handler.messages

    def refuse(self, address):
        self.handler.refused.add(address)

    def defer(self, address):
        self.handler.deferred.add(address)

    @property
    def connections(self) -> int:
        return len({received.peer for received in self.messages})


def free_port() -> int:
    """A port nothing listens on right now (also handy for 'server down' tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_mail_at(settings, host, port, timeout=5):
    """Send Django's default mailer to host:port over plain SMTP, for one test.

    MAILERS (Django 6.1+) may be overridden even while settings.py still uses the
    deprecated EMAIL_* settings; it then wins, and no deprecation warning is raised.
    """
    backend = "django.core.mail.backends.smtp.EmailBackend"
    settings.MAILERS = {"default": {"BACKEND": backend, "OPTIONS": {"host": host, "port": port, "timeout": timeout}}}


@pytest.fixture
def smtp_server(settings):
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    point_mail_at(settings, controller.hostname, controller.port)
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()
