from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "guanxi.segments"
    verbose_name = _("segments")

    def ready(self):
        # Saved segments follow each analysis (scores change, so memberships do).
        from guanxi.segments import receivers  # noqa: F401
