"""The staff downloads of surveys (letters, monitoring) and the paper template write every cell through
core.spreadsheet: text typed like a formula stays text."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.spreadsheet import FORMULA_STARTS, set_cell
from directory.models import Branch
from surveys.exports import letters_workbook

pytestmark = pytest.mark.django_db


def test_cells_starting_with_equals_stay_text(open_campaign):
    workbook_bytes = letters_workbook(open_campaign, [])
    sheet = load_workbook(io.BytesIO(workbook_bytes)).active
    cell = sheet.cell(row=5, column=1)
    set_cell(cell, "=HYPERLINK(1)")
    assert cell.data_type == "s"


@pytest.mark.parametrize("prefix", FORMULA_STARTS)
def test_every_formula_prefix_stays_inert_in_letters_monitoring_and_paper_template(
    client, cast, invited, open_campaign, surveyor, prefix
):
    """A business name, a unit name, a campaign title or a question typed like a formula comes out as
    quoted text in every workbook of the survey pages."""
    text = prefix + 'HYPERLINK("http://evil.example/","Xem")'
    cast.business_x.name = text
    cast.business_x.save(update_fields=["name"])
    Branch.objects.filter(pk=cast.branch_a.pk).update(name=text)
    open_campaign.title = text
    open_campaign.save(update_fields=["title"])
    question = open_campaign.questions.order_by("component__position", "position").first()
    question.text_en = question.text_vi = text
    question.save(update_fields=["text_en", "text_vi"])
    client.force_login(surveyor)

    def sheets(name):
        response = client.get(reverse(f"surveys:{name}", kwargs={"pk": open_campaign.pk}))
        assert response.status_code == 200
        return load_workbook(io.BytesIO(response.content)).worksheets

    def inert_cells(sheet):
        cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        found = [cell for cell in cells if "evil.example" in cell.value]
        assert found, sheet.title
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in found), sheet.title
        return found

    letters = sheets("invitation-letters")[0]
    assert {cell.column for cell in inert_cells(letters)} == {1, 4}  # the business, its units
    summary, _by_segment, by_unit = sheets("progress-export")
    inert_cells(summary)
    inert_cells(by_unit)
    answers, lists, guide = sheets("paper-template")
    inert_cells(guide)
