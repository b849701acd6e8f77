from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Customer service")
    ANALYST = "analyst", _("Analyst")


class Scope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")
