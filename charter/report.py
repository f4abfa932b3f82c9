"""One compliance report, shaped once for the API, the pages and the Excel workbook: the figures of a
department (or of one branch) and of the units under it, over a period, scoped to the user."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.clock import now
from core.query import InvalidQuery
from core.working_time import LOCAL_TZ
from directory.choices import Role
from directory.models import Branch, Department

from . import selectors
from .choices import Level
from .periods import CharterPeriod
from .selectors import CommitmentFigure


@dataclass(frozen=True)
class UnitFigures:
    level: str  # "department", "branch" or "team"
    code: str
    name: str
    figures: list[CommitmentFigure]
    pk: int = 0


@dataclass(frozen=True)
class ComplianceReport:
    period: CharterPeriod
    department: Department
    unit: UnitFigures  # the department, or the branch asked for
    children: list[UnitFigures] = field(default_factory=list)  # its branches, or the branch's teams
    branch: Branch | None = None


LEVEL_NAMES: dict[int, str] = {Level.DEPARTMENT: "department", Level.BRANCH: "branch", Level.TEAM: "team"}


def _unit_figures(level: int, units: list, department_id: int, period: CharterPeriod) -> list[UnitFigures]:
    figures = selectors.unit_figures(level, units, department_id, period)
    return [UnitFigures(LEVEL_NAMES[level], u.code, u.name, figures[u.pk], u.pk) for u in units]


def compliance_report(
    user, period: CharterPeriod, *, branch_code: str = "", department_code: str = ""
) -> ComplianceReport:
    """The report `user` asked for. A branch out of scope is answered like one that does not exist
    (InvalidQuery naming `branch`); a user who may read no charter figure at all gets PermissionDenied."""
    if not selectors.may_read_charter(user):
        raise PermissionDenied(_("You may not read the service charter figures."))
    if not branch_code and user.role == Role.BRANCH_LEADER:
        branch_code = user.branch.code
    if branch_code:
        branch = selectors.charter_branches(user).filter(code=branch_code).select_related("department").first()
        if branch is None:
            raise InvalidQuery({"branch": [_("There is no branch with this code among those you may see.")]})
        department = branch.department
        (unit,) = _unit_figures(Level.BRANCH, [branch], department.pk, period)
        children = _unit_figures(Level.TEAM, selectors.teams_of(branch), department.pk, period)
        return ComplianceReport(period, department, unit, children, branch)
    departments = selectors.charter_departments(user).order_by("code")
    if department_code:
        departments = departments.filter(code=department_code)
    department = departments.first()
    if department is None:
        if department_code:
            raise InvalidQuery({"department": [_("There is no department with this code among those you may see.")]})
        raise PermissionDenied(_("You may not read the service charter figures."))
    (unit,) = _unit_figures(Level.DEPARTMENT, [department], department.pk, period)
    children = _unit_figures(Level.BRANCH, selectors.branches_of(department, user), department.pk, period)
    return ComplianceReport(period, department, unit, children)


def parse_period(text: str | None, default: CharterPeriod) -> CharterPeriod:
    """The `period` parameter (YYYY or YYYY-MM), `default` when absent; InvalidQuery naming it otherwise."""
    if text is None or not text.strip():
        return default
    try:
        return CharterPeriod.parse(text)
    except ValueError as error:
        raise InvalidQuery({"period": [str(error)]}) from error


def current_year() -> CharterPeriod:
    return CharterPeriod.year(now().astimezone(LOCAL_TZ).year)


def dashboard_rows(user, *, department=None, branch=None, first, last) -> list[CommitmentFigure] | None:
    """The charter figures for a rating dashboard (reports.dashboards) of a department or a branch over
    its period (whole local months), or None when the user may not read them."""
    if not selectors.may_read_charter(user):
        return None
    period = CharterPeriod(first, last, f"{first:%Y-%m}")
    if branch is not None:
        if not selectors.charter_branches(user).filter(pk=branch.pk).exists():
            return None
        return selectors.unit_figures(Level.BRANCH, [branch], branch.department_id, period)[branch.pk]
    if department is None or not selectors.charter_departments(user).filter(pk=department.pk).exists():
        return None
    return selectors.unit_figures(Level.DEPARTMENT, [department], department.pk, period)[department.pk]
