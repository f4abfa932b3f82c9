from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo department and `seed_demo`: builders for every app, no models of its own."""

    name = "demo"
    verbose_name = _("Demo data")
