"""Rating figures of a unit over a period, read from the rollup tables and scoped to the user.

Every entry point takes the user and answers only about units the user may see (Http404 otherwise,
like a unit that does not exist). Each call is a fixed handful of aggregate queries over the rollups,
so its cost grows with units x months, never with ratings. Definitions: docs/measures.md.

- `unit_measures(user, kind, unit_id, period)`: the headline figures of one unit;
- `monthly_series(...)`: the same figures month by month (trends);
- `rank_units(user, kind, period)`: the units of one level side by side, best adjusted rate first;
- `dashboard_figures(...)`: what a dashboard page shows, in one call.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from directory.models import Branch, Department, Officer, Team
from directory.scoping import figures_filter
from feedback.choices import Channel
from feedback.models import DissatisfactionCase, HandlingRating

from ..case_rollups import NO_DAYS
from ..models import BusinessPresence, CaseOutcome, CaseRollup, PresenceCount, RatingRollup, UnitKind
from .periods import Period

LEVELS = (1, 2, 3, 4, 5)
SATISFIED = (4, 5)
DISSATISFIED = (1, 2)
UNIT_MODELS: dict[UnitKind, type[Department] | type[Branch] | type[Team] | type[Officer]] = {
    UnitKind.DEPARTMENT: Department,
    UnitKind.BRANCH: Branch,
    UnitKind.TEAM: Team,
    UnitKind.OFFICER: Officer,
}
CHILD_KIND = {UnitKind.DEPARTMENT: UnitKind.BRANCH, UnitKind.BRANCH: UnitKind.TEAM, UnitKind.TEAM: UnitKind.OFFICER}


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelAdjusted:
    """Satisfaction compared with what the unit's own green/yellow/red mix predicts at department rates.

    expected = sum over channels of (unit's ratings in channel x department rate in channel) / unit's
    ratings; adjusted = department_rate + (observed - expected).
    """

    observed: float
    expected: float
    department_rate: float
    adjusted: float


@dataclass(frozen=True)
class CaseMeasures:
    """Dissatisfaction cases of a branch or department, by month of opening (the case rollup,
    reports.case_rollups), and the businesses' ratings of how their complaints were handled, by month of that
    rating.

    `repeat_dissatisfaction_rate`: handling rated 1 or 2 over handling rated; None (not shown) below
    settings.MIN_HANDLING_RATINGS ratings, where one business's rating would be the figure."""

    opened: int
    answered_on_time: int
    overdue: int
    median_days_to_answer: float | None
    handling_rated: int = 0
    handling_dissatisfied: int = 0

    @property
    def repeat_dissatisfaction_rate(self) -> float | None:
        if self.handling_rated < max(settings.MIN_HANDLING_RATINGS, 1):
            return None
        return self.handling_dissatisfied / self.handling_rated


@dataclass(frozen=True)
class Figures:
    """A unit's figures over a period (or one month of a series).

    Rating counts are those of the level rated for the unit itself (branch, team or officer level).
    When `enough_ratings` is False (an officer below settings.MIN_OFFICER_RATINGS) every figure drawn
    from levels is None: the page says "not enough ratings" instead of a number.
    """

    unit_kind: int
    unit_id: int
    unit_name: str
    period: Period
    ratings: int
    enough_ratings: bool
    level_counts: dict[int, int] | None
    level_shares: dict[int, float] | None
    satisfaction_rate: float | None
    dissatisfaction_rate: float | None
    mean_level: float | None
    channel_adjusted: ChannelAdjusted | None
    ratings_by_channel: dict[str, int] | None
    rated_declarations: int
    cleared_declarations: int
    coverage: float | None
    businesses_rated: int | None
    businesses_cleared: int | None
    participation: float | None
    cases: CaseMeasures | None = None
    rank: int | None = field(default=None)

    @property
    def month(self) -> datetime.date:
        return self.period.first


def not_enough_ratings_label() -> str:
    """What a page shows instead of an officer's figures below settings.MIN_OFFICER_RATINGS."""
    return _("Not enough ratings")


# --- scoping -----------------------------------------------------------------------------------


def _scope(user, kind: UnitKind) -> Q:
    """Which units of `kind` `user` may see figures of: directory.scoping.figures_filter, the one rule."""
    return figures_filter(user, UnitKind(kind).name.lower())


def visible_units(user, kind):
    """The units of `kind` whose figures `user` may see, as a queryset of Department/Branch/Team/Officer."""
    kind = UnitKind(kind)
    return UNIT_MODELS[kind].objects.filter(_scope(user, kind))


def _department_path(kind: UnitKind) -> str:
    return {
        UnitKind.DEPARTMENT: "pk",
        UnitKind.BRANCH: "department_id",
        UnitKind.TEAM: "branch__department_id",
        UnitKind.OFFICER: "branch__department_id",
    }[kind]


def _name_field(kind: UnitKind) -> str:
    return "full_name" if kind == UnitKind.OFFICER else "name"


def _get_unit(user, kind: UnitKind, unit_id: int) -> tuple[str, int]:
    """(name, department id) of a visible unit; Http404 when it does not exist or is out of scope."""
    row = visible_units(user, kind).filter(pk=unit_id).values_list(_name_field(kind), _department_path(kind)).first()
    if row is None:
        raise Http404(_("No such unit."))
    return row


# --- queries -----------------------------------------------------------------------------------

SUMS = {
    "rated": Sum("rated"),
    "cleared": Sum("cleared"),
    **{f"level_{level}": Sum(f"level_{level}") for level in LEVELS},
}


def _rollups(kind: UnitKind, period: Period, channel: str | None):
    rows = RatingRollup.objects.filter(unit_kind=kind, month__gte=period.first, month__lte=period.last)
    return rows.filter(channel=channel) if channel else rows


def _reference(kind: UnitKind, department_ids, period: Period, channel: str | None, *, by_month: bool):
    """Satisfied and rated counts per (department, channel[, month]) over all units of `kind` in each
    department: the department rates the channel adjustment compares with. One query per department
    (a dashboard has one).

    Rollup rows carry only unit ids: the units of a department are a semi-join (`unit_id IN (...)`,
    hashed once), not a per-row lookup of each unit's department, which cost 0.1-0.3 s a call over
    the officer rows of a year.

    Department-wide aggregates, so a branch leader's adjusted rate may use them: they name no other unit.
    """
    extra = ["month"] if by_month else []
    reference: dict[tuple, tuple[int, int]] = {}
    for department in department_ids:
        rows = _rollups(kind, period, channel)
        if kind == UnitKind.DEPARTMENT:  # a department's rows are its own reference
            rows = rows.filter(unit_id=department)
        else:
            units = UNIT_MODELS[kind].objects.filter(**{_department_path(kind): department}).order_by()
            rows = rows.filter(unit_id__in=units.values("pk"))
        for row in (
            rows.values("channel", *extra)
            .annotate(
                satisfied=Sum("level_4") + Sum("level_5"),
                rated=Sum("level_1") + Sum("level_2") + Sum("level_3") + Sum("level_4") + Sum("level_5"),
            )
            .order_by()
        ):
            reference[(department, row["channel"], *(row[key] for key in extra))] = (row["satisfied"], row["rated"])
    return reference


def _satisfied_and_rated(row: dict) -> tuple[int, int]:
    levels = [row[f"level_{level}"] or 0 for level in LEVELS]
    return levels[3] + levels[4], sum(levels)


def _adjust(by_channel: dict[str, list[int]], reference: dict[str, tuple[int, int]]) -> ChannelAdjusted | None:
    """Observed, expected (the unit's channel mix at department rates) and adjusted satisfaction."""
    ratings = sum(sum(levels) for levels in by_channel.values())
    department_rated = sum(rated for _satisfied, rated in reference.values())
    if not ratings or not department_rated:
        return None
    observed = sum(levels[3] + levels[4] for levels in by_channel.values()) / ratings
    expected_satisfied = 0.0
    for channel, levels in by_channel.items():
        satisfied, rated = reference.get(channel, (0, 0))
        # A channel the department has no rating in cannot happen for its own units; count it as neutral.
        rate = satisfied / rated if rated else observed
        expected_satisfied += sum(levels) * rate
    expected = expected_satisfied / ratings
    department_rate = sum(satisfied for satisfied, _rated in reference.values()) / department_rated
    return ChannelAdjusted(observed, expected, department_rate, department_rate + observed - expected)


def _period_masks(period: Period) -> dict[int, int]:
    """The period's months as a bit mask per year (bit m - 1 for month m), as BusinessPresence keeps them."""
    masks: dict[int, int] = defaultdict(int)
    for month in period.month_starts():
        masks[month.year] |= 1 << (month.month - 1)
    return dict(masks)


def _presence(kind: UnitKind, unit_ids, period: Period, *, by: str | None):
    """Distinct businesses that rated / had a cleared declaration, over the period, per `by` ("unit_id",
    "month") or in total: {key: {"rated": n, "cleared": n}}, or one such dict when `by` is None.

    Read from PresenceCount (reports.presence_counts) where it can answer: a run of months within one year
    (every period the dashboards offer), per unit or for one unit, and the months of one unit one by one. A
    unit-year without rows had no business. The rest (a period across two years, several units together)
    is counted from BusinessPresence, where a business could appear twice under one key.
    """
    unit_ids = list(unit_ids)
    zero = {"rated": 0, "cleared": 0}
    counts = PresenceCount.objects.filter(unit_kind=kind, unit_id__in=unit_ids)
    columns = ("unit_id", "year", "first_month", "businesses_rated", "businesses_cleared")
    if by == "month":
        if len(unit_ids) != 1:
            raise ValueError("months are counted for one unit at a time")
        rows = counts.filter(year__gte=period.first.year, year__lte=period.last.year, first_month=F("last_month"))
        found = {datetime.date(y, m, 1): {"rated": r, "cleared": c} for _u, y, m, r, c in rows.values_list(*columns)}
        return {month: found.get(month, zero) for month in period.month_starts()}
    if period.first.year == period.last.year and (by == "unit_id" or len(unit_ids) == 1):
        rows = counts.filter(year=period.first.year, first_month=period.first.month, last_month=period.last.month)
        found = {unit: {"rated": r, "cleared": c} for unit, _y, _m, r, c in rows.values_list(*columns)}
        return {unit: found.get(unit, zero) for unit in unit_ids} if by else found.get(unit_ids[0], zero)
    return _presence_across(kind, unit_ids, period, by=by)


def _presence_across(kind: UnitKind, unit_ids: list[int], period: Period, *, by: str | None):
    """`_presence` over BusinessPresence, for a period across years or units added together: rows are
    grouped per business first (it may have a row in each year or unit), then per key."""
    placeholders = ", ".join(["%s"] * len(unit_ids))
    masks = _period_masks(period)
    meets = {
        column: " OR ".join(f"(year = {int(year)} AND ({column} & {int(mask)}) <> 0)" for year, mask in masks.items())
        for column in ("rated_months", "cleared_months")
    }
    key = f"{by}, " if by else ""
    sql = (
        f"SELECT {key}SUM(rated), SUM(cleared) FROM (SELECT {key}business_id, "
        f"MAX(CASE WHEN {meets['rated_months']} THEN 1 ELSE 0 END) AS rated, "
        f"MAX(CASE WHEN {meets['cleared_months']} THEN 1 ELSE 0 END) AS cleared "
        f"FROM {BusinessPresence._meta.db_table} WHERE unit_kind = %s AND unit_id IN ({placeholders}) "
        f"AND year >= %s AND year <= %s GROUP BY {key}business_id) per_business" + (f" GROUP BY {by}" if by else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(kind), *unit_ids, min(masks), max(masks)])
        rows = cursor.fetchall()
    if by is None:
        rated, cleared = rows[0]
        return {"rated": rated or 0, "cleared": cleared or 0}
    return {row[0]: {"rated": row[1] or 0, "cleared": row[2] or 0} for row in rows}


def _branch_ids_for_cases(kind: UnitKind, unit_id: int, department_id: int) -> list[int] | None:
    if kind == UnitKind.BRANCH:
        return [unit_id]
    if kind == UnitKind.DEPARTMENT:
        return list(Branch.objects.filter(department_id=department_id).values_list("pk", flat=True))
    return None  # cases belong to branches; teams and officers have none of their own


def _case_rows(user, branch_ids: list[int], period: Period, *, by: str | None) -> dict:
    """Per `by` ("branch", "month" or None): [opened, answered on time, answered late, {days: cases}] from
    the case rollup (reports.case_rollups), over the branches of `branch_ids` the user may see figures of.
    A fixed-size read: branches x months x outcomes x day counts, whatever the number of cases."""
    visible = Branch.objects.filter(figures_filter(user, "branch")).values("pk")
    group = {"branch": ["branch_id"], "month": ["month"], None: []}[by]
    # Summed per key and day count in the database: a department's two years are ~8,500 rollup rows
    # (branch x month x outcome x conclusion x days), which cost ~40 ms to bring into Python one by one.
    rows = (
        CaseRollup.objects.filter(branch_id__in=branch_ids, month__gte=period.first, month__lte=period.last)
        .filter(branch_id__in=visible)
        .values_list(*group, "answer_working_days")
        .annotate(
            opened=Sum("cases"),
            on_time=Sum("cases", filter=Q(outcome=CaseOutcome.ON_TIME)),
            late=Sum("cases", filter=Q(outcome=CaseOutcome.LATE)),
        )
        .order_by()
    )
    totals: dict = {}
    for *key_value, days, cases, on_time, late in rows:
        key = _as_date(key_value[0]) if by == "month" else (key_value[0] if by else None)
        total = totals.setdefault(key, [0, 0, 0, defaultdict(int)])
        total[0] += cases
        total[1] += on_time or 0
        total[2] += late or 0
        if days != NO_DAYS:
            total[3][days] += cases
    return totals


def _overdue_unanswered(user, branch_ids: list[int], period: Period, *, by: str | None) -> dict:
    """Cases not answered and past their due date now, per `by`: the one case figure that moves with the
    clock, read live from the open cases (a case without an answer is open; the open cases' partial index)."""
    start, end = period.local_bounds()
    cases = (
        DissatisfactionCase.objects.for_user(user)
        .still_open()
        .filter(
            branch_id__in=branch_ids,
            first_answered_at__isnull=True,
            due_at__lt=clock.now(),
            opened_at__gte=start,
            opened_at__lt=end,
        )
    )
    if by is None:
        return {None: cases.count()}
    if by == "month":
        cases = cases.annotate(month=TruncMonth("opened_at", tzinfo=timezone.get_default_timezone()))
    group = {"branch": "branch_id", "month": "month"}[by]
    return {_as_date(key): count for key, count in cases.values_list(group).annotate(n=Count("id")).order_by()}


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: count}, interpolated like PostgreSQL's percentile_cont(0.5)."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = ((total - 1) // 2, total // 2)  # 0-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(value)
    return (found[0] + found[1]) / 2


def _cases(user, branch_ids: list[int], period: Period, *, by: str | None) -> dict:
    """Case counts and the median days to answer per `by` ("branch", "month" or None), from the case rollup
    plus the live count of overdue unanswered cases, and the handling ratings of the period (three queries)."""
    overdue_now = _overdue_unanswered(user, branch_ids, period, by=by)
    rows = _case_rows(user, branch_ids, period, by=by)
    handling = _handling(user, branch_ids, period, by=by)
    measures = {}
    for key in rows.keys() | handling.keys():
        opened, on_time, late, days = rows.get(key, (0, 0, 0, {}))
        rated, dissatisfied = handling.get(key, (0, 0))
        overdue = late + overdue_now.get(key, 0)
        measures[key] = CaseMeasures(opened, on_time, overdue, _median(days), rated, dissatisfied)
    return measures


def _handling(user, branch_ids: list[int], period: Period, *, by: str | None) -> dict:
    """(rated, rated 1 or 2) of the businesses' ratings of the handling in `period`, per `by`: one GROUP BY
    over feedback's HandlingRating (its (branch, rated_at) index), scoped like the cases."""
    start, end = period.local_bounds()
    ratings = HandlingRating.objects.filter(
        branch_id__in=branch_ids,
        rated_at__gte=start,
        rated_at__lt=end,
        case__in=DissatisfactionCase.objects.for_user(user),
    )
    counts = {"rated": Count("id"), "dissatisfied": Count("id", filter=Q(level__in=DISSATISFIED))}
    if by is None:
        row = ratings.aggregate(**counts)
        return {None: (row["rated"], row["dissatisfied"])} if row["rated"] else {}
    if by == "month":
        ratings = ratings.annotate(month=TruncMonth("rated_at", tzinfo=timezone.get_default_timezone()))
    group = {"branch": "branch_id", "month": "month"}[by]
    return {
        _as_date(row[group]) if by == "month" else row[group]: (row["rated"], row["dissatisfied"])
        for row in ratings.values(group).annotate(**counts).order_by()
    }


def _case_medians(user, branch_ids: list[int], period: Period, *, by: str | None) -> dict:
    """The median days to answer per `by`: a median does not add up across months, the histograms do."""
    return {key: _median(days) for key, (*_counts, days) in _case_rows(user, branch_ids, period, by=by).items()}


def _as_date(value):
    if isinstance(value, str):  # SQLite hands raw DATE columns back as text
        return datetime.date.fromisoformat(value[:10])
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# --- assembling figures ------------------------------------------------------------------------


def _figures(
    kind: UnitKind,
    unit_id: int,
    name: str,
    period: Period,
    by_channel: dict[str, dict],
    reference: dict[str, tuple[int, int]],
    presence: dict | None,
    cases: CaseMeasures | None,
) -> Figures:
    levels_by_channel = {
        channel: [row[f"level_{level}"] or 0 for level in LEVELS] for channel, row in by_channel.items()
    }
    counts = [sum(levels[index] for levels in levels_by_channel.values()) for index in range(len(LEVELS))]
    ratings = sum(counts)
    rated = sum(row["rated"] or 0 for row in by_channel.values())
    cleared = sum(row["cleared"] or 0 for row in by_channel.values())
    enough = kind != UnitKind.OFFICER or ratings >= settings.MIN_OFFICER_RATINGS
    shown = enough and ratings > 0
    level_counts = dict(zip(LEVELS, counts, strict=True))
    businesses_rated = presence["rated"] if presence else None
    businesses_cleared = presence["cleared"] if presence else None
    return Figures(
        unit_kind=int(kind),
        unit_id=unit_id,
        unit_name=name,
        period=period,
        ratings=ratings,
        enough_ratings=enough,
        level_counts=level_counts if enough else None,
        level_shares={level: count / ratings for level, count in level_counts.items()} if shown else None,
        satisfaction_rate=sum(level_counts[level] for level in SATISFIED) / ratings if shown else None,
        dissatisfaction_rate=sum(level_counts[level] for level in DISSATISFIED) / ratings if shown else None,
        mean_level=sum(level * count for level, count in level_counts.items()) / ratings if shown else None,
        channel_adjusted=_adjust(levels_by_channel, reference) if shown else None,
        ratings_by_channel={channel: sum(levels) for channel, levels in levels_by_channel.items()} if enough else None,
        rated_declarations=rated,
        cleared_declarations=cleared,
        coverage=rated / cleared if cleared else None,
        businesses_rated=businesses_rated,
        businesses_cleared=businesses_cleared,
        participation=businesses_rated / businesses_cleared if businesses_cleared else None,
        cases=cases,
    )


def _check_channel(channel: str | None) -> None:
    if channel is not None and channel not in Channel.values:
        raise ValueError(_("Unknown channel %(channel)s.") % {"channel": channel})


def unit_measures(user, kind, unit_id: int, period: Period, *, channel: str | None = None) -> Figures:
    """The figures of one unit over `period`, optionally on one inspection channel.

    With a channel, participation is None: business presence is kept per month, not per channel.
    Five to eight queries whatever the number of ratings.
    """
    kind = UnitKind(kind)
    _check_channel(channel)
    name, department_id = _get_unit(user, kind, unit_id)
    by_channel = {
        row["channel"]: row
        for row in _rollups(kind, period, channel).filter(unit_id=unit_id).values("channel").annotate(**SUMS).order_by()
    }
    if kind == UnitKind.DEPARTMENT:  # its own reference: no second query
        reference = {channel_key: _satisfied_and_rated(row) for channel_key, row in by_channel.items()}
    else:
        reference = {
            key[1]: value for key, value in _reference(kind, [department_id], period, channel, by_month=False).items()
        }
    presence = None if channel or kind == UnitKind.OFFICER else _presence(kind, [unit_id], period, by=None)
    branch_ids = _branch_ids_for_cases(kind, unit_id, department_id)
    cases = None
    if branch_ids is not None:
        cases = _cases(user, branch_ids, period, by=None).get(None, CaseMeasures(0, 0, 0, None))
    return _figures(kind, unit_id, name, period, by_channel, reference, presence, cases)


def _months_of(user, kind: UnitKind, unit_id: int, period: Period, channel: str | None):
    """The unit's rollup rows, reference rates and case counts of each month of `period`: what a
    monthly series is made of, and what sums up to any run of its months. A fixed number of queries."""
    name, department_id = _get_unit(user, kind, unit_id)
    by_month: dict = defaultdict(dict)
    for row in (
        _rollups(kind, period, channel).filter(unit_id=unit_id).values("month", "channel").annotate(**SUMS).order_by()
    ):
        by_month[row["month"]][row["channel"]] = row
    reference: dict = defaultdict(dict)
    if kind == UnitKind.DEPARTMENT:
        for month, rows in by_month.items():
            reference[month] = {channel_key: _satisfied_and_rated(row) for channel_key, row in rows.items()}
    else:
        for (_department, channel_key, month), value in _reference(
            kind, [department_id], period, channel, by_month=True
        ).items():
            reference[month][channel_key] = value
    branch_ids = _branch_ids_for_cases(kind, unit_id, department_id)
    cases = _cases(user, branch_ids, period, by="month") if branch_ids is not None else None
    return name, by_month, reference, branch_ids, cases


def _series(kind, unit_id, name, period: Period, by_month, reference, presence, cases) -> list[Figures]:
    return [
        _figures(
            kind,
            unit_id,
            name,
            Period(month, month),
            by_month.get(month, {}),
            reference.get(month, {}),
            None if presence is None else presence.get(month, {"rated": 0, "cleared": 0}),
            None if cases is None else cases.get(month, CaseMeasures(0, 0, 0, None)),
        )
        for month in period.month_starts()
    ]


def _summed(user, kind, unit_id, period: Period, months, channel) -> Figures:
    """The figures of `period` from its months' data (`_months_of`): counts add up across months; the
    distinct businesses and the median days to answer do not, so those two are read for the period."""
    name, by_month, reference, branch_ids, cases = months
    by_channel: dict = defaultdict(lambda: defaultdict(int))
    reference_totals: dict = defaultdict(lambda: (0, 0))
    for month in period.month_starts():
        for channel_key, row in by_month.get(month, {}).items():
            for column in SUMS:
                by_channel[channel_key][column] += row[column] or 0
        for channel_key, (satisfied, rated) in reference.get(month, {}).items():
            before = reference_totals[channel_key]
            reference_totals[channel_key] = (before[0] + (satisfied or 0), before[1] + (rated or 0))
    presence = None if channel or kind == UnitKind.OFFICER else _presence(kind, [unit_id], period, by=None)
    case_measures = None
    if cases is not None:
        in_period = [cases[month] for month in period.month_starts() if month in cases]
        case_measures = CaseMeasures(
            sum(item.opened for item in in_period),
            sum(item.answered_on_time for item in in_period),
            sum(item.overdue for item in in_period),
            _case_medians(user, branch_ids, period, by=None).get(None),
            sum(item.handling_rated for item in in_period),
            sum(item.handling_dissatisfied for item in in_period),
        )
    return _figures(kind, unit_id, name, period, by_channel, dict(reference_totals), presence, case_measures)


def monthly_series(user, kind, unit_id: int, period: Period, *, channel: str | None = None) -> list[Figures]:
    """The unit's figures month by month over `period` (every month, zero when nothing happened)."""
    kind = UnitKind(kind)
    _check_channel(channel)
    name, by_month, reference, _branch_ids, cases = _months_of(user, kind, unit_id, period, channel)
    presence = None if channel or kind == UnitKind.OFFICER else _presence(kind, [unit_id], period, by="month")
    return _series(kind, unit_id, name, period, by_month, reference, presence, cases)


def _ranking_key(item: Figures) -> tuple[float, int, str]:
    """Highest channel-adjusted rate first, then more ratings, then by name."""
    assert item.channel_adjusted is not None  # only ranked units are sorted with this key
    return (-item.channel_adjusted.adjusted, -item.ratings, item.unit_name)


def rank_units(
    user,
    kind,
    period: Period,
    *,
    within: tuple[int, int] | None = None,
    channel: str | None = None,
    participation: bool = True,
) -> list[Figures]:
    """The visible units of `kind` side by side over `period`, ranked by channel-adjusted satisfaction.

    `within` = (UnitKind, id) keeps the units of one department, branch or team. Units without
    enough ratings come last, unranked (`rank` None), by name. A fixed number of queries.
    `participation=False` leaves participation None: counting distinct businesses per unit is the
    costliest query of a wide ranking (a department's teams: a third of its dashboard's time).
    """
    kind = UnitKind(kind)
    _check_channel(channel)
    units = visible_units(user, kind)
    if within is not None:
        parent_kind, parent_id = UnitKind(within[0]), within[1]
        parent_field = {
            (UnitKind.BRANCH, UnitKind.DEPARTMENT): "department_id",
            (UnitKind.TEAM, UnitKind.DEPARTMENT): "branch__department_id",
            (UnitKind.TEAM, UnitKind.BRANCH): "branch_id",
            (UnitKind.OFFICER, UnitKind.DEPARTMENT): "branch__department_id",
            (UnitKind.OFFICER, UnitKind.BRANCH): "branch_id",
        }.get((kind, parent_kind))
        if kind == UnitKind.OFFICER and parent_kind == UnitKind.TEAM:
            units = units.filter(memberships__team_id=parent_id).distinct()
        elif parent_field is None:
            raise ValueError(_("Units of this level are not inside units of that level."))
        else:
            units = units.filter(**{parent_field: parent_id})
    unit_rows = list(units.values_list("pk", _name_field(kind), _department_path(kind)).order_by())
    if not unit_rows:
        return []
    unit_ids = [pk for pk, _name, _department in unit_rows]
    by_unit: dict = defaultdict(dict)
    for row in (
        _rollups(kind, period, channel)
        .filter(unit_id__in=unit_ids)
        .values("unit_id", "channel")
        .annotate(**SUMS)
        .order_by()
    ):
        by_unit[row["unit_id"]][row["channel"]] = row
    department_ids = sorted({department for _pk, _name, department in unit_rows})
    reference: dict = defaultdict(dict)
    for (department, channel_key), value in _reference(kind, department_ids, period, channel, by_month=False).items():
        reference[department][channel_key] = value
    counted = participation and not channel and kind != UnitKind.OFFICER
    presence = _presence(kind, unit_ids, period, by="unit_id") if counted else None
    cases = None
    if kind == UnitKind.BRANCH:
        cases = _cases(user, unit_ids, period, by="branch")
    elif kind == UnitKind.DEPARTMENT:
        cases = {}
        for department in unit_ids:  # departments are few (one per deployment, as a rule)
            branch_ids = list(Branch.objects.filter(department_id=department).values_list("pk", flat=True))
            cases[department] = _cases(user, branch_ids, period, by=None).get(None)
    figures = [
        _figures(
            kind,
            pk,
            name,
            period,
            by_unit.get(pk, {}),
            reference.get(department, {}),
            None if presence is None else presence.get(pk, {"rated": 0, "cleared": 0}),
            None if cases is None else (cases.get(pk) or CaseMeasures(0, 0, 0, None)),
        )
        for pk, name, department in unit_rows
    ]
    ranked = sorted(
        (item for item in figures if item.channel_adjusted is not None),
        key=_ranking_key,
    )
    unranked = sorted((item for item in figures if item.channel_adjusted is None), key=lambda item: item.unit_name)
    return [replace(item, rank=position) for position, item in enumerate(ranked, start=1)] + unranked


@dataclass(frozen=True)
class Dashboard:
    """What a unit's dashboard shows: this period, the previous one, the monthly trend, the units below."""

    current: Figures
    previous: Figures
    trend: list[Figures]
    children: list[Figures]


def dashboard_figures(user, kind, unit_id: int, period: Period, *, channel: str | None = None) -> Dashboard:
    """The figures of a department, branch, team or officer dashboard (an officer has no units below).

    The previous period and this one are read month by month in one pass, and each period's figures
    are summed from its months: the same figures as `unit_measures` of each period, in about half the
    queries (a test holds them equal).
    """
    kind = UnitKind(kind)
    _check_channel(channel)
    child_kind = CHILD_KIND.get(kind)
    previous = period.previous()
    both = Period(previous.first, period.last)
    months = _months_of(user, kind, unit_id, both, channel)
    name, by_month, reference, _branch_ids, cases = months
    presence = None if channel or kind == UnitKind.OFFICER else _presence(kind, [unit_id], period, by="month")
    return Dashboard(
        current=_summed(user, kind, unit_id, period, months, channel),
        previous=_summed(user, kind, unit_id, previous, months, channel),
        trend=_series(kind, unit_id, name, period, by_month, reference, presence, cases),
        children=(rank_units(user, child_kind, period, within=(kind, unit_id), channel=channel) if child_kind else []),
    )


__all__ = [
    "CaseMeasures",
    "ChannelAdjusted",
    "Dashboard",
    "Figures",
    "Period",
    "dashboard_figures",
    "monthly_series",
    "not_enough_ratings_label",
    "rank_units",
    "unit_measures",
    "visible_units",
]
