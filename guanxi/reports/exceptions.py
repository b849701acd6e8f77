class ReportError(Exception):
    """A report cannot be shown as asked; the message says why, for the user."""


class UnknownPeriod(ReportError):
    pass
