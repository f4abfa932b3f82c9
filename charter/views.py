"""Pages of the service charter figures: the department's and a branch's compliance (staff, leaders),
the Excel workbook of the yearly review, and the public page. Thin: every figure comes from
charter.report / charter.selectors, which read rollups and scope by user."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.spreadsheet import XLSX
from directory.choices import CharterCode, Role
from directory.models import Department

from . import presenters, selectors
from .choices import DECLARATION_COMMITMENTS, Level
from .excel import review_workbook
from .periods import CharterPeriod
from .report import compliance_report, current_year, parse_period
from .rollup import fold_compliance


def _fresh():
    """The embedded mode has no beat: fold what is new before reading (as the rating dashboards do)."""
    if settings.ROLLUP_FOLD_ON_READ:
        fold_compliance()


def _rows(unit) -> list[dict]:
    return [presenters.figure_row(figure) for figure in unit.figures]


def _children(children) -> list[dict]:
    """Units side by side: one row per unit, one cell group per measured commitment."""
    return [
        {
            "code": child.code,
            "name": child.name,
            "cells": [presenters.figure_row(f) for f in child.figures if f.code in DECLARATION_COMMITMENTS],
        }
        for child in children
    ]


def _worst(user, period: CharterPeriod, department, branch=None) -> list[dict]:
    found = selectors.worst_cases(user, period, branch=branch, department=department)
    return [
        {
            "label": str(CharterCode(code).label),
            "code": code,
            "rows": [
                {
                    **row,
                    "duration": presenters.duration_text(row["minutes"]),
                    "limit": presenters.duration_text(row["limit_minutes"]),
                }
                for row in rows
            ],
        }
        for code, rows in found.items()
    ]


def _commitment_labels() -> list[str]:
    return [str(CharterCode(code).label) for code in DECLARATION_COMMITMENTS]


@login_required
@require_GET
def compliance(request, code: str = ""):
    """/charter/compliance/ (the department and its branches) and /charter/compliance/branch/<code>/
    (a branch and its teams), with the monthly trend and the worst cases. A branch leader asking for the
    department is taken to their branch."""
    user = request.user
    if not selectors.may_read_charter(user) or user.role == Role.INTEGRATION:
        raise Http404(_("No such unit."))
    if not code and user.role == Role.BRANCH_LEADER:
        return redirect(reverse("charter:compliance-branch", args=[user.branch.code]))
    period = parse_period(request.GET.get("period"), current_year())
    _fresh()
    try:
        report = compliance_report(user, period, branch_code=code)
    except PermissionDenied as error:
        raise Http404(_("No such unit.")) from error
    if code and report.branch is None:
        raise Http404(_("No such unit."))
    level = Level.BRANCH if report.branch is not None else Level.DEPARTMENT
    unit_model = report.branch if report.branch is not None else report.department
    months = [
        {"month": month, "cells": [presenters.figure_row(f) for f in figures if f.code in DECLARATION_COMMITMENTS]}
        for month, figures in selectors.monthly_figures(level, unit_model, report.department.pk, period)
    ]
    context = {
        "report": report,
        "period": period,
        "rows": _rows(report.unit),
        "children": _children(report.children),
        "children_title": _("Teams") if report.branch is not None else _("Branches"),
        "child_is_branch": report.branch is None,
        "months": months,
        "commitment_labels": _commitment_labels(),
        "worst": _worst(user, period, report.department, report.branch),
        "xlsx_url": reverse("charter:compliance-xlsx")
        + f"?period={period.code}"
        + (f"&branch={report.branch.code}" if report.branch is not None else ""),
        "department_url": reverse("charter:compliance") + f"?period={period.code}"
        if report.branch is not None and user.role != Role.BRANCH_LEADER
        else "",
    }
    return render(request, "charter/compliance.html", context)


@login_required
@require_GET
def compliance_xlsx(request):
    """The workbook of the yearly charter review, for the same readers as the pages."""
    user = request.user
    if not selectors.may_read_charter(user) or user.role == Role.INTEGRATION:
        raise Http404(_("No such unit."))
    period = parse_period(request.GET.get("period"), current_year())
    _fresh()
    try:
        report = compliance_report(user, period, branch_code=(request.GET.get("branch") or "").strip())
    except PermissionDenied as error:
        raise Http404(_("No such unit.")) from error
    level = Level.BRANCH if report.branch is not None else Level.DEPARTMENT
    unit_model = report.branch if report.branch is not None else report.department
    months = selectors.monthly_figures(level, unit_model, report.department.pk, period)
    worst = selectors.worst_cases(user, period, branch=report.branch, department=report.department, per_commitment=50)
    content = review_workbook(report, months, worst)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="charter-{report.unit.code}-{period.code}.xlsx"'
    return response


@require_GET
def public(request):
    """The public page: the department's compliance per commitment over a year, and each branch's,
    except branches with fewer measured declarations than CHARTER_PUBLIC_MIN_DECLARATIONS."""
    period = parse_period(request.GET.get("year"), current_year())
    if period.first != period.first.replace(month=1) or period.last.month != 12:
        period = CharterPeriod.year(period.first.year)
    departments = list(Department.objects.order_by("code"))
    wanted = (request.GET.get("department") or "").strip()
    department = next((d for d in departments if d.code == wanted), None) if wanted else (departments or [None])[0]
    if department is None:
        raise Http404(_("No such unit."))
    _fresh()
    figures = selectors.unit_figures(Level.DEPARTMENT, [department], department.pk, period)[department.pk]
    branches = selectors.branches_of(department)
    minimum = settings.CHARTER_PUBLIC_MIN_DECLARATIONS
    branch_figures = selectors.unit_figures(Level.BRANCH, branches, department.pk, period)
    shown, hidden = [], []
    for branch in branches:
        measured = [f for f in branch_figures[branch.pk] if f.code in DECLARATION_COMMITMENTS]
        # A branch's cell appears only on enough declarations: a figure on a handful would point at
        # the businesses and officers behind them.
        cells = [presenters.figure_row(f) if f.measured >= minimum else None for f in measured]
        if any(cells):
            shown.append({"name": branch.name, "cells": cells})
        else:
            hidden.append(branch.name)
    context = {
        "department": department,
        "departments": departments,
        "period": period,
        "rows": [
            {**presenters.figure_row(f), "suppressed": f.code in DECLARATION_COMMITMENTS and f.measured < minimum}
            for f in figures
        ],
        "branches": shown,
        "hidden": hidden,
        "minimum": minimum,
        "commitment_labels": _commitment_labels(),
    }
    return render(request, "charter/public.html", context)
