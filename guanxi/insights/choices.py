from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    COMMAND = "command", _("Command line")
    SCHEDULE = "schedule", _("Nightly schedule")
    BUTTON = "button", _("Started by a team member")


class TimeUnit(models.TextChoices):
    DAYS = "days", _("Days")
    WEEKS = "weeks", _("Weeks")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class Lifecycle(models.TextChoices):
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    LAPSED = "lapsed", _("Lapsed")
    WON_BACK = "won_back", _("Won back")


class ChurnBand(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ValueTier(models.TextChoices):
    KEY = "key", _("Key account")
    GROWTH = "growth", _("Growth")
    STANDARD = "standard", _("Standard")
    INACTIVE = "inactive", _("Inactive")


class RiskRating(models.TextChoices):
    A = "A", _("A · low risk")
    B = "B", _("B · moderate risk")
    C = "C", _("C · elevated risk")
    D = "D", _("D · high risk")


class Model(models.TextChoices):
    BGNBD = "bgnbd", _("BG/NBD")
    PARETO_NBD = "pareto_nbd", _("Pareto/NBD")
