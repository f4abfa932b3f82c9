from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CdciConfig(AppConfig):
    """The yearly CDCI ranking of branches: computation, review, publication and the public pages."""

    name = "cdci"
    verbose_name = _("CDCI ranking")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
