import pytest
from django.core.exceptions import PermissionDenied

from surveys import codes
from surveys.choices import ResponseSource
from surveys.models import Answer, Response
from surveys.services import answering, paper

from .conftest import full_answers, questions_by_kind


def _row(campaign, code, unit, **overrides):
    row = {"code": code, "unit": unit.code}
    questions = {q.pk: q.code for q in campaign.questions.all()}
    row.update({questions[pk]: value for pk, value in full_answers(campaign).items()})
    row.update(overrides)
    return row


def test_paper_import_stores_and_submits_each_response(cast, invited, open_campaign):
    rows = [
        _row(open_campaign, codes.format_code(invited.code_x), cast.branch_a, comment="Cần hướng dẫn rõ hơn."),
        _row(open_campaign, invited.code_x.lower(), cast.branch_b),
        _row(open_campaign, invited.code_y, cast.branch_b),
    ]
    responses = paper.import_paper_responses(open_campaign, rows, actor=cast.users.staff)

    assert len(responses) == 3
    assert all(r.source == ResponseSource.PAPER and r.is_valid and r.submitted_at for r in responses)
    assert Answer.objects.filter(response__in=responses).count() == 3 * 40
    invited.x.refresh_from_db()
    assert invited.x.submitted_at is not None
    assert Response.objects.get(invitation=invited.x, unit=cast.branch_a).comment == "Cần hướng dẫn rõ hơn."


def test_paper_import_replaces_unsent_web_progress(cast, invited, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, {open_campaign.questions.first().pk: 1})
    paper.import_paper_responses(
        open_campaign, [_row(open_campaign, invited.code_x, cast.branch_a)], actor=cast.users.staff
    )
    response = Response.objects.get(invitation=invited.x)
    assert response.source == ResponseSource.PAPER and response.answers.count() == 40


def test_paper_import_with_errors_writes_nothing_and_names_row_and_column(cast, invited, open_campaign):
    kinds = questions_by_kind(open_campaign)
    rows = [
        _row(open_campaign, invited.code_x, cast.branch_a),  # row 2: fine
        _row(open_campaign, invited.code_y, cast.branch_b, **{kinds.agreement[0].code: 7}),  # row 3
        _row(open_campaign, "NOPE", cast.branch_a),  # row 4
        _row(open_campaign, invited.code_y, cast.branch_a),  # row 5: Y was not asked about A
        _row(open_campaign, invited.code_x, cast.branch_a, X9="1"),  # row 6: twice, and an unknown column
    ]
    with pytest.raises(paper.PaperImportError) as error:
        paper.import_paper_responses(open_campaign, rows, actor=cast.users.staff)

    cells = {(cell.row, cell.column) for cell in error.value.cells}
    assert cells == {(3, kinds.agreement[0].code), (4, "code"), (5, "unit"), (6, "code"), (6, "X9")}
    assert any(message.startswith("Row 3, column " + kinds.agreement[0].code) for message in error.value.messages)
    assert not Response.objects.exists()
    invited.x.refresh_from_db()
    assert invited.x.submitted_at is None


def test_paper_import_refuses_a_code_that_already_answered(cast, invited, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))
    answering.submit(invited.x)
    rows = [
        _row(open_campaign, invited.code_y, cast.branch_b),
        _row(open_campaign, invited.code_x, cast.branch_b),
    ]
    with pytest.raises(paper.PaperImportError) as error:
        paper.import_paper_responses(open_campaign, rows, actor=cast.users.staff)
    assert [(cell.row, cell.column) for cell in error.value.cells] == [(3, "code")]
    assert not Response.objects.filter(invitation=invited.y).exists()


def test_paper_import_by_a_branch_leader_is_refused(cast, invited, open_campaign):
    with pytest.raises(PermissionDenied):
        paper.import_paper_responses(
            open_campaign, [_row(open_campaign, invited.code_x, cast.branch_a)], actor=cast.users.leader
        )
