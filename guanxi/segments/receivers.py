"""Cross-app reactions: an analysis finished, so scores changed, so memberships may have."""

from django.dispatch import receiver

from guanxi.insights.signals import analysis_finished


@receiver(analysis_finished, dispatch_uid="segments.refresh_after_analysis")
def refresh_after_analysis(sender, run, **kwargs):
    from guanxi.segments.tasks import refresh_segments_after_analysis

    refresh_segments_after_analysis.enqueue()
