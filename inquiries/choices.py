from django.db import models
from django.utils.translation import gettext_lazy as _


class InquiryTopic(models.TextChoices):
    """What a business asks about. POLICY questions go to the department, whatever the declaration."""

    PROCEDURE = "procedure", _("Customs procedures")
    CLASSIFICATION = "classification", _("Tariff classification and origin")
    TAX = "tax", _("Duties, tax exemption and refunds")
    INSPECTION = "inspection", _("Inspection and release of goods")
    IT_SYSTEMS = "it_systems", _("VNACCS and electronic systems")
    POLICY = "policy", _("Policy and regulations")
    OTHER = "other", _("Other")


# Topics the department answers itself rather than a branch.
DEPARTMENT_TOPICS = frozenset({InquiryTopic.POLICY})


class InquiryStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class InquiryChannel(models.TextChoices):
    """How the question reached customs."""

    WEB = "web", _("Web form")
    API = "api", _("Declaration software (API)")
    CONFERENCE = "conference", _("Dialogue conference")


class InquiryAction(models.TextChoices):
    ASKED = "asked", _("Asked")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    FOLLOW_UP = "follow_up", _("Follow-up question")
    ESCALATED = "escalated", _("Escalated to the department")
    RATED = "rated", _("Answer rated")
    PUBLISHED = "published", _("Published in the FAQ")
    WITHDRAWN = "withdrawn", _("Withdrawn from the FAQ")
    RAISED_AT_CONFERENCE = "conference", _("Raised at a dialogue conference")


class ConferenceLevel(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    BRANCH = "branch", _("Branch")


class ConferenceFormat(models.TextChoices):
    """The forms the articles count: symposiums, conferences and the leaders' delegations to businesses."""

    CONFERENCE = "conference", _("Dialogue conference")
    SYMPOSIUM = "symposium", _("Symposium")
    DELEGATION = "delegation", _("Leader delegation")
