"""The project package as an app, for what belongs to no single app: the page cache's signals."""

from django.apps import AppConfig


class CrosscheckConfig(AppConfig):
    name = "crosscheck"
    verbose_name = "Crosscheck"

    def ready(self) -> None:
        from crosscheck import cache

        # Every write to claims and sources makes the cached pages stale.
        cache.connect_signals()
