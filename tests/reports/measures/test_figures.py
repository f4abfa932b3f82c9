"""Every measure on a small hand-computed data set, the minimum-count rule, scoping, and query counts.

The data (all cleared at one moment, so in one local month): branch A (Móng Cái) and B (Hòn Gai).

  #  branch channel  business  branch team        officer
  1  A      green    X         5      A1: 5       oa1 5
  2  A      green    X         4      A1: 4       oa1 4
  3  A      green    Y         3      A1: 3       oa1 3
  4  A      yellow   X         2      A1: blank   oa1 2
  5  A      yellow   Y         4      A2: 4       oa2 5
  6  A      red      X         1      A2: 2       oa2 1
  7  B      green    Y         5      B1: 5       ob1 5
  8  B      green    Y         5      B1: 5       ob1 5
  9  B      yellow   Y         4      B1: 4       ob1 4
 10  B      red      Y         3      B1: 3       ob1 3
 11  B      red      Y         2      B1: 2       ob1 2
 12  B      red      Y         4      B1: 4       ob1 4
 plus cleared, not rated: one green at A1 for business Z, one red at B1 for X.

Department satisfaction (levels 4-5, branch level) per channel: green 4/5, yellow 2/3, red 1/4; 7/12 overall.
"""

import datetime
import random

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.choices import Role
from directory.models import Business, Department
from directory.taxcode import make_tax_codes
from feedback.models import DeclarationOfficer
from feedback.ratings.services import submit_rating
from reports.measures import Period, dashboard_figures, monthly_series, rank_units, unit_measures
from reports.models import UnitKind
from reports.rollups import fold_rollups
from tests.conftest import make_declaration, make_user
from tests.reports.support import add_declarations, add_ratings

DEPT, BRANCH, TEAM, OFFICER = UnitKind.DEPARTMENT, UnitKind.BRANCH, UnitKind.TEAM, UnitKind.OFFICER
ROWS = [
    # branch, team, officer, channel, business, branch level, team level, officer level
    ("a", "a1", "oa1", "green", "x", 5, 5, 5),
    ("a", "a1", "oa1", "green", "x", 4, 4, 4),
    ("a", "a1", "oa1", "green", "y", 3, 3, 3),
    ("a", "a1", "oa1", "yellow", "x", 2, None, 2),
    ("a", "a2", "oa2", "yellow", "y", 4, 4, 5),
    ("a", "a2", "oa2", "red", "x", 1, 2, 1),
    ("b", "b1", "ob1", "green", "y", 5, 5, 5),
    ("b", "b1", "ob1", "green", "y", 5, 5, 5),
    ("b", "b1", "ob1", "yellow", "y", 4, 4, 4),
    ("b", "b1", "ob1", "red", "y", 3, 3, 3),
    ("b", "b1", "ob1", "red", "y", 2, 2, 2),
    ("b", "b1", "ob1", "red", "y", 4, 4, 4),
]


@pytest.fixture
def figures(cast):
    """The twelve ratings above, sent through the rating service (which opens cases for levels 1-2)."""
    # The cast's own declarations would add to the counts: move them out of the way (uncleared).
    cast.dx.__class__.objects.filter(pk__in=[cast.dx.pk, cast.dy.pk]).update(cleared_at=None)
    (tax_z,) = make_tax_codes(57, 1, start=300)
    business_z = Business.objects.create(tax_code=tax_z, name="Công ty Z")
    cleared_at = timezone.now() - datetime.timedelta(hours=1)
    units = {"a": cast.branch_a, "b": cast.branch_b, "a1": cast.team_a1, "a2": cast.team_a2, "b1": cast.team_b1}
    businesses = {"x": cast.business_x, "y": cast.business_y, "z": business_z}
    for index, (branch, team, officer, channel, business, branch_level, team_level, officer_level) in enumerate(ROWS):
        declaration = make_declaration(
            f"1055500000{index:02d}",
            businesses[business],
            units[branch],
            units[team],
            [(getattr(cast.officers, officer), "reception")],
            channel=channel,
        )
        declaration.__class__.objects.filter(pk=declaration.pk).update(
            cleared_at=cleared_at, registered_at=cleared_at - datetime.timedelta(hours=2)
        )
        declaration.refresh_from_db()
        reasons = ["delay"]
        submit_rating(
            declaration,
            cast.users.broker,
            channel="web",
            branch_level=branch_level,
            branch_reasons=reasons if branch_level <= 2 else [],
            team_level=team_level,
            team_reasons=reasons if team_level and team_level <= 2 else [],
            officers=[
                {
                    "code": getattr(cast.officers, officer).code,
                    "level": officer_level,
                    "reasons": reasons if officer_level <= 2 else [],
                }
            ],
        )
    for number, business, branch, team, officer, channel in [
        ("105550000090", business_z, cast.branch_a, cast.team_a1, cast.officers.oa1, "green"),
        ("105550000091", cast.business_x, cast.branch_b, cast.team_b1, cast.officers.ob1, "red"),
    ]:
        declaration = make_declaration(number, business, branch, team, [(officer, "reception")], channel=channel)
        declaration.__class__.objects.filter(pk=declaration.pk).update(cleared_at=cleared_at)
    fold_rollups(lag_seconds=0)
    local = timezone.localtime(cleared_at).date().replace(day=1)
    today = timezone.localdate().replace(day=1)
    return Period(local, max(local, today))  # cases open today: the period holds both months


def test_branch_measures_by_hand(cast, figures):
    a = unit_measures(cast.users.staff, BRANCH, cast.branch_a.pk, figures)
    assert a.ratings == 6
    assert a.level_counts == {1: 1, 2: 1, 3: 1, 4: 2, 5: 1}
    assert a.level_shares[4] == pytest.approx(2 / 6)
    assert a.satisfaction_rate == pytest.approx(3 / 6)
    assert a.dissatisfaction_rate == pytest.approx(2 / 6)
    assert a.mean_level == pytest.approx(19 / 6)
    assert (a.rated_declarations, a.cleared_declarations, a.coverage) == (6, 7, pytest.approx(6 / 7))
    assert (a.businesses_rated, a.businesses_cleared, a.participation) == (2, 3, pytest.approx(2 / 3))
    # expected = (3 x 4/5 + 2 x 2/3 + 1 x 1/4) / 6; adjusted = 7/12 + (observed - expected)
    expected = (3 * 0.8 + 2 * 2 / 3 + 1 * 0.25) / 6
    assert a.channel_adjusted.observed == pytest.approx(0.5)
    assert a.channel_adjusted.expected == pytest.approx(expected)
    assert a.channel_adjusted.department_rate == pytest.approx(7 / 12)
    assert a.channel_adjusted.adjusted == pytest.approx(7 / 12 + 0.5 - expected)
    assert a.channel_adjusted.adjusted == pytest.approx(0.419444, abs=1e-6)
    assert a.cases.opened == 2  # ratings 4 and 6 were dissatisfied
    assert (a.cases.answered_on_time, a.cases.overdue, a.cases.median_days_to_answer) == (0, 0, None)

    b = unit_measures(cast.users.staff, BRANCH, cast.branch_b.pk, figures)
    assert b.satisfaction_rate == pytest.approx(4 / 6)
    assert b.channel_adjusted.adjusted == pytest.approx(0.747222, abs=1e-6)
    assert (b.businesses_rated, b.businesses_cleared) == (1, 2)
    assert b.cases.opened == 1


def test_department_participation_counts_businesses_once(cast, figures):
    department = unit_measures(cast.users.staff, DEPT, cast.department.pk, figures)
    assert department.ratings == 12
    assert department.satisfaction_rate == pytest.approx(7 / 12)
    assert department.mean_level == pytest.approx(42 / 12)
    assert (department.rated_declarations, department.cleared_declarations) == (12, 14)
    # X, Y and Z had cleared declarations, X and Y rated: 2/3, not (2 + 1) / (3 + 2)
    assert (department.businesses_rated, department.businesses_cleared) == (2, 3)
    # a department is its own reference: adjusted = observed
    assert department.channel_adjusted.adjusted == pytest.approx(7 / 12)
    assert department.cases.opened == 3


def test_team_counts_team_levels_and_all_its_rated_declarations(cast, figures):
    a1 = unit_measures(cast.users.leader, TEAM, cast.team_a1.pk, figures)
    assert a1.ratings == 3  # rating 4 left the team level blank
    assert a1.satisfaction_rate == pytest.approx(2 / 3)
    assert (a1.rated_declarations, a1.cleared_declarations) == (4, 5)
    assert a1.cases is None
    # team reference: all team levels of the department, green 4/5, yellow 2/2, red 1/4
    expected = (3 * 0.8) / 3
    assert a1.channel_adjusted.expected == pytest.approx(expected)
    assert a1.channel_adjusted.department_rate == pytest.approx(7 / 11)


def test_officer_below_the_minimum_shows_no_figures(cast, figures, settings):
    settings.MIN_OFFICER_RATINGS = 10
    oa1 = unit_measures(cast.users.leader, OFFICER, cast.officers.oa1.pk, figures)
    assert oa1.ratings == 4 and not oa1.enough_ratings
    assert oa1.satisfaction_rate is None and oa1.mean_level is None and oa1.level_counts is None
    assert oa1.channel_adjusted is None and oa1.level_shares is None

    settings.MIN_OFFICER_RATINGS = 4
    oa1 = unit_measures(cast.users.leader, OFFICER, cast.officers.oa1.pk, figures)
    assert oa1.enough_ratings
    assert oa1.satisfaction_rate == pytest.approx(2 / 4)
    assert oa1.mean_level == pytest.approx(14 / 4)
    # cleared declarations handled by oa1: ratings 1-4 and Z's
    assert (oa1.rated_declarations, oa1.cleared_declarations) == (4, 5)


def test_ranking_orders_by_adjusted_rate(cast, figures, settings):
    settings.MIN_OFFICER_RATINGS = 3
    branches = rank_units(cast.users.staff, BRANCH, figures, within=(DEPT, cast.department.pk))
    assert [(f.unit_id, f.rank) for f in branches] == [(cast.branch_b.pk, 1), (cast.branch_a.pk, 2)]
    officers = rank_units(cast.users.staff, OFFICER, figures)
    assert [f.unit_id for f in officers if f.rank] == [
        f.unit_id for f in sorted(officers[:2], key=lambda f: -f.channel_adjusted.adjusted)
    ]
    assert officers[-1].unit_id == cast.officers.oa2.pk and officers[-1].rank is None  # 2 ratings < 3


def test_monthly_series_adds_up_to_the_period(cast, figures):
    series = monthly_series(
        cast.users.staff,
        BRANCH,
        cast.branch_a.pk,
        Period.months(figures.first.replace(year=figures.first.year - 1), figures.last),
    )
    assert len(series) >= 13
    assert sum(month.ratings for month in series) == 6
    assert series[0].ratings == 0 and series[0].satisfaction_rate is None
    busy = [month for month in series if month.ratings]
    assert (busy[0].businesses_rated, busy[0].businesses_cleared) == (2, 3)


def test_period_parsing():
    assert Period.parse("2025-03") == Period.month(2025, 3)
    assert Period.parse("2025-Q2") == Period(datetime.date(2025, 4, 1), datetime.date(2025, 6, 1))
    assert Period.parse("2025").month_count == 12
    assert Period.parse("2025-11..2026-02").month_count == 4
    assert Period.parse("2025-Q1").previous() == Period.parse("2024-Q4")
    with pytest.raises(ValueError):
        Period.parse("2025-13")


@pytest.mark.parametrize(
    "who, kind, unit",
    [
        ("leader", BRANCH, "branch_b"),
        ("leader", DEPT, "department"),
        ("leader", TEAM, "team_b1"),
        ("leader", OFFICER, "ob1"),
        ("team_leader", TEAM, "team_a2"),
        ("team_leader", BRANCH, "branch_a"),
        ("officer", OFFICER, "oa2"),
        ("officer", TEAM, "team_a1"),
        ("officer", BRANCH, "branch_a"),
        ("business", BRANCH, "branch_a"),
        ("business", DEPT, "department"),
        ("integration", BRANCH, "branch_a"),
        ("other_staff", DEPT, "department"),
        ("other_staff", BRANCH, "branch_a"),
    ],
)
def test_out_of_scope_units_do_not_exist(cast, who, kind, unit):
    cast.users.other_staff = make_user(
        "other_staff", Role.DEPARTMENT_STAFF, department=Department.objects.create(code="LS", name="Lạng Sơn")
    )
    unit_id = getattr(cast, unit, None) or getattr(cast.officers, unit, None)
    with pytest.raises(Http404):
        unit_measures(getattr(cast.users, who), kind, unit_id.pk, Period.year(2025))


def test_each_role_sees_its_own_units(cast):
    period = Period.year(2025)
    assert unit_measures(cast.users.leader, BRANCH, cast.branch_a.pk, period).ratings == 0
    assert unit_measures(cast.users.team_leader, OFFICER, cast.officers.oa1.pk, period).ratings == 0
    assert unit_measures(cast.users.officer, OFFICER, cast.officers.oa1.pk, period).ratings == 0
    assert [f.unit_id for f in rank_units(cast.users.leader, BRANCH, period)] == [cast.branch_a.pk]
    assert {f.unit_id for f in rank_units(cast.users.leader, TEAM, period)} == {cast.team_a1.pk, cast.team_a2.pk}
    assert [f.unit_id for f in rank_units(cast.users.officer, OFFICER, period)] == [cast.officers.oa1.pk]
    assert rank_units(cast.users.business, BRANCH, period) == []
    assert rank_units(cast.users.officer, BRANCH, period) == []


def _dashboard_queries(user, department, period) -> int:
    with CaptureQueriesContext(connection) as queries:
        dashboard_figures(user, DEPT, department.pk, period)
        rank_units(user, OFFICER, period)
    return len(queries)


def test_query_count_does_not_grow_with_ratings(cast):
    rng = random.Random(9)
    businesses = [cast.business_x, cast.business_y]
    period = Period.parse("2025-01..2025-06")
    add_ratings(cast, add_declarations(cast, 120, rng, businesses=businesses), rng, share=0.85)
    fold_rollups(lag_seconds=0)
    at_100 = _dashboard_queries(cast.users.staff, cast.department, period)
    figures_100 = unit_measures(cast.users.staff, DEPT, cast.department.pk, period)
    assert 90 <= figures_100.ratings <= 110

    add_ratings(cast, add_declarations(cast, 12_000, rng, businesses=businesses), rng, share=0.85)
    fold_rollups(lag_seconds=0)
    at_10_000 = _dashboard_queries(cast.users.staff, cast.department, period)
    assert unit_measures(cast.users.staff, DEPT, cast.department.pk, period).ratings >= 10_000
    assert at_10_000 == at_100
    assert at_100 <= 40


def test_officers_rated_twice_on_one_declaration_are_counted_once(cast):
    rng = random.Random(4)
    declarations = add_declarations(cast, 200, rng, businesses=[cast.business_x])
    fold_rollups(lag_seconds=0)
    officer = cast.officers.oa2
    handled = (
        DeclarationOfficer.objects.filter(
            officer=officer, declaration__in=declarations, declaration__cleared_at__isnull=False
        )
        .values("declaration")
        .distinct()
        .count()
    )
    figures = unit_measures(cast.users.staff, OFFICER, officer.pk, Period.parse("2024-12..2025-07"))
    assert figures.cleared_declarations == handled > 0
    assert declarations


@pytest.mark.parametrize("channel", [None, "red"])
def test_dashboard_reads_the_same_figures_as_each_period_alone(cast, figures, channel):
    """dashboard_figures sums each period from one monthly pass: every figure equals unit_measures',
    cases and their median included, for the period and for the one before (which holds the data in
    the second case)."""
    staff = cast.users.staff
    department = Department.objects.get(code="QN")
    # A period just after the data, as long as the data's: its previous period is the data's.
    after = Period(_next_month(figures.last), _next_month(figures.last))
    units = [
        (DEPT, department.pk),
        (BRANCH, cast.branch_a.pk),
        (TEAM, cast.team_a1.pk),
        (OFFICER, cast.officers.oa1.pk),
    ]
    for period in (figures, after):
        for kind, unit in units:
            dashboard = dashboard_figures(staff, kind, unit, period, channel=channel)
            assert dashboard.current == unit_measures(staff, kind, unit, period, channel=channel)
            assert dashboard.previous == unit_measures(staff, kind, unit, period.previous(), channel=channel)
            assert dashboard.trend == monthly_series(staff, kind, unit, period, channel=channel)
    in_data = dashboard_figures(staff, BRANCH, cast.branch_a.pk, figures).current
    assert in_data.ratings == 6 and in_data.cases.opened > 0  # the comparison above is not of zeros


def _next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
