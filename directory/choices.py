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
