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


class SubmissionChannel(models.TextChoices):
    """Where a rating was sent from (not to be confused with the inspection `Channel`)."""

    WEB = "web", _("Web portal")
    API = "api", _("Declaration software (API)")


class Level(models.IntegerChoices):
    """The five satisfaction levels of the post-clearance rating; 1 and 2 are dissatisfied."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    NORMAL = 3, _("Normal")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


# Levels that make a rating dissatisfied (and, with the case module, open a case).
DISSATISFIED_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})


class Reason(models.TextChoices):
    """Why a business is dissatisfied; offered only with level 1 or 2."""

    DELAY = "delay", _("Delay")
    HARASSMENT = "harassment", _("Harassment or improper request")
    ATTITUDE = "attitude", _("Attitude")
    PROCEDURAL_ERROR = "procedural_error", _("Procedural error")
    UNNECESSARY_DOCUMENTS = "unnecessary_documents", _("Unnecessary documents requested")
    OTHER = "other", _("Other")
