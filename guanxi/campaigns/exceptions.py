"""Named failures of the campaigns workflows."""


class RenderFailed(Exception):
    """A message could not be rendered (bad template syntax, no content in any language).

    Not worth retrying: the outbox fails the message with `reason` as its error,
    which names the template and the language so a person can fix the template.
    """

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)
