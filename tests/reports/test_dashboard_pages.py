"""The dashboards (department, branch, officer): what each role sees, the filters in the URL, the
figures on the page, and query counts that do not grow with the number of ratings."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.choices import Role
from directory.models import Department
from feedback.models import Rating
from reports.measures import Period, unit_measures
from reports.models import UnitKind
from reports.rollups import fold_rollups
from tests.conftest import make_user
from tests.reports.support import add_declarations, add_ratings

PERIOD = "2025-01..2025-06"
DEPARTMENT = reverse("reports:dashboard-department")


def branch_url(code):
    return reverse("reports:dashboard-branch", args=[code])


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


@pytest.mark.parametrize("who", ["business", "rival", "outsider", "integration", "team_leader"])
def test_department_dashboard_is_404_for_others(client, cast, who):
    assert get(client, getattr(cast.users, who), DEPARTMENT).status_code == 404


def test_anonymous_is_sent_to_the_login(client, cast):
    response = client.get(DEPARTMENT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_leader_and_officer_are_taken_to_their_own_dashboard(client, cast):
    assert get(client, cast.users.leader, DEPARTMENT)["Location"] == branch_url("MC")
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
    assert get(client, stranger, officer_url("OA1")).status_code == 404
    response = get(client, stranger, DEPARTMENT, period=PERIOD, unit="QN")
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
        .order_by("-declaration__cleared_at")
        .values_list("comment", flat=True)
    )
    assert [row[3] for row in comments] == expected
    page = response.content.decode()
    assert cast.business_x.name not in page and cast.business_y.name not in page  # no business identity
    assert "/cases/?branch=MC" in page
    assert "still growing" not in page  # 2025 is long past


def test_officer_below_the_minimum_shows_not_enough_ratings(client, cast, rated):
    # The cast's own declaration dx: oa1 has its rollup rows, but a month holds few ratings.
    response = get(client, cast.users.officer, officer_url("OA1"), period="2025-01")
    assert response.status_code == 200
    current = unit_measures(cast.users.officer, UnitKind.OFFICER, cast.officers.oa1.pk, Period.parse("2025-01"))
    if current.enough_ratings:
        pytest.skip("the generated month happens to hold enough ratings")
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


def test_wrong_filters_name_the_field_and_fall_back(client, cast, rated):
    response = get(client, cast.users.staff, DEPARTMENT, period="2025-13", channel="blue")
    assert response.status_code == 200
    form = response.context["form"]
    assert "period" in form.errors and "channel" in form.errors
    assert response.context["channel"] is None
    response = get(client, cast.users.staff, DEPARTMENT, start="2025-05", end="2025-02")
    assert "end" in response.context["form"].errors


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


# --- query counts ----------------------------------------------------------------------------------------


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_ratings(client, cast):
    urls = [DEPARTMENT, branch_url("MC"), officer_url("OA1")]
    rate(cast, 120, seed=5)
    client.force_login(cast.users.staff)
    at_100 = [_queries(client, url, period=PERIOD) for url in urls]
    figures = unit_measures(cast.users.staff, UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD))
    assert 90 <= figures.ratings <= 110
    rate(cast, 12_000, seed=6)
    at_10_000 = [_queries(client, url, period=PERIOD) for url in urls]
    figures = unit_measures(cast.users.staff, UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD))
    assert figures.ratings >= 10_000
    assert at_10_000 == at_100
    assert max(at_100) <= 60, at_100
