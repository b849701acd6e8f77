from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting commands (demo, serve, generate) and the shared page layout."""

    name = "guanxi.core"
