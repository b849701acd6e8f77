from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat template message")
    WEBHOOK = "webhook", _("Webhook")


class Purpose(models.TextChoices):
    """Marketing messages need consent and count against the contact budget;
    transactional ones (order confirmations, service replies) do neither."""

    MARKETING = "marketing", _("Marketing")
    TRANSACTIONAL = "transactional", _("Transactional")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SUPPRESSED = "suppressed", _("Not sent (suppressed)")
    EXPIRED = "expired", _("Expired before it could be sent")
    FAILED = "failed", _("Failed")
    IN_DOUBT = "in_doubt", _("In doubt: the sender stopped mid-send")


class Reason(models.TextChoices):
    """Why a message was not sent (now or ever): recorded with every suppression and postponement."""

    NO_CONTACT = "no_contact", _("No contact point for this channel")
    NO_CONSENT = "no_consent", _("No marketing consent for this channel")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("The address bounced")
    CONTACT_BUDGET = "contact_budget", _("Contact budget reached")
    QUIET_HOURS = "quiet_hours", _("Quiet hours in the customer's time zone")
    EXPIRED = "expired", _("No longer relevant (expired)")
    TEMPORARY_ERROR = "temporary_error", _("Temporary error, will retry")
    PERMANENT_ERROR = "permanent_error", _("Permanent error")


class EventKind(models.TextChoices):
    QUEUED = "queued", _("Queued")
    POSTPONED = "postponed", _("Postponed")
    SUPPRESSED = "suppressed", _("Suppressed")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Retry scheduled")
    FAILED = "failed", _("Failed")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class FlowStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("flow status", "Active")  # 活跃 elsewhere means a customer who buys
    PAUSED = "paused", _("Paused")


class Trigger(models.TextChoices):
    """What enrols a customer in a flow."""

    ORDER_PLACED = "order_placed", _("Order placed")
    CUSTOMER_CREATED = "customer_created", _("Customer created")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    BROWSE_ABANDONED = "browse_abandoned", _("Browse abandoned")
    PRICE_DROP = "price_drop", _("Price drop on a viewed or carted product")
    SEGMENT_ENTERED = "segment_entered", _("Entered a segment")
    SEGMENT_LEFT = "segment_left", _("Left a segment")
    BIRTHDAY = "birthday", _("Birthday")
    OCCASION = "occasion", _("Occasion (e.g. Mother's Day)")
    HOLIDAY = "holiday", _("Holiday in the customer's country")
    REPLENISHMENT = "replenishment", _("Replenishment due")


class ReEntry(models.TextChoices):
    NEVER = "never", _("Once per customer")
    AFTER_EXIT = "after_exit", _("Again after leaving the flow")
    ALWAYS = "always", _("Every time the trigger happens")


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    COMPLETED = "completed", _("Completed")
    GOAL = "goal", _("Reached the goal")
    EXITED = "exited", _("Left (no longer matches)")
    FAILED = "failed", _("Failed: see the error queue")


class StepKind(models.TextChoices):
    WAIT = "wait", _("Wait")
    BRANCH = "branch", _("Condition")
    SPLIT = "split", _("A/B split")
    SEND = "send", _("Send a message")
    TAG = "tag", _("Add a tag")
    TASK = "task", _("Create a task for a person")
    WEBHOOK = "webhook", _("Call a webhook")
    POINTS = "points", _("Give points or a coupon")


class StepOutcome(models.TextChoices):
    DONE = "done", _("Done")
    WAITING = "waiting", _("Waiting")
    RETRY = "retry", _("Will retry")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
