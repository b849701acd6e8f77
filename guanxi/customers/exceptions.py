"""Named errors of the customer edit workflows; each message is shown to the user."""


class CustomerError(Exception):
    """Base class. `field` names the form field the message belongs to, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidProfile(CustomerError):
    """A profile value is malformed (country, currency, time zone, language...)."""


class InvalidContactPoint(CustomerError):
    """An e-mail address or phone number that cannot be normalised."""


class DuplicateContactPoint(CustomerError):
    """The contact point already belongs to a customer (values are unique per kind)."""


class InvalidTag(CustomerError):
    """An empty or overlong tag name."""


class InvalidNote(CustomerError):
    """An empty note."""


class InvalidConsent(CustomerError):
    """A consent status that does not exist."""


class InvalidAddress(CustomerError):
    """An address without its first line, or with a malformed country or phone."""


class InvalidOwner(CustomerError):
    """An account owner who is not an active sales or admin team member."""


class AssignmentNotAllowed(CustomerError):
    """The person assigning an account owner may not (only sales and admins may)."""
