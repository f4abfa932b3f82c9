from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a portal user is; the role decides the scope of everything they may see."""

    BUSINESS = "business", _("Business user")
    OFFICER = "officer", _("Officer")
    TEAM_LEADER = "team_leader", _("Team leader")
    BRANCH_LEADER = "branch_leader", _("Branch leader")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    ADMINISTRATOR = "administrator", _("Administrator")
    INTEGRATION = "integration", _("Integration client")


# Roles of people who work inside customs (as opposed to businesses and machines).
CUSTOMS_ROLES = (Role.OFFICER, Role.TEAM_LEADER, Role.BRANCH_LEADER, Role.DEPARTMENT_STAFF)


class CalendarDayKind(models.TextChoices):
    """How a department's day departs from the statutory calendar."""

    WORKING_DAY = "working_day", _("Working day (a swap day worked)")
    DAY_OFF = "day_off", _("Day off")


class CharterCode(models.TextChoices):
    """The timings of the customer service charter (Decision 225/QĐ-TCHQ)."""

    REGISTRATION = "registration", _("Register a declaration after receiving it")
    DOCUMENT_CHECK = "document_check", _("Check the documents")
    PHYSICAL_INSPECTION = "physical_inspection", _("Inspect the goods")
    TAX_EXEMPTION = "tax_exemption", _("Settle a tax-exemption dossier")
    INQUIRY_REPLY = "inquiry_reply", _("Reply in writing to an inquiry")


class CharterUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
