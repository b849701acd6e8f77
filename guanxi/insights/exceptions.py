from django.utils.translation import gettext_lazy as _


class AnalysisError(Exception):
    """An analysis cannot start or cannot finish; the message says why."""


class AnalysisAlreadyRunning(AnalysisError):
    def __init__(self, run):
        super().__init__(_("An analysis is already running (started %(started)s).") % {"started": run.started_at})
        self.run = run


class BadAnalysisOptions(AnalysisError):
    pass
