"""The dashboards (department, branch, team, officer): what each role sees, the filters in the URL, the
figures on the page, the links between them, and query counts that do not grow with the number of
ratings."""

import csv
import datetime
import io
import random
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory.choices import Role
from directory.models import Department, Officer, Team, TeamMembership
from feedback.models import Rating, RatingOfficer
from reports.comments import recent_comments
from reports.measures import Period, unit_measures
from reports.models import UnitKind
from reports.rollups import fold_rollups
from tests.conftest import make_user
from tests.feedback.cases.support import complain, walk_to
from tests.reports.support import add_declarations, add_ratings

PERIOD = "2025-01..2025-06"
DEPARTMENT = reverse("reports:dashboard-department")
RATINGS = reverse("reports:dashboard-ratings")


def branch_url(code):
    return reverse("reports:dashboard-branch", args=[code])


def team_url(branch, code):
    return reverse("reports:dashboard-team", args=[branch, code])


def officer_url(code):
    return reverse("reports:dashboard-officer", args=[code])


def rate(cast, count, seed=3):
    rng = random.Random(seed)
    declarations = add_declarations(cast, count, rng, businesses=[cast.business_x, cast.business_y])
    ratings = add_ratings(cast, declarations, rng, share=0.85)
    fold_rollups(lag_seconds=0)
    return ratings


@pytest.fixture
def rated(cast):
    ratings = rate(cast, 120)
    first, second = sorted(ratings, key=lambda r: r.declaration.cleared_at)[-2:]
    Rating.objects.filter(pk=first.pk).update(comment="Thủ tục nhanh, cán bộ nhiệt tình.")
    Rating.objects.filter(pk=second.pk).update(comment="Chờ lâu ở khâu kiểm tra hồ sơ.")
    return ratings


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# --- who sees what ---------------------------------------------------------------------------------------


def test_staff_sees_the_department_dashboard(client, cast, rated):
    response = get(client, cast.users.staff, DEPARTMENT, period=PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cục Hải quan Quảng Ninh" in page
    assert "Chi cục Hải quan Móng Cái" in page and "Chi cục Hải quan Hòn Gai" in page
    assert 'id="dashboard-data"' in page and 'data-chart="trend"' in page and 'data-chart="units"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    tables = response.context["tables"]
    figures = unit_measures(cast.users.staff, UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD))
    assert tables["summary"].rows[0][2] == figures.ratings
    assert [row[0] for row in tables["trend"].rows] == [
        "01/2025",
        "02/2025",
        "03/2025",
        "04/2025",
        "05/2025",
        "06/2025",
    ]
    assert sum(row[1] for row in tables["trend"].rows) == figures.ratings
    assert {row[1] for row in tables["branches"].rows} == {cast.branch_a.name, cast.branch_b.name}
    assert sum(row[2] for row in tables["branches"].rows) == figures.ratings
    assert response.context["cards"][0]["value"] == f"{figures.ratings:,}"


def test_administrator_sees_the_department_dashboard(client, cast, rated):
    assert get(client, cast.users.admin, DEPARTMENT, period=PERIOD).status_code == 200


@pytest.mark.parametrize("who", ["business", "rival", "outsider", "integration"])
def test_department_dashboard_is_404_for_others(client, cast, who):
    assert get(client, getattr(cast.users, who), DEPARTMENT).status_code == 404


def test_anonymous_is_sent_to_the_login(client, cast):
    response = client.get(DEPARTMENT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_leaders_and_officer_are_taken_to_their_own_dashboard(client, cast):
    assert get(client, cast.users.leader, DEPARTMENT)["Location"] == branch_url("MC")
    assert get(client, cast.users.team_leader, DEPARTMENT)["Location"] == team_url("MC", "MC-TT")
    assert get(client, cast.users.officer, DEPARTMENT)["Location"] == officer_url("OA1")


def test_branch_dashboard_for_its_leader_and_department_staff(client, cast, rated):
    for user in (cast.users.leader, cast.users.staff, cast.users.admin):
        response = get(client, user, branch_url("MC"), period=PERIOD)
        assert response.status_code == 200
        assert {row[1] for row in response.context["tables"]["teams"].rows} == {cast.team_a1.name, cast.team_a2.name}
    assert get(client, cast.users.other_leader, branch_url("HG"), period=PERIOD).status_code == 200


@pytest.mark.parametrize("who", ["other_leader", "officer", "team_leader", "business", "integration"])
def test_branch_dashboard_is_404_out_of_scope(client, cast, who):
    assert get(client, getattr(cast.users, who), branch_url("MC")).status_code == 404


def test_unknown_branch_is_404(client, cast):
    assert get(client, cast.users.staff, branch_url("NOPE")).status_code == 404


def test_staff_of_another_department_gets_404(client, cast, rated):
    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    stranger = make_user("stranger", Role.DEPARTMENT_STAFF, department=other)
    assert get(client, stranger, branch_url("MC")).status_code == 404
    assert get(client, stranger, team_url("MC", "MC-TT")).status_code == 404
    assert get(client, stranger, officer_url("OA1")).status_code == 404
    # Another department asked by name: 404 like any unit out of scope, never QN's figures.
    assert get(client, stranger, DEPARTMENT, period=PERIOD, unit="QN").status_code == 404
    response = get(client, stranger, DEPARTMENT, period=PERIOD)
    assert response.status_code == 200
    assert response.context["name"] == "Cục Hải quan Lạng Sơn"  # its own: never QN's figures
    assert response.context["tables"]["branches"].rows == []


def test_officer_dashboard_for_the_officer_and_their_leaders(client, cast, rated):
    for user in (cast.users.officer, cast.users.team_leader, cast.users.leader, cast.users.staff):
        assert get(client, user, officer_url("OA1"), period=PERIOD).status_code == 200


@pytest.mark.parametrize(
    ("who", "code"),
    [("officer", "OA2"), ("officer", "OB1"), ("team_leader", "OA2"), ("other_leader", "OA1"), ("business", "OA1")],
)
def test_officer_dashboard_is_404_out_of_scope(client, cast, who, code):
    assert get(client, getattr(cast.users, who), officer_url(code)).status_code == 404


def test_team_dashboard_for_its_leader_its_branch_leader_and_department_staff(client, cast, rated):
    team = unit_measures(cast.users.staff, UnitKind.TEAM, cast.team_a1.pk, Period.parse(PERIOD))
    assert team.ratings > 0
    for user in (cast.users.team_leader, cast.users.leader, cast.users.staff, cast.users.admin):
        response = get(client, user, team_url("MC", "MC-TT"), period=PERIOD)
        assert response.status_code == 200
        context = response.context
        assert context["name"] == cast.team_a1.name
        assert context["tables"]["summary"].rows[0][2] == team.ratings
        assert context["cards"][0]["value"] == f"{team.ratings:,}"
        assert sum(row[1] for row in context["tables"]["trend"].rows) == team.ratings
        assert sum(row[1] for row in context["tables"]["levels"].rows) == team.ratings
        # Its members only: oa2 handled the team's declarations too, but belongs to team A2.
        assert [row[1] for row in context["tables"]["officers"].rows] == [cast.officers.oa1.full_name]
    page = response.content.decode()
    assert "Chi cục Hải quan Móng Cái" in page  # the branch the team belongs to
    for chart in ("trend", "units", "levels"):
        assert f'data-chart="{chart}"' in page
    assert 'id="dashboard-data"' in page and "vendor/chartjs/chart.umd.min.js" in page
    assert cast.business_x.name not in page and cast.business_y.name not in page  # no business identity
    assert "Best rated" in page and "Lowest rated" not in page  # one ranked officer: no "lowest" card


@pytest.mark.parametrize(
    ("who", "branch", "code"),
    [
        ("team_leader", "MC", "MC-KS"),
        ("team_leader", "HG", "HG-TT"),
        ("officer", "MC", "MC-TT"),
        ("other_leader", "MC", "MC-TT"),
        ("business", "MC", "MC-TT"),
        ("outsider", "MC", "MC-TT"),
        ("integration", "MC", "MC-TT"),
        ("staff", "MC", "NOPE"),
        ("staff", "HG", "MC-TT"),  # a team is found in its own branch only
        ("staff", "NOPE", "MC-TT"),
    ],
)
def test_team_dashboard_is_404_out_of_scope(client, cast, who, branch, code):
    assert get(client, getattr(cast.users, who), team_url(branch, code)).status_code == 404


# --- contents --------------------------------------------------------------------------------------------


def test_branch_dashboard_lists_officers_comments_and_open_cases(client, cast, rated):
    response = get(client, cast.users.leader, branch_url("MC"), period=PERIOD)
    context = response.context
    names = {row[1] for row in context["tables"]["officers"].rows}
    assert names == {cast.officers.oa1.full_name, cast.officers.oa2.full_name}
    assert context["best"] and context["best"][0]["name"] in names
    comments = context["tables"]["comments"].rows
    expected = list(
        Rating.objects.filter(branch=cast.branch_a)
        .exclude(comment="")
        .order_by("-created_at", "-pk")  # newest rating first
        .values_list("comment", flat=True)
    )
    assert [row[3] for row in comments] == expected
    page = response.content.decode()
    assert cast.business_x.name not in page and cast.business_y.name not in page  # no business identity
    assert "/cases/?branch=MC" in page
    assert "still growing" not in page  # 2025 is long past


def _local(year, month):
    return datetime.datetime(year, month, 1, tzinfo=timezone.get_default_timezone())


def test_team_dashboard_comments_give_the_team_level_and_only_that_team(client, cast, rated):
    in_period = Rating.objects.filter(
        declaration__cleared_at__gte=_local(2025, 1), declaration__cleared_at__lt=_local(2025, 7)
    ).order_by("-created_at", "-pk")  # newest rating first, as the page lists them
    ours = list(in_period.filter(team=cast.team_a1))
    Rating.objects.filter(pk=ours[3].pk).update(comment="Đội hướng dẫn rõ ràng.", branch_level=1, team_level=5)
    Rating.objects.filter(pk=ours[8].pk).update(comment="Đội trả lời chậm.", team_level=None)  # team unrated
    theirs = in_period.filter(team=cast.team_a2).first()
    Rating.objects.filter(pk=theirs.pk).update(comment="Đội Kiểm soát làm việc tốt.")

    response = get(client, cast.users.team_leader, team_url("MC", "MC-TT"), period=PERIOD)

    rows = response.context["tables"]["comments"].rows
    expected = list(
        in_period.filter(team=cast.team_a1)
        .exclude(comment="")
        .values_list("created_at", "declaration__number", "team_level", "comment")
    )
    assert [tuple(row) for row in rows] == expected
    levels = {row[3]: row[2] for row in rows}
    assert levels["Đội hướng dẫn rõ ràng."] == 5  # the team's level, not the branch's (1)
    assert levels["Đội trả lời chậm."] is None
    page = response.content.decode()
    assert "Đội hướng dẫn rõ ràng." in page
    assert "Đội Kiểm soát làm việc tốt." not in page


def test_recent_comments_lists_branch_team_and_officer_levels(cast, rated):
    rating = (
        Rating.objects.filter(team=cast.team_a1, declaration__channel="red", officer_ratings__officer=cast.officers.oa1)
        .order_by("-declaration__cleared_at")
        .first()
    )
    Rating.objects.filter(pk=rating.pk).update(comment="Kiểm tra thực tế kỹ nhưng nhanh.", branch_level=2, team_level=4)
    officer_level = RatingOfficer.objects.get(rating=rating, officer=cast.officers.oa1).level
    period = Period.parse(PERIOD)

    def levels(kind, unit, channel="red", limit=20):
        found = recent_comments(kind, unit.pk, period, channel, limit)
        return [row[2] for row in found if row[1] == rating.declaration.number]

    assert levels(UnitKind.BRANCH, cast.branch_a) == [2]
    assert levels(UnitKind.TEAM, cast.team_a1) == [4]
    assert levels(UnitKind.OFFICER, cast.officers.oa1) == [officer_level]
    assert levels(UnitKind.TEAM, cast.team_a1, channel="green") == []
    assert levels(UnitKind.TEAM, cast.team_a2) == []
    assert levels(UnitKind.BRANCH, cast.branch_b, channel=None) == []
    outside = recent_comments(UnitKind.TEAM, cast.team_a1.pk, Period.parse("2024"), None, 20)
    assert outside == []
    newest = recent_comments(UnitKind.TEAM, cast.team_a1.pk, period, None, 1)
    assert len(newest) == 1
    with pytest.raises(ValueError):
        recent_comments(UnitKind.DEPARTMENT, cast.department.pk, period, None, 20)


def test_team_dashboard_counts_the_team_open_cases_and_links_to_the_inbox(client, cast):
    case = complain(cast)  # dx: team A1 of Móng Cái
    complain(cast, cast.dy)  # team B1 of Hòn Gai
    response = get(client, cast.users.staff, team_url("MC", "MC-TT"))
    context = response.context
    assert (context["open_cases"], context["overdue_cases"]) == (1, 0)
    assert context["open_cases_url"].startswith("/cases/?branch=MC&team=MC-TT&status=new&status=assigned")
    assert context["overdue_cases_url"] == "/cases/?branch=MC&team=MC-TT&overdue=true"
    inbox = client.get(context["open_cases_url"])
    assert [listed.pk for listed in inbox.context["cases"]] == [case.pk]

    # The team leader sees the cases given to them to verify, and the page says so.
    response = get(client, cast.users.team_leader, team_url("MC", "MC-TT"))
    assert response.context["open_cases"] == 0
    assert "Cases assigned to you for verification" in response.content.decode()
    walk_to(case, "assigned", cast)
    assert get(client, cast.users.team_leader, team_url("MC", "MC-TT")).context["open_cases"] == 1


def test_branch_and_department_pages_link_each_team_to_its_dashboard(client, cast, rated):
    query = "?period=2025-01..2025-06"
    response = get(client, cast.users.leader, branch_url("MC"), period=PERIOD)
    teams = response.context["tables"]["teams"]
    links = dict(zip([row[1] for row in teams.rows], teams.links, strict=True))
    assert links == {
        cast.team_a1.name: team_url("MC", "MC-TT") + query,
        cast.team_a2.name: team_url("MC", "MC-KS") + query,
    }
    assert f'href="{team_url("MC", "MC-TT")}{query}"' in response.content.decode()
    assert client.get(links[cast.team_a1.name]).status_code == 200

    response = get(client, cast.users.staff, DEPARTMENT, period=PERIOD)
    teams = response.context["tables"]["teams"]
    assert sorted(teams.links) == sorted(team_url(code[:2], code) + query for code in ("MC-TT", "MC-KS", "HG-TT"))


def test_team_page_links_up_to_the_branch_and_the_officer_page_to_the_team(client, cast, rated):
    query = "?period=2025-01..2025-06"
    leader = get(client, cast.users.leader, team_url("MC", "MC-TT"), period=PERIOD)
    assert leader.context["branch_url"] == branch_url("MC") + query
    assert "Branch dashboard" in leader.content.decode()
    team_leader = get(client, cast.users.team_leader, team_url("MC", "MC-TT"), period=PERIOD)
    assert team_leader.context["branch_url"] == ""  # a team leader has no branch figures
    assert "Branch dashboard" not in team_leader.content.decode()
    assert team_leader.context["best"][0]["link"] == officer_url("OA1") + query

    for user in (cast.users.team_leader, cast.users.leader, cast.users.staff):
        response = get(client, user, officer_url("OA1"), period=PERIOD)
        assert response.context["team_url"] == team_url("MC", "MC-TT") + query
        assert f'href="{team_url("MC", "MC-TT")}{query}"' in response.content.decode()
    assert get(client, cast.users.officer, officer_url("OA1"), period=PERIOD).context["team_url"] == ""


def test_choosing_another_team_moves_there(client, cast, rated):
    response = get(client, cast.users.staff, team_url("MC", "MC-TT"), period="2025", unit="HG/HG-TT")
    assert response.status_code == 302
    assert response["Location"] == team_url("HG", "HG-TT") + "?period=2025"


def test_officer_below_the_minimum_shows_not_enough_ratings(client, cast, rated, settings):
    # oa1 has rollup rows for the month, fewer than the minimum (set above any month's count here).
    settings.MIN_OFFICER_RATINGS = 10_000
    response = get(client, cast.users.officer, officer_url("OA1"), period="2025-01")
    assert response.status_code == 200
    current = unit_measures(cast.users.officer, UnitKind.OFFICER, cast.officers.oa1.pk, Period.parse("2025-01"))
    assert current.ratings > 0 and not current.enough_ratings
    assert "Not enough ratings" in response.content.decode()
    assert response.context["cards"][1]["value"] == "Not enough ratings"


def test_officer_dashboard_shows_comments_about_them(client, cast, rated):
    from feedback.models import RatingOfficer

    rating = RatingOfficer.objects.filter(officer=cast.officers.ob1).select_related("rating").first().rating
    Rating.objects.filter(pk=rating.pk).update(comment="Công chức hướng dẫn tận tình.")
    response = get(client, cast.users.staff, officer_url("OB1"), period=PERIOD)
    assert "Công chức hướng dẫn tận tình." in response.content.decode()
    response = get(client, cast.users.staff, officer_url("OA1"), period=PERIOD)
    assert "Công chức hướng dẫn tận tình." not in response.content.decode()


def test_filters_live_in_the_query_string(client, cast, rated):
    quarter = get(client, cast.users.staff, DEPARTMENT, period="2025-Q1")
    assert [row[0] for row in quarter.context["tables"]["trend"].rows] == ["01/2025", "02/2025", "03/2025"]
    assert quarter.context["query"] == "period=2025-Q1"
    custom = get(client, cast.users.staff, DEPARTMENT, start="2025-02", end="2025-04", channel="red")
    assert [row[0] for row in custom.context["tables"]["trend"].rows] == ["02/2025", "03/2025", "04/2025"]
    assert custom.context["query"] == "period=2025-02..2025-04&channel=red"
    red = unit_measures(
        cast.users.staff, UnitKind.DEPARTMENT, cast.department.pk, Period.parse("2025-02..2025-04"), channel="red"
    )
    assert custom.context["tables"]["summary"].rows[0][2] == red.ratings


def test_wrong_filters_name_the_field_and_answer_400(client, cast, rated):
    """A filter that does not parse is a 400 page naming the parameter, never silently the default."""
    response = get(client, cast.users.staff, DEPARTMENT, period="2025-13", channel="blue")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown period 2025-13" in page and "channel" in page
    response = get(client, cast.users.staff, DEPARTMENT, start="2025-05", end="2025-02")
    assert response.status_code == 400
    assert "The last month comes before the first one." in response.content.decode()
    response = get(client, cast.users.staff, DEPARTMENT, period="2025-05..2025-02")
    assert response.status_code == 400
    assert "The last month comes before the first one." in response.content.decode()


def test_choosing_another_unit_moves_there(client, cast, rated):
    response = get(client, cast.users.staff, branch_url("MC"), period="2025", unit="HG")
    assert response.status_code == 302
    assert response["Location"] == branch_url("HG") + "?period=2025"


def test_vietnamese_page_uses_decimal_comma(client, cast, rated, vietnamese_default):
    response = get(client, cast.users.staff, DEPARTMENT, period=PERIOD)
    page = response.content.decode()
    rate_text = response.context["cards"][1]["value"]
    assert "," in rate_text and "." not in rate_text, rate_text
    assert "Tỷ lệ hài lòng" in page or rate_text in page


# --- teams with the same code in two branches ---------------------------------------------------------------


@pytest.fixture
def twin(cast, rated):
    """Hòn Gai's own team coded "MC-TT" and named "Đội Thủ tục", like Móng Cái's (departments code their
    teams the same in every branch), with its member ob2, its leader and ratings of its own."""
    team = Team.objects.create(branch=cast.branch_b, code=cast.team_a1.code, name=cast.team_a1.name)
    officer = Officer.objects.create(code="OB2", full_name="Phạm Thị Dung", branch=cast.branch_b)
    TeamMembership.objects.create(officer=officer, team=team, started_on=datetime.date(2020, 1, 1))
    rng = random.Random(17)
    declarations = add_declarations(
        cast, 60, rng, businesses=[cast.business_y], units=[(cast.branch_b, team, [officer])]
    )
    add_ratings(cast, declarations, rng)
    fold_rollups(lag_seconds=0)
    leader = make_user("twin_leader", Role.TEAM_LEADER, team=team)
    return SimpleNamespace(team=team, officer=officer, leader=leader)


def test_teams_with_the_same_code_each_have_their_own_page(client, cast, twin):
    period = Period.parse(PERIOD)
    mine, theirs = (
        unit_measures(cast.users.staff, UnitKind.TEAM, team.pk, period) for team in (cast.team_a1, twin.team)
    )
    assert mine.ratings != theirs.ratings  # the pages below can be told apart by their figures
    for branch, team, figures, member in (
        ("MC", cast.team_a1, mine, cast.officers.oa1),
        ("HG", twin.team, theirs, twin.officer),
    ):
        response = get(client, cast.users.staff, team_url(branch, "MC-TT"), period=PERIOD)
        assert response.status_code == 200
        context = response.context
        assert (context["name"], context["branch_name"]) == (team.name, team.branch.name)
        assert context["tables"]["summary"].rows[0][2] == figures.ratings
        assert context["cards"][0]["value"] == f"{figures.ratings:,}"
        assert [row[1] for row in context["tables"]["officers"].rows] == [member.full_name]
        assert context["open_cases_url"].startswith(f"/cases/?branch={branch}&team=MC-TT&")


def test_each_leader_reaches_only_their_own_team_of_that_code(client, cast, twin):
    assert get(client, twin.leader, DEPARTMENT)["Location"] == team_url("HG", "MC-TT")
    assert get(client, cast.users.team_leader, DEPARTMENT)["Location"] == team_url("MC", "MC-TT")
    assert get(client, twin.leader, team_url("HG", "MC-TT")).status_code == 200
    assert get(client, twin.leader, team_url("MC", "MC-TT")).status_code == 404
    assert get(client, cast.users.team_leader, team_url("HG", "MC-TT")).status_code == 404
    # Branch leaders: their own branch's team of that code, never the other one.
    assert get(client, cast.users.leader, team_url("HG", "MC-TT")).status_code == 404
    assert get(client, cast.users.other_leader, team_url("HG", "MC-TT")).status_code == 200
    assert get(client, cast.users.other_leader, team_url("MC", "MC-TT")).status_code == 404


def test_department_branch_and_officer_pages_link_each_team_to_its_own_page(client, cast, twin):
    query = "?period=2025-01..2025-06"
    response = get(client, cast.users.staff, DEPARTMENT, period=PERIOD)
    assert sorted(response.context["tables"]["teams"].links) == sorted(
        team_url(branch, code) + query
        for branch, code in [("MC", "MC-TT"), ("MC", "MC-KS"), ("HG", "HG-TT"), ("HG", "MC-TT")]
    )
    for user in (cast.users.staff, cast.users.other_leader):
        response = get(client, user, branch_url("HG"), period=PERIOD)
        links = response.context["tables"]["teams"].links
        assert sorted(links) == sorted([team_url("HG", "HG-TT") + query, team_url("HG", "MC-TT") + query])
        assert f'href="{team_url("HG", "MC-TT")}{query}"' in response.content.decode()
        assert client.get(team_url("HG", "MC-TT") + query).context["branch_name"] == cast.branch_b.name
    response = get(client, cast.users.staff, officer_url("OB2"), period=PERIOD)
    assert response.context["team_url"] == team_url("HG", "MC-TT") + query


def test_the_team_filter_tells_teams_of_one_code_apart_and_moves_between_them(client, cast, twin):
    response = get(client, cast.users.staff, team_url("MC", "MC-TT"), period=PERIOD)
    choices = dict(response.context["form"].fields["unit"].choices)
    assert choices["MC/MC-TT"] == "Đội Thủ tục (MC/MC-TT)"
    assert choices["HG/MC-TT"] == "Đội Thủ tục (HG/MC-TT)"
    assert '<option value="MC/MC-TT" selected>' in response.content.decode()

    moved = client.get(team_url("MC", "MC-TT"), {"period": "2025", "channel": "red", "unit": "HG/MC-TT"})
    assert moved.status_code == 302
    assert moved["Location"] == team_url("HG", "MC-TT") + "?period=2025&channel=red"
    back = client.get(team_url("HG", "MC-TT"), {"period": "2025", "unit": "MC/MC-TT"})
    assert back["Location"] == team_url("MC", "MC-TT") + "?period=2025"
    stay = client.get(team_url("HG", "MC-TT"), {"period": "2025", "unit": "HG/MC-TT"})
    assert stay.status_code == 200 and stay.context["branch_name"] == cast.branch_b.name
    for wrong in ("MC-TT", "HG/MC-TT/X"):  # a hand-made value: no such team, not an error page
        assert client.get(team_url("MC", "MC-TT"), {"unit": wrong}).status_code == 404


def test_rating_rows_of_a_team_are_those_of_that_branch_team_only(client, cast, twin):
    in_period = Rating.objects.filter(
        declaration__cleared_at__gte=_local(2025, 1), declaration__cleared_at__lt=_local(2025, 7)
    )
    for branch, team in (("MC", cast.team_a1), ("HG", twin.team)):
        page = get(client, cast.users.staff, team_url(branch, "MC-TT"), period=PERIOD)
        link = page.context["ratings_links"]["csv"]
        assert "level=team&code=MC-TT&branch=" + branch in link
        response = client.get(link)
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        expected = in_period.filter(team=team).values_list("declaration__number", flat=True)
        assert sorted(row[0] for row in rows[1:]) == sorted(expected)
        assert len(rows) > 1
    # A team code without its branch names no team.
    response = client.get(RATINGS, {"level": "team", "code": "MC-TT", "period": PERIOD, "format": "csv"})
    assert response.status_code == 404


# --- query counts ----------------------------------------------------------------------------------------


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_ratings(client, cast):
    urls = [DEPARTMENT, branch_url("MC"), team_url("MC", "MC-TT"), officer_url("OA1")]

    def counts():
        client.force_login(cast.users.staff)
        staff = [_queries(client, url, period=PERIOD) for url in urls]
        client.force_login(cast.users.team_leader)  # scoped by team membership: another query plan
        return [*staff, _queries(client, team_url("MC", "MC-TT"), period=PERIOD)]

    rate(cast, 120, seed=5)
    at_100 = counts()
    figures = unit_measures(cast.users.staff, UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD))
    assert 90 <= figures.ratings <= 110
    rate(cast, 12_000, seed=6)
    at_10_000 = counts()
    figures = unit_measures(cast.users.staff, UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD))
    assert figures.ratings >= 10_000
    officer = urls.index(officer_url("OA1"))
    others = [index for index in range(len(at_100)) if index != officer]
    assert [at_10_000[index] for index in others] == [at_100[index] for index in others]
    # The officer's comments are walked in growing batches (reports.comments): a few more queries when
    # comments are sparse among many ratings, never one per rating.
    assert at_100[officer] <= at_10_000[officer] <= at_100[officer] + 6, (at_100, at_10_000)
    assert max(at_10_000) <= 60, at_10_000


def test_embedded_mode_folds_new_ratings_when_a_dashboard_is_read(client, cast, settings):
    """No Celery beat runs in the embedded mode: a dashboard folds what is new before it reads."""
    settings.ROLLUP_FOLD_ON_READ = True
    settings.ROLLUP_SAFETY_LAG_SECONDS = 0
    rng = random.Random(8)
    ratings = add_ratings(cast, add_declarations(cast, 30, rng, businesses=[cast.business_x]), rng)

    page = get(client, cast.users.staff, DEPARTMENT, period=PERIOD)

    assert page.status_code == 200
    assert page.context["tables"]["summary"].rows[0][2] == len(ratings)


def test_without_fold_on_read_a_dashboard_waits_for_the_beat(client, cast, settings):
    settings.ROLLUP_FOLD_ON_READ = False
    rng = random.Random(8)
    add_ratings(cast, add_declarations(cast, 30, rng, businesses=[cast.business_x]), rng)

    page = get(client, cast.users.staff, DEPARTMENT, period=PERIOD)

    assert page.context["tables"]["summary"].rows[0][2] == 0


def test_long_units_tables_show_a_page_of_rows_and_download_all(client, cast, rated, monkeypatch):
    monkeypatch.setattr("reports.dashboards.views.TABLE_PAGE_SIZE", 2)
    first = get(client, cast.users.staff, DEPARTMENT, period=PERIOD, channel="green")
    officers = first.context["tables"]["officers"]
    assert len(officers.rows) == 2
    assert (officers.pager["first"], officers.pager["last"], officers.pager["total"]) == (1, 2, 3)
    assert officers.pager["previous"] == ""
    assert "period=2025-01..2025-06" in officers.pager["next"] and "channel=green" in officers.pager["next"]
    assert first.context["tables"]["teams"].pager is not None  # three teams too
    assert first.context["tables"]["branches"].pager is None  # not a paged table

    second = client.get(DEPARTMENT + officers.pager["next"].split("#")[0])
    rest = second.context["tables"]["officers"]
    assert len(rest.rows) == 1 and rest.pager["next"] == ""
    assert rest.rows[0][1] not in {row[1] for row in officers.rows}
    assert "officers_page=1" in rest.pager["previous"]
    assert b"Rows 3\xe2\x80\x933 of 3" in second.content

    download = client.get(DEPARTMENT, {"period": PERIOD, "channel": "green", "export": "officers"})
    assert len(download.content.decode("utf-8-sig").strip().splitlines()) == 1 + 3


def test_team_participation_is_on_the_branch_page_not_the_department_page(client, cast, rated):
    department = get(client, cast.users.staff, DEPARTMENT, period=PERIOD).context["tables"]["teams"]
    branch = get(client, cast.users.staff, branch_url("MC"), period=PERIOD).context["tables"]["teams"]

    participation = [column.label for column in branch.columns].index("Participation")
    assert {row[participation] for row in department.rows} == {None}
    assert all(row[participation] is not None and row[participation] > 0 for row in branch.rows)
