"""Paper answers: the Excel template generated from the questionnaire, and its upload (all or nothing,
errors by row and column, a code that answered already refused)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from surveys.choices import QuestionKind, ResponseSource
from surveys.models import Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, cast):
    client.force_login(cast.users.staff)
    return client


def template_bytes(staff_client, campaign) -> bytes:
    response = staff_client.get(reverse("surveys:paper-template", kwargs={"pk": campaign.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    return response.content


def paper_value(question, index=0):
    if question.kind == QuestionKind.AGREEMENT_5:
        return index % 5 + 1
    if question.kind == QuestionKind.YES_NO:
        return "Có"
    if question.kind == QuestionKind.NUMBER:
        return 2.5
    return question.choice_label(question.choices[0])


def filled(content: bytes, rows: list[dict]) -> SimpleUploadedFile:
    """The template with `rows` typed in from row 2 (values by header)."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for offset, values in enumerate(rows):
        for column, name in enumerate(header, start=1):
            if name in values:
                sheet.cell(row=2 + offset, column=column, value=values[name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("answers.xlsx", buffer.getvalue())


def full_row(campaign, code, unit_code):
    row = {"code": code, "unit": unit_code}
    for index, question in enumerate(campaign.questions.order_by("component__position", "position")):
        row[question.code] = paper_value(question, index)
    return row


def upload(staff_client, campaign, file):
    return staff_client.post(reverse("surveys:paper", kwargs={"pk": campaign.pk}), {"file": file})


def test_template_has_a_column_per_question_with_its_text_and_allowed_values(staff_client, open_campaign):
    workbook = load_workbook(io.BytesIO(template_bytes(staff_client, open_campaign)))

    sheet = workbook.worksheets[0]
    questions = list(open_campaign.questions.order_by("component__position", "position"))
    header = [cell.value for cell in sheet[1]]
    assert header == ["code", "unit", *[question.code for question in questions], "comment"]
    assert sheet.freeze_panes == "C2"
    assert sheet.column_dimensions["A"].width >= 25
    first = questions[0]
    assert first.text_en in sheet.cell(row=1, column=3).comment.text
    # Allowed values as data validation, by kind.
    rules = {}
    for rule in sheet.data_validations.dataValidation:
        for cell_range in rule.sqref.ranges:
            rules[cell_range.coord.split(":")[0].rstrip("0123456789")] = rule
    letters = {
        question.code: sheet.cell(row=1, column=index).column_letter for index, question in enumerate(questions, 3)
    }
    by_kind = {}
    for question in questions:
        by_kind.setdefault(question.kind, question)
    agreement = rules[letters[by_kind[QuestionKind.AGREEMENT_5].code]]
    assert (agreement.type, agreement.formula1, agreement.formula2) == ("whole", "1", "5")
    assert rules[letters[by_kind[QuestionKind.YES_NO].code]].type == "list"
    assert rules[letters[by_kind[QuestionKind.NUMBER].code]].type == "decimal"
    choice_rule = rules[letters[by_kind[QuestionKind.SINGLE_CHOICE].code]]
    assert choice_rule.type == "list" and "Lists" in choice_rule.formula1
    assert rules["B"].type == "list"
    lists = workbook["Lists"]
    assert lists.sheet_state == "hidden"
    assert {lists.cell(row=row, column=1).value for row in (1, 2)} == {"HG", "MC"}
    assert workbook.worksheets[2].max_row == len(questions) + 1  # the questions sheet


def test_upload_of_the_filled_template_imports_and_submits(staff_client, cast, invited, open_campaign):
    content = template_bytes(staff_client, open_campaign)
    rows = [full_row(open_campaign, invited.code_x, "MC"), full_row(open_campaign, invited.code_y, "HG")]

    response = upload(staff_client, open_campaign, filled(content, rows))

    assert response.status_code == 302
    saved = Response.objects.filter(campaign=open_campaign)
    assert saved.count() == 2
    assert all(r.source == ResponseSource.PAPER and r.submitted_at and r.is_valid for r in saved)
    invited.x.refresh_from_db()
    assert invited.x.submitted_at is not None


def test_upload_with_one_bad_cell_writes_nothing_and_names_row_and_column(staff_client, invited, open_campaign):
    content = template_bytes(staff_client, open_campaign)
    bad = full_row(open_campaign, invited.code_y, "HG")
    agreement = open_campaign.questions.filter(kind=QuestionKind.AGREEMENT_5).order_by("component__position").first()
    bad[agreement.code] = 7
    rows = [full_row(open_campaign, invited.code_x, "MC"), bad]

    response = upload(staff_client, open_campaign, filled(content, rows))

    assert response.status_code == 400
    assert not Response.objects.filter(campaign=open_campaign).exists()
    errors = response.context["cell_errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, agreement.code)]
    assert errors[0]["letter"] == "C"
    html = response.content.decode()
    assert "Nothing was imported" in html and "Choose a level from 1 to 5." in html


def test_re_upload_of_a_code_that_answered_is_refused(staff_client, invited, open_campaign):
    content = template_bytes(staff_client, open_campaign)
    file_rows = [full_row(open_campaign, invited.code_y, "HG")]
    assert upload(staff_client, open_campaign, filled(content, file_rows)).status_code == 302

    again = upload(staff_client, open_campaign, filled(content, file_rows))

    assert again.status_code == 400
    assert [(e["row"], e["column"], e["message"]) for e in again.context["cell_errors"]] == [
        (2, "code", "This code has already answered.")
    ]
    assert Response.objects.filter(campaign=open_campaign).count() == 1


def test_empty_rows_between_answers_and_files_that_are_not_workbooks_are_refused(staff_client, invited, open_campaign):
    content = template_bytes(staff_client, open_campaign)
    rows = [full_row(open_campaign, invited.code_x, "MC"), {}, full_row(open_campaign, invited.code_y, "HG")]

    response = upload(staff_client, open_campaign, filled(content, rows))
    assert "Rows 3 are empty" in response.content.decode()

    not_a_workbook = upload(staff_client, open_campaign, SimpleUploadedFile("answers.xlsx", b"code,unit\n"))
    assert "cannot be read as an Excel workbook" in not_a_workbook.content.decode()
    assert not Response.objects.exists()


def test_paper_pages_are_for_department_staff_only(client, cast, open_campaign):
    client.force_login(cast.users.leader)
    assert client.get(reverse("surveys:paper-template", kwargs={"pk": open_campaign.pk})).status_code == 404


# --- crafted files (core.xlsx_reader) --------------------------------------------------------------------------


def test_answers_given_as_formulas_name_the_cell_and_leave_the_code_unused(staff_client, cast, invited, open_campaign):
    content = template_bytes(staff_client, open_campaign)
    row = full_row(open_campaign, invited.code_x, "MC")
    first_question = open_campaign.questions.order_by("component__position", "position").first()
    row[first_question.code] = "=2+2"

    response = upload(staff_client, open_campaign, filled(content, [row]))

    assert response.status_code == 200
    assert "Cell C2 holds a formula" in response.content.decode()
    assert not Response.objects.filter(campaign=open_campaign).exists()
    invited.x.refresh_from_db()
    assert invited.x.submitted_at is None  # the code can still answer


@pytest.mark.parametrize(
    "name, says",
    [("whole_sheet_declared", "more than"), ("with_dtd", "DTD"), ("far_rows_undeclared", "rows")],
)
def test_crafted_uploads_are_refused_with_a_message(staff_client, open_campaign, name, says):
    from tests.core import crafted_xlsx

    response = upload(staff_client, open_campaign, SimpleUploadedFile("answers.xlsx", getattr(crafted_xlsx, name)()))

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Response.objects.filter(campaign=open_campaign).exists()


def test_a_zip_bomb_upload_is_refused_with_a_message(staff_client, open_campaign):
    from tests.core import crafted_xlsx

    bomb = crafted_xlsx.zip_bomb(150)
    response = upload(staff_client, open_campaign, SimpleUploadedFile("answers.xlsx", bomb))

    assert response.status_code == 200
    assert "once unpacked" in response.content.decode()
