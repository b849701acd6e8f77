class ImportRejected(Exception):
    """The whole input cannot be imported (unreadable file, missing columns...).

    The message says what and where; nothing has been written.
    """


class RowRejected(Exception):
    """One row cannot be imported; it goes to the rejects file with its reason."""

    def __init__(self, field, reason):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class ObjectRejected(Exception):
    """A single object (an API write) had rejected records; nothing was kept.

    `problems` lists {"line", "field", "reason"}, line being the record's position.
    """

    def __init__(self, problems):
        super().__init__("; ".join(p["reason"] for p in problems))
        self.problems = problems


class WebhookRejected(Exception):
    """A webhook delivery failed verification (signature, unknown source, body)."""
