"""The charter figures as API, pages, workbook and public page: scoping per role, 400s naming the field,
suppression of small branches, the workbook's content."""

import io

import pytest
from openpyxl import load_workbook

from charter.rollup import fold_compliance
from directory.choices import CharterCode

from .support import declare, local

pytestmark = pytest.mark.django_db
URL = "/api/v1/charter/compliance/"


@pytest.fixture
def measured(cast):
    """Branch A: three registrations (20, 40 and 10 minutes); branch B: one (25 minutes)."""
    for received, registered in [((9, 0), (9, 20)), ((10, 0), (10, 40)), ((14, 0), (14, 10))]:
        declare(cast, received=local(2026, 3, 2, *received), registered=local(2026, 3, 2, *registered))
    declare(
        cast,
        branch=cast.branch_b,
        team=cast.team_b1,
        received=local(2026, 3, 3, 9, 0),
        registered=local(2026, 3, 3, 9, 25),
    )
    fold_compliance(lag_seconds=0)
    return cast


def _registration(unit: dict) -> dict:
    return next(c for c in unit["commitments"] if c["code"] == CharterCode.REGISTRATION)


def test_staff_read_the_department_and_its_branches(api_client, measured):
    api_client.force_authenticate(measured.users.staff)
    body = api_client.get(URL, {"period": "2026"}).json()
    assert body["unit"]["code"] == "QN"
    registration = _registration(body["unit"])
    assert (registration["measured"], registration["within"], registration["median_minutes"]) == (4, 3, 20)
    assert registration["share_within"] == 0.75
    by_branch = {child["code"]: _registration(child) for child in body["children"]}
    assert (by_branch["MC"]["measured"], by_branch["MC"]["p90_minutes"]) == (3, 40)
    assert by_branch["HG"]["measured"] == 1
    reply = next(c for c in body["unit"]["commitments"] if c["code"] == CharterCode.INQUIRY_REPLY)
    # No inquiry in this table: the reply commitment is measured, on nothing.
    assert (reply["status"], reply["measured"], reply["share_within"]) == ("measured", 0, None)
    assert reply["median_minutes"] is None and reply["unanswered_late"] == 0


def test_integration_client_with_a_token_reads_its_department(api_client, measured, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(measured.users.integration))
    response = api_client.get(URL, {"period": "2026-03", "branch": "HG"})
    assert response.status_code == 200
    assert response.json()["unit"]["code"] == "HG"
    assert [child["code"] for child in response.json()["children"]] == ["HG-TT"]


def test_a_month_without_declarations_measures_nothing(api_client, measured):
    api_client.force_authenticate(measured.users.staff)
    body = api_client.get(URL, {"period": "2026-04"}).json()
    assert _registration(body["unit"])["measured"] == 0
    assert _registration(body["unit"])["median_minutes"] is None


def test_branch_leader_reads_only_their_branch(api_client, measured):
    api_client.force_authenticate(measured.users.leader)
    body = api_client.get(URL, {"period": "2026"}).json()
    assert body["unit"]["code"] == "MC"
    assert {child["code"] for child in body["children"]} == {"MC-TT", "MC-KS"}
    response = api_client.get(URL, {"period": "2026", "branch": "HG"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"branch"}


@pytest.mark.parametrize("role", ["business", "officer", "team_leader", "outsider"])
def test_other_roles_are_refused(api_client, measured, role):
    api_client.force_authenticate(getattr(measured.users, role))
    assert api_client.get(URL).status_code == 403


def test_anonymous_is_refused(api_client, measured):
    assert api_client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("period", ["2026-13", "26", "2026-Q1", "1999", "２０２６", "2026-00"])
def test_a_bad_period_is_a_400_naming_it(api_client, measured, period):
    api_client.force_authenticate(measured.users.staff)
    response = api_client.get(URL, {"period": period})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"period"}


def test_an_unknown_branch_is_a_400_naming_it(api_client, measured):
    api_client.force_authenticate(measured.users.staff)
    response = api_client.get(URL, {"branch": "NOPE"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"branch"}


def test_staff_page_lists_branches_and_worst_cases(client, measured):
    client.force_login(measured.users.staff)
    response = client.get("/charter/compliance/", {"period": "2026"})
    assert response.status_code == 200
    page = response.content.decode()
    assert measured.branch_a.name in page and measured.branch_b.name in page
    # The 40-minute registration is the one worst case of the registration commitment.
    worst = response.context["worst"]
    registration = next(group for group in worst if group["code"] == CharterCode.REGISTRATION)
    assert [row["minutes"] for row in registration["rows"]] == [40]


def test_branch_leader_is_taken_to_their_branch_and_kept_out_of_others(client, measured):
    client.force_login(measured.users.leader)
    response = client.get("/charter/compliance/")
    assert response.status_code == 302 and response["Location"].endswith("/charter/compliance/branch/MC/")
    assert client.get("/charter/compliance/branch/MC/").status_code == 200
    assert client.get("/charter/compliance/branch/HG/").status_code == 400
    client.force_login(measured.users.officer)
    assert client.get("/charter/compliance/branch/MC/").status_code == 404


def test_the_workbook_holds_the_figures_and_the_worst_cases(client, measured):
    client.force_login(measured.users.staff)
    response = client.get("/charter/compliance/report.xlsx", {"period": "2026"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    summary = workbook.worksheets[0]
    rows = {row[0]: row for row in summary.iter_rows(min_row=4, values_only=True) if row[0]}
    registration = rows[str(CharterCode.REGISTRATION.label)]
    assert registration[2:7] == (4, 3, 0.75, 20, 40)
    branches = list(workbook.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert ("HG", measured.branch_b.name, str(CharterCode.REGISTRATION.label), 1, 1, 1.0, 25, 25) in branches
    worst = list(workbook.worksheets[3].iter_rows(min_row=2, values_only=True))
    assert [(row[2], row[5], row[6]) for row in worst] == [(measured.branch_a.name, 40, 30)]


def test_the_public_page_suppresses_branches_under_the_minimum(client, measured, settings):
    settings.CHARTER_PUBLIC_MIN_DECLARATIONS = 3
    response = client.get("/charter/", {"year": "2026"})
    assert response.status_code == 200
    assert [branch["name"] for branch in response.context["branches"]] == [measured.branch_a.name]
    assert response.context["hidden"] == [measured.branch_b.name]
    page = response.content.decode()
    assert "75" in page  # the department's 3 of 4
    settings.CHARTER_PUBLIC_MIN_DECLARATIONS = 5
    response = client.get("/charter/", {"year": "2026"})
    assert response.context["branches"] == []
    assert all(row["suppressed"] for row in response.context["rows"] if row["code"] == CharterCode.REGISTRATION)


def test_the_public_page_refuses_a_bad_year(client, measured):
    assert client.get("/charter/", {"year": "20x6"}).status_code == 400


def test_the_home_page_links_the_public_page(client, measured):
    assert "/charter/" in client.get("/").content.decode()


def test_the_rating_dashboards_show_the_charter_section(client, measured):
    client.force_login(measured.users.staff)
    page = client.get("/dashboards/", {"period": "2026"})
    assert page.status_code == 200
    rows = {row["code"]: row for row in page.context["charter_rows"]}
    assert rows[CharterCode.REGISTRATION]["share"].startswith("75")
    assert "/charter/compliance/?period=2026" in page.content.decode()
    client.force_login(measured.users.leader)
    page = client.get("/dashboards/branch/MC/", {"period": "2026"})
    assert {row["code"]: row for row in page.context["charter_rows"]}[CharterCode.REGISTRATION]["count"] == "3"
    client.force_login(measured.users.team_leader)  # no charter figures for a team leader's dashboard
    page = client.get("/dashboards/branch/MC/team/MC-TT/", {"period": "2026"}, follow=True)
    assert "charter_rows" not in page.context


def test_page_and_api_query_counts_do_not_grow_with_declarations(
    client, api_client, measured, django_assert_max_num_queries
):
    def counts():
        client.force_login(measured.users.staff)
        api_client.force_authenticate(measured.users.staff)
        with django_assert_max_num_queries(30) as page_queries:
            assert client.get("/charter/compliance/", {"period": "2026"}).status_code == 200
        with django_assert_max_num_queries(20) as api_queries:
            assert api_client.get(URL, {"period": "2026"}).status_code == 200
        return len(page_queries), len(api_queries)

    before = counts()
    for day in range(1, 28):
        for minutes in (5, 35, 50):
            declare(measured, received=local(2026, 4, day, 9, 0), registered=local(2026, 4, day, 9, minutes))
    fold_compliance(lag_seconds=0)
    assert counts() == before
