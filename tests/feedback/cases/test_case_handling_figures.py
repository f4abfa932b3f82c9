"""The rate of repeat dissatisfaction on the dashboards: handling rated 1-2 over handling rated, per branch
and department, counted in the database, not shown below settings.MIN_HANDLING_RATINGS."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.cases import services
from reports.measures import Period, rank_units, unit_measures
from reports.measures.figures import _handling
from reports.models import UnitKind
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to


def rated_cases(cast, levels, *, branch="a", first_number=105560000000):
    """One answered case per level at branch A (business X) or B (business Y), its handling rated that level."""
    business, branch_row, team, officer, user = (
        (cast.business_x, cast.branch_a, cast.team_a1, cast.officers.oa1, cast.users.business)
        if branch == "a"
        else (cast.business_y, cast.branch_b, cast.team_b1, cast.officers.ob1, cast.users.rival)
    )
    for offset, level in enumerate(levels):
        declaration = make_declaration(str(first_number + offset), business, branch_row, team, [(officer, "reception")])
        case = complain(cast, declaration, user, officer_level=5, branch_level=1)
        if branch == "a":
            case = walk_to(case, "answered", cast)
        else:
            leader = cast.users.other_leader
            services.record_findings(case, "Đã xác minh.", leader)
            services.conclude(case, "not_substantiated", "", "", leader)
            case = services.answer(case, "Trả lời.", leader)
        services.rate_handling(case, level, "", user)


@pytest.fixture
def this_month():
    today = timezone.localdate().replace(day=1)
    return Period(today, today)


def test_repeat_dissatisfaction_rate_of_a_branch_and_the_department(case_cast, this_month, settings):
    settings.MIN_HANDLING_RATINGS = 5
    rated_cases(case_cast, [1, 2, 4, 5, 5, 3])
    rated_cases(case_cast, [2, 2, 5, 4, 4], branch="b", first_number=105570000000)
    staff = case_cast.users.staff

    a = unit_measures(staff, UnitKind.BRANCH, case_cast.branch_a.pk, this_month).cases
    assert (a.handling_rated, a.handling_dissatisfied) == (6, 2)
    assert a.repeat_dissatisfaction_rate == pytest.approx(2 / 6)
    department = unit_measures(staff, UnitKind.DEPARTMENT, case_cast.department.pk, this_month).cases
    assert (department.handling_rated, department.handling_dissatisfied) == (11, 4)
    ranked = {item.unit_id: item.cases for item in rank_units(staff, UnitKind.BRANCH, this_month)}
    assert ranked[case_cast.branch_b.pk].repeat_dissatisfaction_rate == pytest.approx(2 / 5)


def test_below_the_minimum_the_rate_is_not_shown(case_cast, this_month, settings):
    settings.MIN_HANDLING_RATINGS = 5
    rated_cases(case_cast, [1, 4, 5, 5])
    a = unit_measures(case_cast.users.leader, UnitKind.BRANCH, case_cast.branch_a.pk, this_month).cases
    assert a.handling_rated == 4 and a.repeat_dissatisfaction_rate is None


def test_a_leader_counts_only_the_ratings_of_cases_in_scope(case_cast, this_month):
    rated_cases(case_cast, [1, 4])
    rated_cases(case_cast, [2], branch="b", first_number=105570000000)
    counts = _handling(case_cast.users.leader, [case_cast.branch_a.pk, case_cast.branch_b.pk], this_month, by="branch")
    assert counts == {case_cast.branch_a.pk: (2, 1)}


def test_the_counts_are_one_group_by_query(case_cast, this_month):
    rated_cases(case_cast, [1, 4, 5])
    with CaptureQueriesContext(connection) as captured:
        counts = _handling(case_cast.users.staff, [case_cast.branch_a.pk], this_month, by="month")
    assert len(captured) == 1 and "GROUP BY" in captured[0]["sql"]
    assert counts == {this_month.first: (3, 1)}


def test_the_branch_dashboard_shows_the_rate_or_says_too_few(case_cast, client, settings):
    settings.MIN_HANDLING_RATINGS = 5
    client.force_login(case_cast.users.leader)
    rated_cases(case_cast, [1, 4, 5, 5])
    page = client.get(f"/dashboards/branch/{case_cast.branch_a.code}/").content.decode()
    assert "Repeat dissatisfaction" in page and "fewer than 5 ratings" in page
    rated_cases(case_cast, [2], first_number=105580000000)
    page = client.get(f"/dashboards/branch/{case_cast.branch_a.code}/").content.decode()
    assert "40.0%" in page or "40,0%" in page or "40.0 %" in page


def test_the_department_dashboard_shows_the_rate(case_cast, client, settings):
    settings.MIN_HANDLING_RATINGS = 5
    rated_cases(case_cast, [1, 4, 5])
    rated_cases(case_cast, [2, 5], branch="b", first_number=105570000000)
    client.force_login(case_cast.users.staff)
    page = client.get("/dashboards/").content.decode()
    assert "Tỷ lệ tiếp tục không hài lòng" in page  # the staff member reads Vietnamese
    assert "40,0%" in page or "40,0 %" in page
