class AccountError(Exception):
    """Base for account workflow errors; the message is shown to the user."""


class UnknownRole(AccountError):
    pass
