from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Rule-based")
    STATIC = "static", _("Static list")


class Match(models.TextChoices):
    ALL = "all", _("all of")
    ANY = "any", _("any of")


class Change(models.TextChoices):
    ENTERED = "entered", _("Entered")
    LEFT = "left", _("Left")


class RefreshTrigger(models.TextChoices):
    SAVE = "save", _("Saved")
    MANUAL = "manual", _("Refresh button")
    SCHEDULE = "schedule", _("Schedule")
    ANALYSIS = "analysis", _("After an analysis")
    UPLOAD = "upload", _("List upload")
    API = "api", _("API")
