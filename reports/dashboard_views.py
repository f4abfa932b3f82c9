"""Dashboards of rating figures (department, branch, team, officer) and their downloads.

Thin pages over reports.measures: every figure comes from `dashboard_figures` or `rank_units`, which
read rollups and scope by user (Http404 out of scope), so a page costs a fixed number of queries
whatever the number of ratings; the recent comments (reports.comments) are the one read of ratings,
a page of the newest. Filters live in the query string
(reports.dashboard_forms). Each table is also a CSV download (`?export=<table>`) and the page as a
whole an Excel workbook (`?export=xlsx`). Rating rows (`/dashboards/ratings/`) stream when small and
become an ExportJob when big (reports.export_services).
"""

import datetime
import functools
import tempfile
from dataclasses import replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.spreadsheet import XLSX
from directory.choices import Role
from directory.models import TeamMembership
from directory.navigation import DEPARTMENT_ROLES, dashboard_url, role_of
from feedback import case_selectors
from feedback.choices import CASE_OPEN_STATUSES, Channel, Level
from feedback.models import DissatisfactionCase

from . import export_services, exports
from .comments import recent_comments
from .dashboard_forms import DashboardFilterForm, period_code, period_label
from .export_models import ExportStatus
from .exports import DAYS, INT, MEAN, RATE, Column, Table
from .measures import (
    Figures,
    Period,
    dashboard_figures,
    not_enough_ratings_label,
    rank_units,
    visible_units,
)
from .models import UnitKind
from .rollups import fold_rollups

DEPT, BRANCH, TEAM, OFFICER = UnitKind.DEPARTMENT, UnitKind.BRANCH, UnitKind.TEAM, UnitKind.OFFICER
RECENT_COMMENTS = 20
TABLE_PAGE_SIZE = 25
PAGED_TABLES = ("teams", "officers")
BEST_AND_WORST = 3
GROWING_DAYS = 30


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


def _signed(value: float, digits: int) -> str:
    text = formats.number_format(abs(value), digits, use_l10n=True, force_grouping=True)
    if round(value, digits) == 0:
        return "±" + text
    return ("+" if value > 0 else "−") + text


def _card(label: str, kind: str, now, before, *, better: int = 0, missing: str = "–") -> dict:
    """A headline figure with its change on the previous period. `better`: +1 when up is good, -1 when
    down is good, 0 when neither (counts)."""
    card = {"label": label, "value": exports.display(now, kind) if now is not None else missing}
    if now is None or before is None or isinstance(now, str) or isinstance(before, str):
        card["change"] = ""
        card["tone"] = ""
        card["previous"] = exports.display(before, kind) if before is not None else missing
        return card
    diff = now - before
    if kind == RATE:
        change = _("%(change)s points") % {"change": _signed(100 * diff, 1)}
    elif kind == MEAN:
        change = _signed(diff, 2)
    elif kind == DAYS:
        change = _signed(diff, 1)
    else:
        change = _signed(diff, 0)
    card["change"] = change
    card["previous"] = exports.display(before, kind)
    card["tone"] = "" if better == 0 or abs(diff) < 1e-9 else ("good" if diff * better > 0 else "bad")
    return card


def _adjusted(figures: Figures):
    return figures.channel_adjusted.adjusted if figures.channel_adjusted else None


def _cards(current: Figures, previous: Figures) -> list[dict]:
    missing = not_enough_ratings_label() if not current.enough_ratings else "–"
    cards = [
        _card(_("Ratings"), INT, current.ratings, previous.ratings),
        _card(
            _("Satisfaction rate"),
            RATE,
            current.satisfaction_rate,
            previous.satisfaction_rate,
            better=1,
            missing=missing,
        ),
        _card(
            _("Dissatisfaction rate"),
            RATE,
            current.dissatisfaction_rate,
            previous.dissatisfaction_rate,
            better=-1,
            missing=missing,
        ),
        _card(_("Mean level"), MEAN, current.mean_level, previous.mean_level, better=1, missing=missing),
        _card(
            _("Channel-adjusted satisfaction"), RATE, _adjusted(current), _adjusted(previous), better=1, missing=missing
        ),
        _card(_("Coverage"), RATE, current.coverage, previous.coverage, better=1),
    ]
    if current.unit_kind != OFFICER:
        cards.append(_card(_("Participation"), RATE, current.participation, previous.participation, better=1))
    if current.cases is not None:
        now, before = current.cases, previous.cases
        cards += [
            _card(_("Cases opened"), INT, now.opened, before.opened if before else None),
            _card(
                _("Answered on time"), INT, now.answered_on_time, before.answered_on_time if before else None, better=1
            ),
            _card(_("Overdue"), INT, now.overdue, before.overdue if before else None, better=-1),
            _card(
                _("Median working days to answer"),
                DAYS,
                now.median_days_to_answer,
                before.median_days_to_answer if before else None,
                better=-1,
            ),
        ]
    return cards


def _month_label(figures: Figures) -> str:
    return f"{figures.month:%m/%Y}"


def _rate_or_label(figures: Figures, value):
    return value if figures.enough_ratings else not_enough_ratings_label()


def _trend_table(trend: list[Figures]) -> Table:
    table = Table(
        "trend",
        _("Monthly trend"),
        [
            Column(_("Month")),
            Column(_("Ratings"), INT),
            Column(_("Satisfaction rate"), RATE),
            Column(_("Channel-adjusted satisfaction"), RATE),
            Column(_("Dissatisfaction rate"), RATE),
            Column(_("Mean level"), MEAN),
            Column(_("Coverage"), RATE),
        ],
    )
    for month in trend:
        table.rows.append(
            [
                _month_label(month),
                month.ratings,
                month.satisfaction_rate,
                _adjusted(month),
                month.dissatisfaction_rate,
                month.mean_level,
                month.coverage,
            ]
        )
    return table


def _units_table(name: str, title: str, unit_label: str, units: list[Figures], link) -> Table:
    """Units side by side, ranked by channel-adjusted satisfaction (units without enough ratings last)."""
    table = Table(
        name,
        title,
        [
            Column(_("Rank"), INT),
            Column(unit_label),
            Column(_("Ratings"), INT),
            Column(_("Satisfaction rate"), RATE),
            Column(_("Channel-adjusted satisfaction"), RATE),
            Column(_("Dissatisfaction rate"), RATE),
            Column(_("Mean level"), MEAN),
            Column(_("Coverage"), RATE),
            Column(_("Participation"), RATE),
        ],
    )
    for unit in units:
        table.rows.append(
            [
                unit.rank,
                unit.unit_name,
                unit.ratings,
                _rate_or_label(unit, unit.satisfaction_rate),
                _rate_or_label(unit, _adjusted(unit)),
                _rate_or_label(unit, unit.dissatisfaction_rate),
                _rate_or_label(unit, unit.mean_level),
                unit.coverage,
                unit.participation,
            ]
        )
        table.links.append(link(unit) if link else None)
    # The rank column has no link: move links to the name (second column) in the template.
    return table


def _summary_table(unit_label: str, current: Figures, previous: Figures) -> Table:
    table = _units_table("summary", _("Totals"), _("Period"), [], None)
    table.columns[0] = Column(unit_label)
    for figures in (current, previous):
        row = _units_table("x", "", "", [figures], None).rows[0]
        row[0] = figures.unit_name
        row[1] = period_label(figures.period)
        table.rows.append(row)
    return table


def _levels_table(current: Figures) -> Table:
    table = Table(
        "levels", _("Level distribution"), [Column(_("Level")), Column(_("Ratings"), INT), Column(_("Share"), RATE)]
    )
    counts = current.level_counts or {}
    shares = current.level_shares or {}
    for level in sorted(Level, reverse=True):
        table.rows.append(
            [f"{level.value} · {level.label}", counts.get(level.value) if counts else None, shares.get(level.value)]
        )
    return table


def _cases_table(trend: list[Figures]) -> Table:
    table = Table(
        "cases",
        _("Case deadlines met"),
        [
            Column(_("Month of opening")),
            Column(_("Cases opened"), INT),
            Column(_("Answered on time"), INT),
            Column(_("Overdue"), INT),
            Column(_("Median working days to answer"), DAYS),
        ],
    )
    for month in trend:
        cases = month.cases
        table.rows.append(
            [
                _month_label(month),
                cases.opened if cases else 0,
                cases.answered_on_time if cases else 0,
                cases.overdue if cases else 0,
                cases.median_days_to_answer if cases else None,
            ]
        )
    return table


def _comments_table(rows) -> Table:
    """Recent comments: date, declaration, level, comment. No business identity."""
    table = Table(
        "comments",
        _("Recent comments"),
        [
            Column(_("Rated at"), exports.DATETIME_KIND),
            Column(_("Declaration")),
            Column(_("Level"), INT),
            Column(_("Comment")),
        ],
    )
    table.rows = [list(row) for row in rows]
    return table


def _charts(trend: Table, units: list[Figures] | None, current: Figures, cases: Table | None) -> dict:
    """The data island the charts are drawn from (the tables hold the same figures)."""
    data = {
        "trend": {
            "labels": [row[0] for row in trend.rows],
            "ratings": [row[1] for row in trend.rows],
            "satisfaction": [row[2] for row in trend.rows],
            "adjusted": [row[3] for row in trend.rows],
        },
        "levels": {
            "labels": [str(level.label) for level in sorted(Level, reverse=True)],
            "counts": [(current.level_counts or {}).get(level.value) for level in sorted(Level, reverse=True)],
        },
        "series": {
            "ratings": _("Ratings"),
            "satisfaction": _("Satisfaction rate"),
            "adjusted": _("Channel-adjusted satisfaction"),
            "on_time": _("Answered on time"),
            "overdue": _("Overdue"),
            "opened": _("Cases opened"),
        },
    }
    if cases is not None:
        data["cases"] = {
            "opened": [row[1] for row in cases.rows],
            "on_time": [row[2] for row in cases.rows],
            "overdue": [row[3] for row in cases.rows],
        }
    if units is not None:
        ranked = [unit for unit in units if unit.channel_adjusted is not None]
        data["units"] = {
            "labels": [unit.unit_name for unit in ranked],
            "adjusted": [unit.channel_adjusted.adjusted for unit in ranked],
            "satisfaction": [unit.satisfaction_rate for unit in ranked],
            "ratings": [unit.ratings for unit in ranked],
        }
    return data


def _growing_note(period: Period) -> str:
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    if period.last < last_month:
        return ""
    return _(
        "Figures of the current and the previous month are still growing: a business can rate a "
        "declaration for %(days)s days after clearance."
    ) % {"days": GROWING_DAYS}


def _subtitle(name: str, period: Period, channel: str | None) -> str:
    channel_text = str(dict(Channel.choices)[channel]) if channel else _("All channels")
    return _("%(unit)s · %(period)s · %(channel)s · printed on %(date)s") % {
        "unit": name,
        "period": period_label(period),
        "channel": channel_text,
        "date": formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT"),
    }


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
    page = Paginator(range(len(table.rows)), TABLE_PAGE_SIZE).get_page(request.GET.get(key))

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
            "previous": url(page.previous_page_number()) if page.has_previous() else "",
            "next": url(page.next_page_number()) if page.has_next() else "",
        },
    )


def _page(request, template: str, context: dict, tables: list[Table]):
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
        "cards": _cards(current, previous),
        "growing": _growing_note(period),
        **more,
    }


def _best_and_worst(officers: list[Figures]):
    ranked = [officer for officer in officers if officer.rank is not None]
    size = min(BEST_AND_WORST, max(1, len(ranked) // 2)) if ranked else 0
    best = ranked[:size]
    worst = list(reversed(ranked[-size:])) if len(ranked) > 1 else []
    return best, worst, [officer for officer in officers if officer.rank is None]


def _officer_item(officer: Figures, link: str | None) -> dict:
    return {
        "name": officer.unit_name,
        "link": link,
        "rate": exports.display(_adjusted(officer), RATE),
        "ratings": officer.ratings,
    }


def _officer_lists(officers: list[Figures], link) -> dict:
    """The best and lowest rated officers of a branch or team, and those with too few ratings to rank."""
    best, worst, too_few = _best_and_worst(officers)
    return {
        "best": [_officer_item(officer, link(officer)) for officer in best],
        "worst": [_officer_item(officer, link(officer)) for officer in worst],
        "too_few": too_few,
        "not_enough": not_enough_ratings_label(),
    }


def _open_cases(user, inbox_filters: list[tuple[str, str]], **unit) -> dict:
    """Open and overdue cases of a branch or team (those the user may see), each linked to the case inbox
    with the same filters (`inbox_filters`: the inbox's query parameters naming the unit)."""
    open_cases = DissatisfactionCase.objects.for_user(user).filter(status__in=CASE_OPEN_STATUSES, **unit)
    inbox = reverse("feedback:case-list")
    open_query = urlencode([*inbox_filters, *(("status", status) for status in CASE_OPEN_STATUSES)])
    return {
        "open_cases": open_cases.count(),
        "overdue_cases": case_selectors.overdue(open_cases).count(),
        "open_cases_url": f"{inbox}?{open_query}",
        "overdue_cases_url": f"{inbox}?{urlencode([*inbox_filters, ('overdue', 'true')])}",
    }


def _up_link(user, kind: UnitKind, code: str, url_name: str, query: str) -> str:
    """The dashboard of the unit above (with the page's filters), or "" when the user may not see it."""
    if not visible_units(user, kind).filter(code=code).exists():
        return ""
    return reverse(url_name, args=[code]) + "?" + query


# --- pages -----------------------------------------------------------------------------------------------


def fresh_rollups(view):
    """The embedded mode (SQLite, no Celery beat) has nobody folding new ratings every minute: the
    dashboards fold what is new before they read (ROLLUP_FOLD_ON_READ; a fold with nothing new costs
    a few milliseconds)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.ROLLUP_FOLD_ON_READ:
            fold_rollups()
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
    wanted = request.GET.get("unit")
    pk, code, name = next((row for row in departments if row[1] == wanted), departments[0])
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
    trend = _trend_table(dashboard.trend)
    tables = [
        _summary_table(_("Department"), dashboard.current, dashboard.previous),
        trend,
        _units_table("branches", _("Branches"), _("Branch"), dashboard.children, branch_link),
        _units_table("teams", _("Teams"), _("Team"), teams, team_link),
        _units_table("officers", _("Officers"), _("Officer"), officers, officer_link),
        _levels_table(dashboard.current),
        _cases_table(dashboard.trend),
    ]
    subtitle = _subtitle(name, period, channel)
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
        charts=_charts(trend, dashboard.children, dashboard.current, tables[-1]),
        ratings_links=_ratings_links(query, level="department", code=code),
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
    trend = _trend_table(dashboard.trend)
    tables = [
        _summary_table(_("Branch"), dashboard.current, dashboard.previous),
        trend,
        _units_table("teams", _("Teams"), _("Team"), dashboard.children, team_link),
        _units_table("officers", _("Officers"), _("Officer"), officers, officer_link),
        _levels_table(dashboard.current),
        _cases_table(dashboard.trend),
        _comments_table(recent_comments(BRANCH, pk, period, channel, RECENT_COMMENTS)),
    ]
    subtitle = _subtitle(name, period, channel)
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
        charts=_charts(trend, dashboard.children, dashboard.current, tables[-2]),
        **_officer_lists(officers, officer_link),
        **_open_cases(user, [("branch", code)], branch_id=pk),
        department_url=reverse("reports:dashboard-department") + "?" + query
        if role_of(user) in DEPARTMENT_ROLES
        else "",
        ratings_links=_ratings_links(query, level="branch", code=code),
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
    trend = _trend_table(dashboard.trend)
    tables = [
        _summary_table(_("Team"), dashboard.current, dashboard.previous),
        trend,
        _units_table("officers", _("Officers"), _("Officer"), officers, officer_link),
        _levels_table(dashboard.current),
        _comments_table(recent_comments(TEAM, pk, period, channel, RECENT_COMMENTS)),
    ]
    subtitle = _subtitle(f"{name} · {branch_name}", period, channel)
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
        charts=_charts(trend, officers, dashboard.current, None),
        **_officer_lists(officers, officer_link),
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
    trend = _trend_table(dashboard.trend)
    tables = [
        _summary_table(_("Officer"), current, previous),
        trend,
        _levels_table(current),
        _comments_table(recent_comments(OFFICER, pk, period, channel, RECENT_COMMENTS)),
    ]
    query = _query(period, channel)
    subtitle = _subtitle(name, period, channel)
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
        charts=_charts(trend, None, current, None),
        branch_url=_up_link(user, BRANCH, branch_code, "reports:dashboard-branch", query),
        team_url=reverse("reports:dashboard-team", args=team_address) + "?" + query if team_address else "",
        ratings_links=_ratings_links(query, level="officer", code=code),
    )
    return _page(request, "reports/dashboard_officer.html", context, tables)


# --- rating rows and export jobs -------------------------------------------------------------------------

LEVELS = {"department": DEPT, "branch": BRANCH, "team": TEAM, "officer": OFFICER}


@login_required
@require_GET
def ratings_export(request):
    """One row per rating of a unit over a period: streamed when small, an export job when big."""
    kind = LEVELS.get(request.GET.get("level", ""))
    file_format = request.GET.get("format", "xlsx")
    if kind is None or file_format not in export_services.FORMATS:
        raise Http404(_("No such export."))
    units = visible_units(request.user, kind).filter(code=request.GET.get("code", ""))
    if kind == TEAM:  # team codes are unique only inside their branch
        units = units.filter(branch__code=request.GET.get("branch", ""))
    unit = units.values_list("pk", flat=True).first()
    if unit is None:
        raise Http404(_("No such unit."))
    form = DashboardFilterForm(request.GET, units=[], unit_label="", current_unit="")
    period, channel = form.filters()
    export = export_services.RatingExport(kind, unit, period, channel, file_format)
    ratings = export_services.ratings_for(request.user, export)
    if ratings.count() > export_services.sync_limit():
        job = export_services.start_export_job(request.user, export)
        return redirect("reports:export-job", pk=job.pk)
    rows = export_services.rating_rows(ratings, officer_id=export_services.officer_of(export))
    columns = export_services.columns_for(export)
    if file_format == "csv":
        response = StreamingHttpResponse(exports.stream_csv(columns, rows), content_type=exports.CSV)
        response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
        return response
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    exports.write_rows_xlsx(handle, _("Ratings"), columns, rows)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=export.filename(), content_type=XLSX)


def _job(request, pk: int):
    return get_object_or_404(export_services.jobs_of(request.user), pk=pk)


@login_required
@require_GET
def export_job(request, pk: int):
    """Progress of a big export (the page polls the JSON below), then its download link."""
    return render(request, "reports/dashboard_export_job.html", {"job": _job(request, pk)})


@never_cache
@login_required
@require_GET
def export_job_status(request, pk: int):
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": job.progress,
            "done": job.status in (ExportStatus.DONE, ExportStatus.FAILED),
            "download_url": reverse("reports:export-job-download", args=[job.pk])
            if job.status == ExportStatus.DONE
            else "",
            "error": job.error,
        }
    )


@login_required
@require_GET
def export_job_download(request, pk: int):
    """The file of a finished job, to its owner only (anybody else: 404)."""
    job = _job(request, pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404(_("The file is not ready."))
    name = job.file.name.rsplit("/", 1)[-1]
    content_type = exports.CSV if name.endswith(".csv") else XLSX
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=name, content_type=content_type)
