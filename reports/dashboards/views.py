"""Dashboards of rating figures (department, branch, team, officer) and their downloads.

Thin pages over reports.measures: every figure comes from `dashboard_figures` or `rank_units`, which
read rollups and scope by user (Http404 out of scope), so a page costs a fixed number of queries
whatever the number of ratings; the recent comments (reports.comments) are the one read of ratings,
a page of the newest. Filters live in the query string (reports.dashboards.forms); cards, tables and
charts are shaped by reports.dashboards.presenters. Each table is also a CSV download
(`?export=<table>`) and the page as a whole an Excel workbook (`?export=xlsx`). Rating rows are
reports.exports.views.
"""

import functools
from dataclasses import replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from charter.presenters import figure_row
from charter.report import dashboard_rows
from charter.rollup import fold_compliance
from core.query import get_page, page_number
from core.spreadsheet import XLSX
from directory.choices import Role
from directory.models import Branch, Department, TeamMembership
from directory.navigation import DEPARTMENT_ROLES, dashboard_url, role_of
from feedback.cases.rules import OPEN_STATUSES
from feedback.choices import Channel
from feedback.models import DissatisfactionCase

from ..comments import recent_comments
from ..exports import tables as exports
from ..exports.tables import Table
from ..measures import (
    Figures,
    Period,
    dashboard_figures,
    not_enough_ratings_label,
    rank_units,
    visible_units,
)
from ..models import UnitKind
from ..rollups import fold_rollups
from . import presenters
from .forms import DashboardFilterForm, period_code, period_label

DEPT, BRANCH, TEAM, OFFICER = UnitKind.DEPARTMENT, UnitKind.BRANCH, UnitKind.TEAM, UnitKind.OFFICER
RECENT_COMMENTS = 20
TABLE_PAGE_SIZE = 25
PAGED_TABLES = ("teams", "officers")


# --- building blocks -------------------------------------------------------------------------------------


def _filters(request, *, units, unit_label, current_unit):
    form = DashboardFilterForm(request.GET, units=units, unit_label=unit_label, current_unit=current_unit)
    period, channel = form.filters()
    return form, period, channel


def _query(period: Period, channel: str | None) -> str:
    params = {"period": period_code(period)}
    if channel:
        params["channel"] = channel
    return urlencode(params)


def _moved(request, url_name: str, current: str):
    """A redirect when the filter form chose another unit of the same level, keeping the other filters.
    A unit's value in the form is its URL arguments joined by "/" (codes have no "/"): a branch "HG", a
    team "HG/TT"."""
    wanted = (request.GET.get("unit") or "").strip()
    if not wanted or wanted == current:
        return None
    params = request.GET.copy()
    params.pop("unit", None)
    try:
        url = reverse(url_name, args=wanted.split("/"))
    except NoReverseMatch:  # a hand-made value with too many or too few parts
        raise Http404(_("No such unit.")) from None
    return redirect(f"{url}?{params.urlencode()}" if params else url)


def _respond(request, tables: list[Table], subtitle: str, slug: str, chart=None):
    """The downloads of a page (`?export=xlsx` or `?export=<table name>`), or None for the page itself."""
    wanted = request.GET.get("export")
    if not wanted:
        return None
    if wanted == "xlsx":
        response = HttpResponse(exports.figures_workbook(tables, subtitle, chart), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{slug}.xlsx"'
        return response
    table = next((table for table in tables if table.name == wanted), None)
    if table is None:
        raise Http404(_("No such table."))
    response = HttpResponse(exports.table_csv(table), content_type=exports.CSV)
    response["Content-Disposition"] = f'attachment; filename="{slug}-{table.name}.csv"'
    return response


def _paged(request, table: Table) -> Table:
    """One page of a long units table (`?<name>_page=N`): a department has hundreds of officers, and the
    page renders in time only a screenful of them. Ranks stay those of the whole list; the downloads
    hold every row."""
    if table.name not in PAGED_TABLES or len(table.rows) <= TABLE_PAGE_SIZE:
        return table
    key = f"{table.name}_page"
    page = get_page(Paginator(range(len(table.rows)), TABLE_PAGE_SIZE), request.GET, key)

    def url(number: int) -> str:
        params = request.GET.copy()
        params[key] = number
        return f"?{params.urlencode()}#table-{table.name}"

    start, end = page.start_index() - 1, page.end_index()
    return replace(
        table,
        rows=table.rows[start:end],
        links=table.links[start:end],
        pager={
            "first": start + 1,
            "last": end,
            "total": len(table.rows),
            "first_page": url(1) if page.has_previous() else "",
            "previous": url(page.previous_page_number()) if page.has_previous() else "",
            "next": url(page.next_page_number()) if page.has_next() else "",
            "last_page": url(page.paginator.num_pages) if page.has_next() else "",
        },
    )


def _page(request, template: str, context: dict, tables: list[Table]):
    for name in PAGED_TABLES:  # checked even where the table is short enough to show whole
        page_number(request.GET, f"{name}_page")
    context["tables"] = {table.name: _paged(request, table) for table in tables}
    # A person paging through a table folded away under <details> finds it open on the next page.
    context["paging"] = any(request.GET.get(f"{name}_page") for name in PAGED_TABLES)
    channel = context.get("channel")
    context["channel_text"] = dict(Channel.choices)[channel] if channel else _("All channels")
    query = context["query"]
    context["downloads"] = {table.name: f"?{query}&export={table.name}" for table in tables}
    context["xlsx_url"] = f"?{query}&export=xlsx"
    return render(request, template, context)


def _ratings_links(query: str, **unit: str) -> dict:
    """The rating-row downloads of a unit; `unit`: the parameters naming it (level, code; a team's branch)."""
    base = f"{reverse('reports:dashboard-ratings')}?{urlencode(unit)}&{query}"
    return {file_format: f"{base}&format={file_format}" for file_format in ("xlsx", "csv")}


# The dashboard of a unit: its URL name and the unit's fields that are the URL's arguments. Team codes are
# unique only inside their branch: a team is addressed by its branch's code and its own.
ADDRESSES = {
    BRANCH: ("reports:dashboard-branch", ("code",)),
    TEAM: ("reports:dashboard-team", ("branch__code", "code")),
    OFFICER: ("reports:dashboard-officer", ("code",)),
}


def _unit_links(kind: UnitKind, units, query: str):
    """A `link(figures)` giving the dashboard of a unit (with the page's filters), or None for a unit the
    user may not open. `units`: a queryset of the units of `kind` the user may see (from `visible_units`).
    One query, and the URL pattern is built once: a department page links hundreds of officers."""
    url_name, fields = ADDRESSES[kind]
    pattern = reverse(url_name, args=["ARG"] * len(fields)).replace("ARG", "{}")
    addresses = {pk: address for pk, *address in units.values_list("pk", *fields)}

    def link(unit: Figures) -> str | None:
        address = addresses.get(unit.unit_id)
        return f"{pattern.format(*address)}?{query}" if address is not None else None

    return link


def _chosen(units: list[tuple], *key: str) -> tuple:
    """The row of `units` (pk, *key fields, ...) whose key fields are `key` (a code; a team's branch code
    and code); Http404 when the user may not see it."""
    row = next((unit for unit in units if unit[1 : 1 + len(key)] == key), None)
    if row is None:
        raise Http404(_("No such unit."))
    return row


def _context(form, name: str, period: Period, channel: str | None, query: str, current, previous, **more) -> dict:
    """What every dashboard page shows above its tables: filters, title, headline cards."""
    return {
        "form": form,
        "name": name,
        "period": period,
        "period_text": period_label(period),
        "channel": channel,
        "query": query,
        "cards": presenters.cards(current, previous),
        "growing": presenters.growing_note(period),
        **more,
    }


def _open_cases(user, inbox_filters: list[tuple[str, str]], **unit) -> dict:
    """Open and overdue cases of a branch or team (those the user may see), each linked to the case inbox
    with the same filters (`inbox_filters`: the inbox's query parameters naming the unit)."""
    open_cases = DissatisfactionCase.objects.for_user(user).still_open().filter(**unit)
    inbox = reverse("feedback:case-list")
    open_query = urlencode([*inbox_filters, *(("status", status) for status in OPEN_STATUSES)])
    return {
        "open_cases": open_cases.count(),
        "overdue_cases": open_cases.overdue().count(),
        "open_cases_url": f"{inbox}?{open_query}",
        "overdue_cases_url": f"{inbox}?{urlencode([*inbox_filters, ('overdue', 'true')])}",
    }


def _up_link(user, kind: UnitKind, code: str, url_name: str, query: str) -> str:
    """The dashboard of the unit above (with the page's filters), or "" when the user may not see it."""
    if not visible_units(user, kind).filter(code=code).exists():
        return ""
    return reverse(url_name, args=[code]) + "?" + query


# --- pages -----------------------------------------------------------------------------------------------


def _charter(user, period: Period, *, department_id=None, branch_id=None) -> dict:
    """The service charter's figures over the dashboard's months (charter app), for who may read them."""
    department = Department.objects.filter(pk=department_id).first() if department_id else None
    branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
    figures = dashboard_rows(user, department=department, branch=branch, first=period.first, last=period.last)
    if figures is None:
        return {}
    url = reverse("charter:compliance-branch", args=[branch.code]) if branch else reverse("charter:compliance")
    code = f"{period.first:%Y-%m}" if period.first == period.last else f"{period.first:%Y}"
    return {"charter_rows": [figure_row(f) for f in figures], "charter_url": f"{url}?period={code}"}


def fresh_rollups(view):
    """The embedded mode (SQLite, no Celery beat) has nobody folding new ratings every minute: the
    dashboards fold what is new before they read (ROLLUP_FOLD_ON_READ; a fold with nothing new costs
    a few milliseconds)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.ROLLUP_FOLD_ON_READ:
            fold_rollups()
            fold_compliance()
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_GET
@fresh_rollups
def department(request):
    """The department's dashboard (department staff, administrators). Leaders and officers are taken to
    their own dashboard; anybody else gets 404."""
    user = request.user
    if role_of(user) not in DEPARTMENT_ROLES:
        own = dashboard_url(user)
        if own is None:
            raise Http404(_("No such unit."))
        return redirect(own)
    departments = list(visible_units(user, DEPT).order_by("code").values_list("pk", "code", "name"))
    if not departments:
        raise Http404(_("No such unit."))
    wanted = (request.GET.get("unit") or "").strip()
    if wanted:  # a department out of scope is 404, like one that does not exist
        pk, code, name = _chosen(departments, wanted)
    else:
        pk, code, name = departments[0]
    form, period, channel = _filters(
        request, units=[(row[1], row[2]) for row in departments], unit_label=_("Department"), current_unit=code
    )
    dashboard = dashboard_figures(user, DEPT, pk, period, channel=channel)
    # The teams' participation is on their branch's page: here it would cost a third of the page.
    teams = rank_units(user, TEAM, period, within=(DEPT, pk), channel=channel, participation=False)
    officers = rank_units(user, OFFICER, period, within=(DEPT, pk), channel=channel)
    query = _query(period, channel)
    branch_link = _unit_links(BRANCH, visible_units(user, BRANCH), query)
    team_link = _unit_links(TEAM, visible_units(user, TEAM).filter(branch__department_id=pk), query)
    officer_link = _unit_links(OFFICER, visible_units(user, OFFICER).filter(branch__department_id=pk), query)
    trend = presenters.trend_table(dashboard.trend)
    tables = [
        presenters.summary_table(_("Department"), dashboard.current, dashboard.previous),
        trend,
        presenters.units_table("branches", _("Branches"), _("Branch"), dashboard.children, branch_link),
        presenters.units_table("teams", _("Teams"), _("Team"), teams, team_link),
        presenters.units_table("officers", _("Officers"), _("Officer"), officers, officer_link),
        presenters.levels_table(dashboard.current),
        presenters.cases_table(dashboard.trend),
    ]
    subtitle = presenters.subtitle(name, period, channel)
    chart = ("branches", _("Channel-adjusted satisfaction"), _("Branches by channel-adjusted satisfaction"))
    download = _respond(request, tables, subtitle, f"dashboard-{code}-{period_code(period)}", chart)
    if download:
        return download
    context = _context(
        form,
        name,
        period,
        channel,
        query,
        dashboard.current,
        dashboard.previous,
        charts=presenters.charts(trend, dashboard.children, dashboard.current, tables[-1]),
        ratings_links=_ratings_links(query, level="department", code=code),
        **_charter(user, period, department_id=pk),
    )
    return _page(request, "reports/dashboard_department.html", context, tables)


@login_required
@require_GET
@fresh_rollups
def branch(request, code: str):
    """A branch's dashboard (its leader, department staff, administrators): teams, officers, comments, cases."""
    user = request.user
    units = list(visible_units(user, BRANCH).order_by("name").values_list("pk", "code", "name"))
    pk, code, name = _chosen(units, code)
    moved = _moved(request, "reports:dashboard-branch", code)
    if moved:
        return moved
    form, period, channel = _filters(
        request, units=[(unit[1], unit[2]) for unit in units], unit_label=_("Branch"), current_unit=code
    )
    dashboard = dashboard_figures(user, BRANCH, pk, period, channel=channel)
    officers = rank_units(user, OFFICER, period, within=(BRANCH, pk), channel=channel)
    query = _query(period, channel)
    team_link = _unit_links(TEAM, visible_units(user, TEAM).filter(branch_id=pk), query)
    officer_link = _unit_links(OFFICER, visible_units(user, OFFICER).filter(branch_id=pk), query)
    trend = presenters.trend_table(dashboard.trend)
    tables = [
        presenters.summary_table(_("Branch"), dashboard.current, dashboard.previous),
        trend,
        presenters.units_table("teams", _("Teams"), _("Team"), dashboard.children, team_link),
        presenters.units_table("officers", _("Officers"), _("Officer"), officers, officer_link),
        presenters.levels_table(dashboard.current),
        presenters.cases_table(dashboard.trend),
        presenters.comments_table(recent_comments(BRANCH, pk, period, channel, RECENT_COMMENTS)),
    ]
    subtitle = presenters.subtitle(name, period, channel)
    chart = ("teams", _("Channel-adjusted satisfaction"), _("Teams by channel-adjusted satisfaction"))
    download = _respond(request, tables, subtitle, f"dashboard-{code}-{period_code(period)}", chart)
    if download:
        return download
    context = _context(
        form,
        name,
        period,
        channel,
        query,
        dashboard.current,
        dashboard.previous,
        charts=presenters.charts(trend, dashboard.children, dashboard.current, tables[-2]),
        **presenters.officer_lists(officers, officer_link),
        **_open_cases(user, [("branch", code)], branch_id=pk),
        department_url=reverse("reports:dashboard-department") + "?" + query
        if role_of(user) in DEPARTMENT_ROLES
        else "",
        ratings_links=_ratings_links(query, level="branch", code=code),
        **_charter(user, period, branch_id=pk),
    )
    return _page(request, "reports/dashboard_branch.html", context, tables)


@login_required
@require_GET
@fresh_rollups
def team(request, branch: str, code: str):
    """A team's dashboard (its leader, its branch's leader, department staff, administrators): its
    officers side by side, comments about the team, its open cases. Addressed by its branch's code and
    its own: teams of different branches often share a code and a name ("TT", "Đội Thủ tục")."""
    user = request.user
    units = list(
        visible_units(user, TEAM)
        .order_by("branch__name", "name", "code")
        .values_list("pk", "branch__code", "code", "name", "branch__name")
    )
    pk, branch_code, code, name, branch_name = _chosen(units, branch, code)
    current = f"{branch_code}/{code}"  # its value in the filter form's list of teams
    moved = _moved(request, "reports:dashboard-team", current)
    if moved:
        return moved
    form, period, channel = _filters(
        request,
        units=[(f"{unit[1]}/{unit[2]}", f"{unit[3]} ({unit[1]}/{unit[2]})") for unit in units],
        unit_label=_("Team"),
        current_unit=current,
    )
    dashboard = dashboard_figures(user, TEAM, pk, period, channel=channel)
    officers = dashboard.children  # rank_units(user, OFFICER, period, within=(TEAM, pk))
    query = _query(period, channel)
    officer_link = _unit_links(OFFICER, visible_units(user, OFFICER).filter(memberships__team_id=pk), query)
    trend = presenters.trend_table(dashboard.trend)
    tables = [
        presenters.summary_table(_("Team"), dashboard.current, dashboard.previous),
        trend,
        presenters.units_table("officers", _("Officers"), _("Officer"), officers, officer_link),
        presenters.levels_table(dashboard.current),
        presenters.comments_table(recent_comments(TEAM, pk, period, channel, RECENT_COMMENTS)),
    ]
    subtitle = presenters.subtitle(f"{name} · {branch_name}", period, channel)
    chart = ("officers", _("Channel-adjusted satisfaction"), _("Officers by channel-adjusted satisfaction"))
    download = _respond(request, tables, subtitle, f"dashboard-{branch_code}-{code}-{period_code(period)}", chart)
    if download:
        return download
    context = _context(
        form,
        name,
        period,
        channel,
        query,
        dashboard.current,
        dashboard.previous,
        code=code,
        branch_name=branch_name,
        charts=presenters.charts(trend, officers, dashboard.current, None),
        **presenters.officer_lists(officers, officer_link),
        # The branch too: team codes are unique only inside their branch.
        **_open_cases(user, [("branch", branch_code), ("team", code)], team_id=pk),
        # A team leader sees only the cases they verify (DissatisfactionCase.objects.for_user): say so.
        only_assigned_cases=not user.is_administrator and user.role == Role.TEAM_LEADER,
        branch_url=_up_link(user, BRANCH, branch_code, "reports:dashboard-branch", query),
        ratings_links=_ratings_links(query, level="team", code=code, branch=branch_code),
    )
    return _page(request, "reports/dashboard_team.html", context, tables)


@login_required
@require_GET
@fresh_rollups
def officer(request, code: str):
    """An officer's dashboard (the officer, their team and branch leaders, department staff)."""
    user = request.user
    units = list(
        visible_units(user, OFFICER).order_by("full_name").values_list("pk", "code", "full_name", "branch__code")
    )
    pk, code, name, branch_code = _chosen(units, code)
    moved = _moved(request, "reports:dashboard-officer", code)
    if moved:
        return moved
    form, period, channel = _filters(
        request,
        units=[(unit[1], f"{unit[2]} ({unit[1]})") for unit in units],
        unit_label=_("Officer"),
        current_unit=code,
    )
    dashboard = dashboard_figures(user, OFFICER, pk, period, channel=channel)
    current, previous = dashboard.current, dashboard.previous
    trend = presenters.trend_table(dashboard.trend)
    tables = [
        presenters.summary_table(_("Officer"), current, previous),
        trend,
        presenters.levels_table(current),
        presenters.comments_table(recent_comments(OFFICER, pk, period, channel, RECENT_COMMENTS)),
    ]
    query = _query(period, channel)
    subtitle = presenters.subtitle(name, period, channel)
    download = _respond(request, tables, subtitle, f"dashboard-{code}-{period_code(period)}")
    if download:
        return download
    # The team the officer is in today, when the user may see its dashboard.
    memberships = TeamMembership.objects.filter(officer_id=pk).active_on(timezone.localdate())
    team_address = (
        visible_units(user, TEAM).filter(memberships__in=memberships).values_list("branch__code", "code").first()
    )
    context = _context(
        form,
        name,
        period,
        channel,
        query,
        current,
        previous,
        code=code,
        enough=current.enough_ratings,
        minimum=settings.MIN_OFFICER_RATINGS,
        is_self=user.officer_id == pk,
        not_enough=not_enough_ratings_label(),
        charts=presenters.charts(trend, None, current, None),
        branch_url=_up_link(user, BRANCH, branch_code, "reports:dashboard-branch", query),
        team_url=reverse("reports:dashboard-team", args=team_address) + "?" + query if team_address else "",
        ratings_links=_ratings_links(query, level="officer", code=code),
    )
    return _page(request, "reports/dashboard_officer.html", context, tables)
