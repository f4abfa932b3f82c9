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


# Levels that make a rating dissatisfied (and open a case).
DISSATISFIED_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})


class Reason(models.TextChoices):
    """Why a business is dissatisfied; offered only with level 1 or 2."""

    DELAY = "delay", _("Delay")
    HARASSMENT = "harassment", _("Harassment or improper request")
    ATTITUDE = "attitude", _("Attitude")
    PROCEDURAL_ERROR = "procedural_error", _("Procedural error")
    UNNECESSARY_DOCUMENTS = "unnecessary_documents", _("Unnecessary documents requested")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    """Where a dissatisfaction case stands; escalation is a flag beside it, not a status."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    VERIFYING = "verifying", _("Verifying")
    CONCLUDED = "concluded", _("Concluded")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# What each status means (open, in progress, answered...) is feedback.cases.rules'.


class CaseConclusion(models.TextChoices):
    """The outcome of the verification of a complaint."""

    SUBSTANTIATED = "substantiated", _("Substantiated")
    PARTLY = "partly", _("Partly substantiated")
    NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")


class CaseClosure(models.TextChoices):
    """How a case was closed."""

    ACCEPTED = "accepted", _("Accepted by the business")
    AUTO = "auto", _("Closed automatically")


class CaseAction(models.TextChoices):
    """What a case event records."""

    OPENED = "opened", _("Opened")
    ASSIGNED = "assigned", _("Assigned")
    FINDINGS = "findings", _("Findings recorded")
    EXPLANATION = "explanation", _("Officer's explanation added")
    CONCLUDED = "concluded", _("Concluded")
    ANSWERED = "answered", _("Answered")
    ACCEPTED = "accepted", _("Accepted by the business")
    DISPUTED = "disputed", _("Disputed by the business")
    ESCALATED = "escalated", _("Escalated to the department")
    REMINDED = "reminded", _("Due-date reminder sent")
    CLOSED = "closed", _("Closed")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    HANDLING_RATED = "handling_rated", _("Handling rated by the business")


# Events a business may see in its case's timeline, with their text (its own words or the answer).
CASE_PUBLIC_ACTIONS = frozenset(
    {
        CaseAction.OPENED,
        CaseAction.ANSWERED,
        CaseAction.ACCEPTED,
        CaseAction.DISPUTED,
        CaseAction.CLOSED,
        CaseAction.MESSAGE,
        CaseAction.HANDLING_RATED,
    }
)
# The conversation of a case: messages between the business and customs, and customs' internal notes.
CONVERSATION_ACTIONS = frozenset({CaseAction.MESSAGE, CaseAction.NOTE})
# The role recorded on events written by a scheduled job rather than a person.
SYSTEM_ROLE = "system"
