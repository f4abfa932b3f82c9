"""Reads of the charter figures, scoped to what the user may see. Figures come from the rollups
(ComplianceHistogram, Overrun), never from the declarations: a page costs a few grouped queries over
units x months x buckets, whatever the number of declarations."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from directory.choices import CharterCode, Role
from directory.models import CHARTER_DEFAULTS, Branch, CharterCommitment, Department, Team
from directory.scoping import NOTHING, branch_filter
from feedback.models import Declaration

from .buckets import upper_minutes
from .choices import DECLARATION_COMMITMENTS, NO_DATA, REPLY_COMMITMENTS, Level
from .models import ComplianceHistogram, Overrun
from .periods import CharterPeriod
from .replies import ReplyFigure, reply_figures

# Who reads charter figures: the department's staff and its integration clients (their department),
# a branch leader (their branch and its teams), administrators (all). Not officers, team leaders or businesses.
CHARTER_ROLES = (Role.DEPARTMENT_STAFF, Role.INTEGRATION, Role.BRANCH_LEADER)
DEPARTMENT_WIDE_ROLES = (Role.DEPARTMENT_STAFF, Role.INTEGRATION)
MEASURED = "measured"
BRANCH_ONLY = "branch_only"  # replies to inquiries are owed by a branch or the department, not a team
NO_SOURCE = "no_data"


def may_read_charter(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_administrator or user.role in CHARTER_ROLES))


def charter_branches(user):
    """Branches whose charter figures `user` may see."""
    if not may_read_charter(user):
        return Branch.objects.filter(NOTHING)
    return Branch.objects.filter(branch_filter(user, prefix=""))


def charter_departments(user):
    """Departments whose department-wide figures `user` may see (a branch leader sees none)."""
    if not may_read_charter(user):
        return Department.objects.none()
    if user.is_administrator:
        return Department.objects.all()
    if user.role in DEPARTMENT_WIDE_ROLES:
        return Department.objects.filter(pk=user.department_id)
    return Department.objects.none()


@dataclass(frozen=True)
class CommitmentFigure:
    """One commitment of one unit over a period. Durations in minutes (working minutes except for
    registration); `median_minutes`/`p90_minutes` are the upper edges of their histogram buckets
    (None beyond the last bucket or when nothing was measured). The reply to inquiries counts whole
    working days instead (`median_days`/`p90_days`; None also when the quantile is an unanswered late one)."""

    code: str
    label: str
    limit: int
    unit: str
    unit_label: str
    status: str
    measured: int = 0
    within: int = 0
    median_minutes: int | None = None
    p90_minutes: int | None = None
    median_days: int | None = None
    p90_days: int | None = None
    unanswered_late: int = 0

    @property
    def share_within(self) -> float | None:
        return self.within / self.measured if self.measured else None


def _quantile_rows(level: int, unit_ids: list[int], period: CharterPeriod, by_month: bool) -> list[tuple]:
    """(unit_id, [month,] commitment, measured, within, median bucket, p90 bucket) per group, computed in
    the database: buckets summed over the period, running sums by a window, nearest-rank quantiles."""
    if not unit_ids:
        return []
    month = "month, " if by_month else ""
    partition = f"unit_id, {month}commitment"
    placeholders = ", ".join(["%s"] * len(unit_ids))
    sql = (
        f"WITH b AS (SELECT {partition}, bucket, SUM(measured) AS n, SUM(within) AS w "
        f"FROM {ComplianceHistogram._meta.db_table} WHERE level = %s AND unit_id IN ({placeholders}) "
        f"AND month >= %s AND month <= %s GROUP BY {partition}, bucket), "
        f"c AS (SELECT {partition}, bucket, SUM(n) OVER (PARTITION BY {partition} ORDER BY bucket) AS running, "
        f"SUM(n) OVER (PARTITION BY {partition}) AS total, SUM(w) OVER (PARTITION BY {partition}) AS within FROM b) "
        f"SELECT {partition}, MAX(total), MAX(within), MIN(CASE WHEN 2 * running >= total THEN bucket END), "
        f"MIN(CASE WHEN 10 * running >= 9 * total THEN bucket END) FROM c GROUP BY {partition} ORDER BY {partition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [level, *unit_ids, period.first, period.last])
        return cursor.fetchall()


def _commitments(department_id: int) -> dict[str, tuple[int, str, str]]:
    """code -> (limit, unit, unit label) of the department (the charter's default where it has none)."""
    found = {
        c.code: (c.limit, c.unit, str(c.get_unit_display()))
        for c in CharterCommitment.objects.filter(department_id=department_id)
    }
    for code, (limit, unit) in CHARTER_DEFAULTS.items():
        if code not in found:
            found[code] = (limit, unit, str(CharterCommitment(unit=unit).get_unit_display()))
    return found


def _figures(
    commitments: dict, measured: dict[str, tuple], reply: ReplyFigure | None, *, replies_owed: bool = True
) -> list[CommitmentFigure]:
    figures = []
    for code in [*DECLARATION_COMMITMENTS, *REPLY_COMMITMENTS, *NO_DATA]:
        limit, unit, unit_label = commitments[code]
        label = str(CharterCode(code).label)
        if code in DECLARATION_COMMITMENTS:
            n, within, median, p90 = measured.get(code, (0, 0, None, None))
            figures.append(
                CommitmentFigure(
                    code,
                    label,
                    limit,
                    unit,
                    unit_label,
                    MEASURED,
                    int(n),
                    int(within),
                    upper_minutes(median) if median is not None else None,
                    upper_minutes(p90) if p90 is not None else None,
                )
            )
        elif code in REPLY_COMMITMENTS and replies_owed:
            reply = reply or ReplyFigure(0, 0, None, None, 0)
            figures.append(
                CommitmentFigure(
                    code,
                    label,
                    limit,
                    unit,
                    unit_label,
                    MEASURED,
                    reply.measured,
                    reply.within,
                    median_days=reply.median_days,
                    p90_days=reply.p90_days,
                    unanswered_late=reply.unanswered_late,
                )
            )
        else:
            figures.append(
                CommitmentFigure(code, label, limit, unit, unit_label, NO_SOURCE if code in NO_DATA else BRANCH_ONLY)
            )
    return figures


def unit_figures(
    level: int, units: list, department_id: int, period: CharterPeriod
) -> dict[int, list[CommitmentFigure]]:
    """Figures per commitment of each unit (all of one department) over the period, by unit id."""
    grouped: dict[int, dict[str, tuple]] = defaultdict(dict)
    for unit_id, code, n, within, median, p90 in _quantile_rows(level, [u.pk for u in units], period, by_month=False):
        grouped[unit_id][code] = (n, within, median, p90)
    commitments = _commitments(department_id)
    replies = reply_figures(level, [u.pk for u in units], department_id, period)
    owed = level != Level.TEAM
    return {
        unit.pk: _figures(commitments, grouped.get(unit.pk, {}), replies.get(unit.pk), replies_owed=owed)
        for unit in units
    }


def monthly_figures(level: int, unit, department_id: int, period: CharterPeriod) -> list[tuple]:
    """(month, figures) for each month of the period with measured declarations of `unit`."""
    grouped: dict = defaultdict(dict)
    for _unit_id, month, code, n, within, median, p90 in _quantile_rows(level, [unit.pk], period, by_month=True):
        grouped[month][code] = (n, within, median, p90)
    commitments = _commitments(department_id)
    # The months' pages list declaration commitments only (views): replies are read for the whole period.
    return [(month, _figures(commitments, grouped[month], None, replies_owed=False)) for month in sorted(grouped)]


def teams_of(branch) -> list:
    return list(Team.objects.filter(branch=branch).order_by("code"))


def worst_cases(
    user, period: CharterPeriod, *, branch=None, department=None, per_commitment: int = 10
) -> dict[str, list[dict]]:
    """For each measured commitment, the declarations that took longest beyond it, scoped to the user's
    branches (with `branch`, that branch's only). Read from Overrun through its (branch, month, seconds) index."""
    branches = charter_branches(user)
    if branch is not None:
        branches = branches.filter(pk=branch.pk)
    if department is not None:
        branches = branches.filter(department=department)
    branch_ids = list(branches.values_list("pk", flat=True))
    found: dict[str, list[dict]] = {}
    for code in DECLARATION_COMMITMENTS:
        found[code] = [
            dict(row)
            for row in Overrun.objects.filter(
                commitment=code, branch_id__in=branch_ids, month__gte=period.first, month__lte=period.last
            )
            .order_by("-seconds", "declaration_id")
            .values("declaration_id", "branch_id", "team_id", "month", "seconds", "limit_seconds")[:per_commitment]
        ]
    rows = [row for listed in found.values() for row in listed]
    numbers = dict(Declaration.objects.filter(pk__in=[r["declaration_id"] for r in rows]).values_list("pk", "number"))
    branch_names = dict(Branch.objects.filter(pk__in={r["branch_id"] for r in rows}).values_list("pk", "name"))
    team_names = dict(
        Team.objects.filter(pk__in={r["team_id"] for r in rows if r["team_id"]}).values_list("pk", "name")
    )
    for row in rows:
        row.update(
            number=numbers.get(row["declaration_id"], ""),
            branch_name=branch_names.get(row["branch_id"], ""),
            team_name=team_names.get(row["team_id"], ""),
            minutes=-(-row["seconds"] // 60),
            limit_minutes=row["limit_seconds"] // 60,
        )
    return found


def branches_of(department, user=None) -> list:
    query = Branch.objects.filter(department=department, is_active=True)
    if user is not None:
        query = query.filter(pk__in=charter_branches(user).values("pk"))
    return list(query.order_by("name"))
