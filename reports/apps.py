from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class BitOr:
    """BIT_OR(x) for SQLite, which lacks it: the rollups merge month masks with it (PostgreSQL has it)."""

    def __init__(self):
        self.mask = 0

    def step(self, value):
        if value is not None:
            self.mask |= int(value)

    def finalize(self):
        return self.mask


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("BIT_OR", 1, BitOr)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and rankings")

    def ready(self):
        connection_created.connect(register_sqlite_functions, dispatch_uid="reports_sqlite_functions")
