from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Inspection channel (luồng) chosen by the clearance system's risk engine."""

    GREEN = "green", _("Green (no check)")
    YELLOW = "yellow", _("Yellow (document check)")
    RED = "red", _("Red (physical inspection)")


class Stage(models.TextChoices):
    """The stage of clearance an officer handled."""

    RECEPTION = "reception", _("Reception")
    DOCUMENT_CHECK = "document_check", _("Document check")
    PHYSICAL_INSPECTION = "physical_inspection", _("Physical inspection")
    RELEASE = "release", _("Release")


# Spellings accepted in files exported from Vietnamese clearance software.
CHANNEL_ALIASES = {
    "xanh": Channel.GREEN,
    "vang": Channel.YELLOW,
    "vàng": Channel.YELLOW,
    "do": Channel.RED,
    "đỏ": Channel.RED,
    "1": Channel.GREEN,
    "2": Channel.YELLOW,
    "3": Channel.RED,
}
