from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        # Imported for their side effects: the OpenAPI description of token auth, the login receivers.
        from . import schema, signals  # noqa: F401
