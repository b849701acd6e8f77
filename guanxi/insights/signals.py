"""Signals other apps listen to (segments refresh after an analysis)."""

from django.dispatch import Signal

# Sent after a successful analysis has stored its scores; kwargs: run (AnalysisRun).
analysis_finished = Signal()
