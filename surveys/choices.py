from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    """Life of a CDCI campaign: prepared as a draft, open for answers, then closed for good."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class QuestionKind(models.TextChoices):
    """How a question is answered; every kind stores a number in Answer.value (a choice stores its score)."""

    AGREEMENT_5 = "agreement_5", _("Agreement, 1 to 5")
    YES_NO = "yes_no", _("Yes / no")
    NUMBER = "number", _("Number")
    SINGLE_CHOICE = "single_choice", _("Single choice")


class Direction(models.TextChoices):
    """Whether a higher value means better service (positive) or worse (negative, e.g. informal charges)."""

    POSITIVE = "positive", _("Positive indicator")
    NEGATIVE = "negative", _("Negative indicator")


class Segment(models.TextChoices):
    """Survey segment of a business: registered in the department's province or elsewhere."""

    IN_PROVINCE = "in_province", _("In-province")
    OUT_OF_PROVINCE = "out_of_province", _("Out-of-province")


class ResponseSource(models.TextChoices):
    """Where a response came from."""

    WEB = "web", _("Web form")
    PAPER = "paper", _("Paper form")


class InvalidReason(models.TextChoices):
    """Why a submitted response does not count (kept on the response, several at once)."""

    INCOMPLETE = "incomplete", _("Too few required questions answered")
    STRAIGHT_LINING = "straight_lining", _("Same answer to every agreement question (awaiting review)")
    REJECTED = "rejected", _("Rejected by staff review")


# Agreement levels, 5 = fully agree.
# Listed 5 -> 1, the direction of the rating scale (feedback.choices.Level: "Rất hài lòng" first), in the web
# questionnaire and on the paper template alike, so that a business never meets the scale both ways round.
AGREEMENT_LEVELS = {
    5: _("Strongly agree"),
    4: _("Agree"),
    3: _("Neither agree nor disagree"),
    2: _("Disagree"),
    1: _("Strongly disagree"),
}
