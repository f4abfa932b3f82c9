"""CDCI pages, API and Excel report: staff pages scoped to the department's staff, public pages and the
API showing only published years (latest version by default, earlier ones reachable), the report
re-opened with openpyxl."""

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cdci import excel as cdci_excel
from cdci import selectors as cdci_selectors
from cdci import services as cdci_services
from cdci.models import CdciPublication, CdciRun, DepartmentAssessment
from core.jobs import JobStatus
from feedback.models import Rating
from reports.rollups import fold_rollups
from tests.surveys.conftest import declare

from .support import closed_campaign, publish

YEAR = 2025
FEW = cdci_services.RunOptions(replicates=100)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)  # integration accounts cannot sign in with a password (tests/directory/test_security.py)
    return client


@pytest.fixture
def campaign(cast):
    return closed_campaign(cast, YEAR)


@pytest.fixture
def draft(campaign):
    return cdci_services.compute_now(campaign, actor=None, options=FEW)


@pytest.fixture
def published(cast, draft):
    return publish(draft, actor=cast.users.staff, note="Kết quả CDCI 2025")


# --- staff pages ---------------------------------------------------------------------------------------------


def test_staff_start_a_run_and_review_the_draft(cast, campaign, django_capture_on_commit_callbacks):
    client = client_for(cast.users.staff)
    page = client.get(reverse("cdci:cdci-campaign", args=[campaign.pk]))
    assert page.status_code == 200
    assert b"Compute the CDCI" in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cdci:cdci-run-start", args=[campaign.pk]),
            {"business_weight": "10", "replicates": "100"},  # the page no longer takes method settings
        )
    assert response.status_code == 302
    run = CdciRun.objects.get(campaign=campaign)
    assert run.status == JobStatus.DONE and run.settings["replicates"] == 1000  # the campaign's method
    assert run.settings["business_weight"] == 70

    status = client.get(reverse("cdci:cdci-run-status", args=[run.pk])).json()
    assert status["progress"] == 100 and status["status"] == "done" and status["draft_url"]

    review = client.get(reverse("cdci:cdci-draft", args=[campaign.pk]))
    assert review.status_code == 200
    text = review.content.decode()
    for unit in ("Chi cục Hải quan Móng Cái", "Chi cục Hải quan Hòn Gai", "Chi cục Hải quan Cái Lân"):
        assert unit in text
    assert 'id="cdci-chart"' in text and "cdci-heatmap" in text and "Publish" in text


def test_the_draft_page_reads_a_fixed_number_of_queries(cast, draft, django_assert_max_num_queries):
    client = client_for(cast.users.staff)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("cdci:cdci-draft", args=[draft.campaign_id])).status_code == 200


@pytest.mark.parametrize("role", ["leader", "other_leader", "team_leader", "officer", "business", "integration"])
def test_drafts_are_hidden_from_everyone_but_department_staff(cast, draft, role):
    client = client_for(getattr(cast.users, role))
    pk = draft.campaign_id
    for name, args in [
        ("cdci:cdci-campaign", [pk]),
        ("cdci:cdci-draft", [pk]),
        ("cdci:cdci-draft-xlsx", [pk]),
        ("cdci:cdci-assessments", [pk]),
        ("cdci:cdci-run-status", [draft.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("cdci:cdci-publish", args=[pk]), {"note": "x"}).status_code == 404
    assert client.post(reverse("cdci:cdci-run-start", args=[pk]), {"business_weight": 70}).status_code == 404
    assert not CdciPublication.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(draft):
    response = Client().get(reverse("cdci:cdci-draft", args=[draft.campaign_id]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_enter_assessments(cast, campaign):
    client = client_for(cast.users.staff)
    url = reverse("cdci:cdci-assessments", args=[campaign.pk])
    assert client.get(url).status_code == 200
    data = {f"score_{unit.pk}": "" for unit in campaign.units.all()}
    data |= {f"note_{unit.pk}": "" for unit in campaign.units.all()}
    data[f"score_{cast.branch_a.pk}"] = "86.5"
    data[f"note_{cast.branch_a.pk}"] = "Hoàn thành tốt nhiệm vụ"
    data[f"score_{cast.branch_b.pk}"] = "120"

    refused = client.post(url, data)
    assert refused.status_code == 200 and not DepartmentAssessment.objects.exists()

    data[f"score_{cast.branch_b.pk}"] = ""
    assert client.post(url, data).status_code == 302
    row = DepartmentAssessment.objects.get()
    assert (row.unit, row.score, row.note) == (cast.branch_a, Decimal("86.50"), "Hoàn thành tốt nhiệm vụ")


def test_staff_publish_the_draft_with_a_note(cast, draft):
    client = client_for(cast.users.staff)
    response = client.post(
        reverse("cdci:cdci-publish", args=[draft.campaign_id]),
        {"note": "Công bố kết quả", "confirmed": "on", "despite_warnings": "on"},
    )
    assert response.status_code == 302
    publication = CdciPublication.objects.get()
    assert publication.published_by == cast.users.staff and publication.note == "Công bố kết quả"
    assert response["Location"].startswith(reverse("cdci:cdci-year", args=[YEAR]))


# --- public pages and API ------------------------------------------------------------------------------------


def test_unpublished_years_stay_private(cast, draft):
    client = Client()
    assert b"No ranking has been published yet" in client.get(reverse("cdci:cdci-list")).content
    assert client.get(reverse("cdci:cdci-year", args=[YEAR])).status_code == 404
    assert client.get(reverse("cdci:cdci-year-xlsx", args=[YEAR])).status_code == 404
    assert client.get(reverse("cdci:cdci-api-ranking", args=[YEAR])).status_code == 404


def test_the_public_page_shows_the_published_ranking(cast, published, django_assert_max_num_queries):
    client = Client()
    listing = client.get(reverse("cdci:cdci-list")).content.decode()
    assert f"CDCI {YEAR}" in listing

    with django_assert_max_num_queries(6):
        page = client.get(reverse("cdci:cdci-year", args=[YEAR]))
    assert page.status_code == 200
    text = page.content.decode()
    first = published.snapshot["units"][0]
    assert first["name"] in text
    assert 'id="cdci-chart"' in text and "cdci-chart-data" in text and "Data of the chart" in text
    assert "cdci-heatmap" in text and "Download the Excel report" in text
    assert published.checksum in text


def test_earlier_versions_stay_reachable_and_the_latest_is_shown(cast, campaign, published):
    cdci_services.save_assessments(campaign, {cast.branch_a.pk: (Decimal(60), "")}, actor=cast.users.staff)
    second = publish(
        cdci_services.compute_now(campaign, actor=None, options=FEW),
        actor=cast.users.staff,
        note="Bản 2",
        reason="Bổ sung đánh giá",
    )
    client = Client()
    latest = client.get(reverse("cdci:cdci-year", args=[YEAR])).content.decode()
    assert "Version 2, published" in latest and "Bổ sung đánh giá" in latest
    earlier = client.get(reverse("cdci:cdci-year", args=[YEAR]) + "?version=1").content.decode()
    assert "This is an earlier version." in earlier and "Version 1, published" in earlier
    assert client.get(reverse("cdci:cdci-year", args=[YEAR]) + "?version=9").status_code == 404

    api = reverse("cdci:cdci-api-ranking", args=[YEAR])
    data = client.get(api).json()
    assert data["version"] == 2 and data["versions"] == [2, 1] and data["checksum"] == second.checksum
    assert client.get(api + "?version=1").json()["checksum"] == published.checksum


def test_the_api_gives_the_ranking_without_login(cast, published):
    rated_declaration = declare(cast.business_x, cast.branch_a, year=YEAR)
    Rating.objects.create(
        declaration=rated_declaration,
        business=cast.business_x,
        submitted_by=cast.users.business,
        submitted_via="web",
        branch=cast.branch_a,
        branch_level=5,
    )
    fold_rollups(lag_seconds=0)  # the rates read the rating rollups, as the beat keeps them
    response = Client().get(reverse("cdci:cdci-api-ranking", args=[YEAR]))
    assert response.status_code == 200
    data = response.json()
    assert data["year"] == YEAR and data["department"] == "QN" and data["version"] == 1
    assert [unit["rank"] for unit in data["units"]] == sorted(unit["rank"] for unit in data["units"])
    unit = data["units"][0]
    for key in (
        "total",
        "total_low",
        "total_high",
        "tier",
        "tier_label",
        "respondents",
        "indexes",
        "rank_low",
        "rank_high",
        "effective_n",
        "method_rank_median",
        "method_rank_low",
        "method_rank_high",
    ):
        assert key in unit
    assert set(unit["indexes"]) == {component["code"] for component in data["components"]}
    mc = next(unit for unit in data["units"] if unit["code"] == "MC")
    assert (mc["satisfaction_rate"], mc["rated"]) == (1.0, 1)
    assert "unit_id" not in unit  # only what the public page shows


def test_the_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/cdci/{year}/ranking/" in schema["paths"]


def test_satisfaction_rate_counts_levels_4_and_5_of_declarations_cleared_that_year(cast):
    zone = timezone.get_current_timezone()
    for level, year in [(5, YEAR), (4, YEAR), (2, YEAR), (1, YEAR - 1)]:
        declaration = declare(cast.business_x, cast.branch_b, year=year)
        Rating.objects.create(
            declaration=declaration,
            business=cast.business_x,
            submitted_by=cast.users.business,
            submitted_via="web",
            branch=cast.branch_b,
            branch_level=level,
            is_dissatisfied=level <= 2,
            created_at=datetime.datetime(year, 7, 1, tzinfo=zone),
        )
    fold_rollups(lag_seconds=0)  # the rates read the rating rollups, as the beat keeps them
    rates = cdci_selectors.satisfaction_rates([cast.branch_b.pk, cast.branch_a.pk], YEAR)
    assert rates == {cast.branch_b.pk: {"rated": 3, "rate": pytest.approx(2 / 3)}}


# --- Excel ---------------------------------------------------------------------------------------------------


def test_the_excel_report_opens_with_its_sheets_chart_and_print_setup(cast, published):
    response = Client().get(reverse("cdci:cdci-year-xlsx", args=[YEAR]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'cdci-QN-{YEAR}-v1.xlsx"')
    workbook = load_workbook(BytesIO(response.content))

    components = published.snapshot["components"]
    assert workbook.sheetnames[0] == "Ranking"
    assert workbook.sheetnames[-2:] == ["Responses and intervals", "Methodology"]
    assert len(workbook.sheetnames) == 3 + len(components)

    ranking = workbook["Ranking"]
    assert ranking["A4"].value == "Rank" and ranking["F4"].value == "Total"
    first = published.snapshot["units"][0]
    assert (ranking["A5"].value, ranking["B5"].value) == (1, first["name"])
    assert ranking["F5"].value == pytest.approx(first["total"])
    assert ranking["F5"].number_format == "#,##0.00"
    assert ranking.freeze_panes == "C5"
    assert ranking.page_setup.orientation == "landscape" and int(ranking.page_setup.paperSize) == 9  # A4
    assert ranking.sheet_properties.pageSetUpPr.fitToPage and ranking.page_setup.fitToWidth == 1
    assert len(ranking._charts) == 1

    component_sheet = workbook.worksheets[1]
    assert component_sheet["C4"].value == "Index (1-10)"
    methodology = workbook["Methodology"]
    texts = [cell.value for cell in methodology["A"] if cell.value]
    assert any(published.checksum in text for text in texts)


def test_excel_neutralises_text_that_looks_like_a_formula(cast, draft):
    result = dict(draft.result)
    result["units"] = [dict(unit) for unit in result["units"]]
    result["units"][0]["name"] = '=HYPERLINK("http://x")'
    result["units"][1]["name"] = "+1+1"
    workbook = load_workbook(BytesIO(cdci_excel.build_report(result)))
    ranking = workbook["Ranking"]
    assert ranking["B5"].data_type == "s" and ranking["B5"].value.startswith("=HYPERLINK")
    assert ranking["B5"].quotePrefix and ranking["B6"].quotePrefix


def test_the_excel_report_follows_the_language(cast, published, vietnamese_default):
    workbook = load_workbook(BytesIO(Client().get(reverse("cdci:cdci-year-xlsx", args=[YEAR])).content))
    assert workbook.sheetnames[0] == "Xếp hạng"
