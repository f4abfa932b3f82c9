"""Where each role goes: the main menu, the role the home page is built for, and a user's own dashboard
(the department dashboard's address sends leaders and officers there).

The one place that maps roles to pages. Pages are reached by URL name, so directory imports no app.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from .choices import Role

DEPARTMENT_ROLES = frozenset({Role.ADMINISTRATOR, Role.DEPARTMENT_STAFF})
DASHBOARD_ROLES = DEPARTMENT_ROLES | {Role.BRANCH_LEADER, Role.TEAM_LEADER, Role.OFFICER}
# Who reads the dialogue conferences (department staff record them; a branch leader sees the branch's).
CONFERENCE_ROLES = DEPARTMENT_ROLES | {Role.BRANCH_LEADER}


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str


def role_of(user) -> str | None:
    """The role the pages serve: a superuser is an administrator whatever their role field says; None for
    a visitor."""
    if not user.is_authenticated:
        return None
    return Role.ADMINISTRATOR if user.is_administrator else user.role


def dashboard_url(user) -> str | None:
    """The dashboard a user lands on: the department's for department staff and administrators, their
    own unit's for leaders and officers, None for everybody else."""
    role = role_of(user)
    if role in DEPARTMENT_ROLES:
        return reverse("reports:dashboard-department")
    if role == Role.BRANCH_LEADER and user.branch_id:
        return reverse("reports:dashboard-branch", kwargs={"code": user.branch.code})
    if role == Role.TEAM_LEADER and user.team_id:
        return reverse("reports:dashboard-team", kwargs={"branch": user.team.branch.code, "code": user.team.code})
    if role == Role.OFFICER and user.officer_id:
        return reverse("reports:dashboard-officer", kwargs={"code": user.officer.code})
    return None


def main_menu(user) -> list[MenuEntry]:
    """The links of the page header, in order, in the active language."""
    entries = [MenuEntry(_("CDCI"), reverse("cdci:cdci-list")), MenuEntry(_("FAQ"), reverse("inquiries:faq"))]
    role = role_of(user)
    if role is None:
        return entries
    entries.append(MenuEntry(_("Declarations"), reverse("feedback:declaration-list")))
    if role in DASHBOARD_ROLES:
        # One address for every role: it leads each user to their own dashboard (dashboard_url).
        entries.append(MenuEntry(_("Dashboards"), reverse("reports:dashboard-department")))
    if role != Role.INTEGRATION:
        label = _("My complaints") if role == Role.BUSINESS else _("Cases")
        entries.append(MenuEntry(label, reverse("feedback:case-list")))
        label = _("My inquiries") if role == Role.BUSINESS else _("Inquiries")
        entries.append(MenuEntry(label, reverse("inquiries:inquiry-list")))
    if role in CONFERENCE_ROLES:
        entries.append(MenuEntry(_("Conferences"), reverse("inquiries:conference-list")))
    if user.is_staff:
        entries.append(MenuEntry(_("Administration"), reverse("admin:index")))
    entries.append(MenuEntry(_("My account"), reverse("account")))
    return entries
