"""Campaigns and the outbox every message goes through.

A `MessageTemplate` has one `TemplateContent` per language (subject, HTML, text).
A `Campaign` sends a template (or two, A/B) to a segment's members. Every
message, from a campaign or later from a flow step, is first an outbox row
(`Message`) with a unique `key` per origin and customer: queueing twice is a
no-op, and workers claim rows atomically before sending, so nothing is sent
twice or skipped (outbox.py). Consent, the contact budget and quiet hours are
checked when the row is sent, not when it is queued (policy.py). Everything
that happens to a message - postponed, suppressed with its reason, sent,
opened, clicked, unsubscribed - is a `MessageEvent`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.campaigns.choices import (
    CampaignStatus,
    Channel,
    EnrolmentStatus,
    EventKind,
    FlowStatus,
    MessageStatus,
    Purpose,
    Reason,
    ReEntry,
    StepKind,
    StepOutcome,
    Trigger,
)


class MessageTemplate(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.EMAIL)
    purpose = models.CharField(_("purpose"), max_length=15, choices=Purpose, default=Purpose.MARKETING)
    default_language = models.CharField(_("default language"), max_length=10, default="en")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self):
        return self.name

    def content_for(self, language):
        """The content in `language` ("zh-hans", "zh", "en"...), else the default language's."""
        contents = {c.language: c for c in self.contents.all()}
        language = (language or "").lower()
        for candidate in (language, language.split("-")[0], self.default_language):
            for code, content in contents.items():
                if code == candidate or code.split("-")[0] == candidate:
                    return content
        return next(iter(contents.values()), None)


class TemplateContent(models.Model):
    """A template's words in one language. Bodies are Django templates with the
    customer's context (see rendering.py); `text` is the SMS/WeChat body."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="contents")
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    html = models.TextField(_("HTML body"), blank=True)
    text = models.TextField(_("text body"), blank=True)

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["template", "language"], name="template_content_language_unique")]
        verbose_name = _("template content")
        verbose_name_plural = _("template contents")

    def __str__(self):
        return f"{self.template} [{self.language}]"


class Campaign(models.Model):
    """A one-off send of a template to a segment, now or at a time, optionally A/B."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    segment = models.ForeignKey("segments.Segment", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("segment"))
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("template"))
    # A/B: a share of the audience gets template B; the better click rate wins the rest.
    template_b = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("template B"))
    test_share = models.PositiveSmallIntegerField(_("test share (%)"), default=20)
    winner = models.CharField(_("winner"), max_length=1, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus, default=CampaignStatus.DRAFT)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    in_customer_time_zone = models.BooleanField(_("at that hour in each customer's time zone"), default=False)
    at_best_hour = models.BooleanField(_("at each customer's best hour (learned from opens, clicks and orders)"),
                                       default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=5, help_text=_("1 is the most important"))
    relevant_for_hours = models.PositiveIntegerField(_("relevant for (hours)"), default=72)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.pk])

    @property
    def origin(self):
        return f"campaign:{self.pk}"


class Message(models.Model):
    """One message to one customer on one channel: the outbox row.

    `key` is unique ("campaign:12:c:345"), so queueing the same origin for the same
    customer twice adds nothing. A worker claims a row by moving it to SENDING with
    its name and a lease; a row left in SENDING after its lease ran out was being
    sent when its worker died and is IN_DOUBT: never resent automatically (it may
    have gone out), shown in the error queue instead.
    """

    key = models.CharField(max_length=120, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    purpose = models.CharField(_("purpose"), max_length=15, choices=Purpose, default=Purpose.MARKETING)
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    flow = models.ForeignKey("Flow", null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    flow_step = models.CharField(_("flow step"), max_length=20, blank=True)
    variant = models.CharField(_("variant"), max_length=1, blank=True)
    context = models.JSONField(_("extra context"), default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=5)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus, default=MessageStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason, blank=True)
    not_before = models.DateTimeField(_("not before"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(max_length=80, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    contact_point = models.ForeignKey("customers.ContactPoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["status", "not_before"], name="message_due"),
            models.Index(fields=["customer", "purpose", "sent_at"], name="message_budget"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return self.key


class MessageEvent(models.Model):
    """Something that happened to a message, with its reason: the audit trail."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=15, choices=EventKind)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "at"], name="message_event_kind")]
        verbose_name = _("message event")
        verbose_name_plural = _("message events")

    def __str__(self):
        return f"{self.message_id} {self.kind}"


class AttributedOrder(models.Model):
    """An order placed within the attribution window after a message was opened or clicked."""

    order = models.OneToOneField("commerce.Order", on_delete=models.CASCADE, related_name="attribution")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attributed_orders")
    touch = models.CharField(_("touch"), max_length=15, choices=EventKind)
    attributed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attributed order")
        verbose_name_plural = _("attributed orders")


class Flow(models.Model):
    """An automated journey: a trigger enrols customers, then steps run in order.

    `steps` is a JSON list; each step is {"id": "s1", "kind": <StepKind>, ...}:
      wait    {"days": 1, "hours": 0}                 (or {"until_hour": 10} local)
      branch  {"condition": <segment rules>, "yes": [steps], "no": [steps]}
      split   {"share_a": 50, "a": [steps], "b": [steps]}
      send    {"template": <MessageTemplate id>, "priority": 5, "relevant_hours": 48}
      tag     {"tag": "name"}
      task    {"title": "...", "assignee": <user id or null>}
      webhook {"url": "https://..."}
      points  {"points": 100}                          (waits for the loyalty app)
    Ids are unique in the flow and never reused: enrolments point at them.
    `trigger_config` holds the trigger's settings (segment id, days before, idle hours...).
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger)
    trigger_config = models.JSONField(_("trigger settings"), default=dict, blank=True)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=FlowStatus, default=FlowStatus.DRAFT)
    re_entry = models.CharField(_("re-entry"), max_length=12, choices=ReEntry, default=ReEntry.NEVER)
    re_entry_days = models.PositiveIntegerField(_("re-entry after (days)"), default=0)
    goal_order = models.BooleanField(_("an order ends the flow (goal)"), default=True)
    # Where the event triggers have read up to (an id per source), so each event enrols once.
    cursor = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("flow")
        verbose_name_plural = _("flows")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:flow", args=[self.pk])


class Enrolment(models.Model):
    """A customer's way through a flow: where they are and when the next step runs."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="enrolments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="flow_enrolments")
    # The trigger occurrence ("order:123", "birthday:2026"): the same occurrence never enrols twice.
    occurrence = models.CharField(max_length=80)
    status = models.CharField(_("status"), max_length=10, choices=EnrolmentStatus, default=EnrolmentStatus.ACTIVE)
    step = models.CharField(_("current step"), max_length=20, blank=True)
    path = models.JSONField(default=list, blank=True)  # ids of the steps done, in order
    next_run_at = models.DateTimeField(_("next step at"), null=True, blank=True)
    variant = models.CharField(max_length=1, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)
    context = models.JSONField(default=dict, blank=True)  # what the trigger knew: order id, product, cart...
    entered_at = models.DateTimeField(_("entered"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-entered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["flow", "customer", "occurrence"], name="enrolment_once_per_occurrence")]
        indexes = [models.Index(fields=["status", "next_run_at"], name="enrolment_due"),
                   models.Index(fields=["flow", "customer"], name="enrolment_flow_customer")]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")

    def __str__(self):
        return f"{self.flow_id}:{self.customer_id}:{self.occurrence}"


class StepRun(models.Model):
    """What one step did for one enrolment (the flow's audit trail and error queue)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="runs")
    step = models.CharField(_("step"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind)
    outcome = models.CharField(_("outcome"), max_length=10, choices=StepOutcome)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["outcome", "at"], name="step_run_outcome")]
        verbose_name = _("step run")
        verbose_name_plural = _("step runs")


class Task(models.Model):
    """A follow-up for a person, created by a flow step ("call this VIP today")."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="campaign_tasks", verbose_name=_("assignee"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # The flow step that made it: each task step of an enrolment makes one task, even if run twice.
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    step = models.CharField(_("step"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["done_at", "due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "step"], name="task_once_per_enrolment_step")]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self):
        return self.title


class PriceChange(models.Model):
    """A product's price went down or up: what the price-drop trigger reads."""

    product = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="price_changes")
    old_price = models.DecimalField(_("old price"), max_digits=14, decimal_places=2)
    new_price = models.DecimalField(_("new price"), max_digits=14, decimal_places=2)
    at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
