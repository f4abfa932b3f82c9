"""How a result shaped as the method's contract is shown: rank ranges and method ranges, adjacent
comparisons in plain words, units with too few responses named without numbers, and no cell resting on
fewer than 5 respondents on the public page, in the API (and its schema) or in the Excel report."""

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cdci import selectors
from cdci.disclosure import suppress
from directory.models import Branch
from surveys import services as survey_services
from surveys.models import Campaign

from .contract import contract_result, stored_draft, stored_publication
from .test_pages import client_for

YEAR = 2025


@pytest.fixture
def branches(cast):
    extra = [
        Branch.objects.create(department=cast.department, code=code, name=name)
        for code, name in (
            ("CL", "Chi cục Hải quan Cái Lân"),
            ("VG", "Chi cục Hải quan Vạn Gia"),
            ("BL", "Chi cục Hải quan Bắc Phong Sinh"),
        )
    ]
    return [cast.branch_a, cast.branch_b, *extra]


@pytest.fixture
def result(branches):
    return contract_result(branches)


@pytest.fixture
def closed(cast, branches):
    campaign = survey_services.create_campaign(cast.department, YEAR, actor=None)
    Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def publication(closed, result):
    return stored_publication(closed, result)


def test_suppression_blanks_cells_under_5_and_every_number_of_units_not_ranked(result):
    safe, blanked = suppress(result)
    assert safe["question_means"]["VG"] == {"C1.1": 3.77, "C2.1": None}
    assert "BL" not in safe["question_means"] and "BL" not in safe["question_counts"]
    vg = next(unit for unit in safe["units"] if unit["code"] == "VG")
    # One segment under 5 blanks both: the other segment beside the unit's total would give it away.
    assert vg["respondents"] is not None
    assert vg["segments"] == {"in_province": None, "out_of_province": None}
    assert {"unit": "VG", "cell": "question:C2.1"} in blanked
    assert {"unit": "VG", "cell": "segment:out_of_province"} in blanked
    assert {"unit": "VG", "cell": "segment:in_province"} in blanked
    assert result["question_means"]["VG"]["C2.1"] == 2.333  # the stored result is left as it was


def test_a_ranked_unit_under_5_respondents_shows_no_figure(result):
    result["units"][3]["respondents"] = 4
    safe, blanked = suppress(result)
    vg = safe["units"][3]
    assert vg["total"] is None and vg["respondents"] is None and vg["rank_low"] is None
    assert set(vg["indexes"].values()) == {None}
    assert set(safe["question_means"]["VG"].values()) == {None}
    assert {"unit": "VG", "cell": "unit"} in blanked


def test_present_gives_rank_ranges_and_comparisons_in_plain_words(result):
    view = selectors.present(result)
    assert [row["rank_range"] for row in view["rows"]] == ["1", "2–4", "2–4", "2–4"]
    assert view["rows"][1]["method_rank_range"] == "2–3"
    sentences = [comparison["sentence"] for comparison in view["comparisons"]]
    assert sentences == [
        "Chi cục Hải quan Móng Cái is ahead of Chi cục Hải quan Hòn Gai.",
        "Chi cục Hải quan Hòn Gai and Chi cục Hải quan Cái Lân cannot be told apart.",
        "Chi cục Hải quan Cái Lân and Chi cục Hải quan Vạn Gia cannot be told apart.",
    ]
    assert [unit["code"] for unit in view["not_enough"]] == ["BL"]
    assert str(view["interval_label"]) == "95% interval"


def test_intervals_without_a_passed_coverage_study_are_not_called_95_percent(result):
    result["coverage"] = {"passed": False, "min_coverage": None}
    assert str(selectors.present(result)["interval_label"]) == "Interval (coverage not verified)"


def test_older_results_without_the_new_keys_still_show(result):
    for key in ("comparisons", "not_enough_units", "question_counts", "coverage"):
        del result[key]
    view = selectors.present(result)
    assert view["comparisons"] == [] and view["not_enough"] == [] and not view["coverage_passed"]


def test_the_public_page_shows_rank_ranges_comparisons_and_no_numbers_for_units_not_ranked(publication):
    text = Client().get(reverse("cdci:cdci-year", args=[YEAR])).content.decode()
    assert "Rank range (sampling)" in text and "2–4" in text
    assert "Rank under other reasonable methods" in text
    assert "Chi cục Hải quan Móng Cái is ahead of Chi cục Hải quan Hòn Gai." in text
    assert "Chi cục Hải quan Hòn Gai and Chi cục Hải quan Cái Lân cannot be told apart." in text
    assert "Not enough responses to be ranked" in text and "Chi cục Hải quan Bắc Phong Sinh" in text
    assert "tied" not in text
    row = text[text.index('data-unit="BL"') :] if 'data-unit="BL"' in text else ""
    assert row == ""  # listed by name only, never as a row of figures


def test_the_api_gives_the_new_columns_and_hides_what_is_suppressed(publication):
    data = Client().get(reverse("cdci:cdci-api-ranking", args=[YEAR])).json()
    hg = data["units"][1]
    assert (hg["rank_low"], hg["rank_high"], hg["method_rank_median"]) == (2, 4, 2.0)
    assert (hg["method_rank_low"], hg["method_rank_high"], hg["effective_n"]) == (2, 3, 16.2)
    assert "statistically_tied" not in hg and "tie_group" not in hg
    assert data["not_enough_units"] == [{"code": "BL", "name": "Chi cục Hải quan Bắc Phong Sinh"}]
    assert [c["distinguishable"] for c in data["comparisons"]] == [True, False, False]
    assert data["comparisons"][0]["sentence"].endswith("is ahead of Chi cục Hải quan Hòn Gai.")
    assert data["coverage"]["passed"] is True
    assert data["settings"]["min_respondents"] == 10 and data["settings"]["normalisation"] == "fixed"
    assert "BL" not in str(data["units"])


def test_the_openapi_schema_describes_the_new_fields(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    unit = components["RankedUnit"]["properties"]
    for name in ("rank_low", "rank_high", "method_rank_median", "method_rank_low", "method_rank_high", "effective_n"):
        assert name in unit
    assert "statistically_tied" not in unit
    ranking = components["Ranking"]["properties"]
    assert {"comparisons", "not_enough_units", "coverage"} <= set(ranking)
    assert "flip_share" in components["Comparison"]["properties"]


def test_the_excel_report_has_the_new_columns_and_no_suppressed_cell(publication):
    content = Client().get(reverse("cdci:cdci-year-xlsx", args=[YEAR])).content
    workbook = load_workbook(BytesIO(content))
    ranking = workbook["Ranking"]
    headers = [cell.value for cell in ranking[4]]
    for header in (
        "Rank range (sampling)",
        "Effective sample size",
        "Rank under other methods: median",
        "Rank under other methods: 90% range",
    ):
        assert header in headers
    assert "Statistically tied" not in headers
    assert ranking.cell(row=6, column=headers.index("Rank range (sampling)") + 1).value == "2–4"
    texts = [str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value]
    assert any("Bắc Phong Sinh" in text and "Not enough responses" in text for text in texts)
    assert any(text == "Chi cục Hải quan Hòn Gai and Chi cục Hải quan Cái Lân cannot be told apart." for text in texts)
    # Vạn Gia's C2.1 mean (3 answers) and its segment of 4 are not in the workbook; Bắc Phong Sinh has no number.
    values = [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert 2.333 not in values and 1.25 not in values and 4.75 not in values
    intervals = workbook["Responses and intervals"]
    vg = next(row for row in intervals.iter_rows(min_row=5) if row[1].value == "Chi cục Hải quan Vạn Gia")
    assert [cell.value for cell in vg[3:5]] == [None, None]  # one small segment blanks both


def test_the_draft_review_shows_the_checklist_and_what_is_suppressed(cast, closed, result):
    stored_draft(closed, result)
    text = client_for(cast.users.staff).get(reverse("cdci:cdci-draft", args=[closed.pk])).content.decode()
    assert "Before publishing" in text
    assert "Units below the minimum of responses:" in text and "Chi cục Hải quan Bắc Phong Sinh" in text
    assert "VG: question C2.1" in text and "passed (lowest coverage 0.94)" in text
    assert "I have read the checklist above" in text


@pytest.mark.parametrize("role", ["leader", "business"])
def test_business_and_leaders_cannot_see_the_draft_review_or_method(cast, closed, result, role):
    stored_draft(closed, result)
    client = client_for(getattr(cast.users, role))
    for name in ("cdci:cdci-draft", "cdci:cdci-method", "cdci:cdci-campaign"):
        assert client.get(reverse(name, args=[closed.pk])).status_code == 404, name
    assert client.post(reverse("cdci:cdci-reopen", args=[closed.pk])).status_code == 404
