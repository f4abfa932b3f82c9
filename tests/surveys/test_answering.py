import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.choices import InvalidReason, QuestionKind, ResponseSource
from surveys.models import Answer, Response
from surveys.services import answering, campaigns, review

from .conftest import full_answers, questions_by_kind


def test_save_answers_keeps_progress_and_submit_counts_a_complete_response(cast, invited, open_campaign):
    questions = list(open_campaign.questions.all())
    answers = full_answers(open_campaign)
    half = {q.pk: answers[q.pk] for q in questions[:20]}
    rest = {q.pk: answers[q.pk] for q in questions[20:]}

    answering.save_answers(invited.x, cast.branch_a, half)
    invited.x.refresh_from_db()
    assert invited.x.opened_at is not None and invited.x.submitted_at is None
    response = answering.save_answers(invited.x, cast.branch_a, rest, comment="  Thủ tục nhanh.  ")
    assert response.answers.count() == 40
    assert response.comment == "Thủ tục nhanh."

    [submitted] = answering.submit(invited.x)
    assert submitted.is_valid and submitted.invalid_reasons == [] and submitted.completion == Decimal("1.000")
    assert submitted.source == ResponseSource.WEB and submitted.segment == invited.x.segment
    hours = Answer.objects.get(response=submitted, question__code="C3.1")
    assert hours.value == Decimal("2.50")  # decimal comma read as a decimal point
    choice = Answer.objects.get(response=submitted, question__code="C6.5")
    assert (choice.choice, choice.value) == ("very_satisfied", Decimal(5))


def test_save_answers_again_replaces_and_a_blank_clears(cast, invited, open_campaign):
    question = questions_by_kind(open_campaign).agreement[0]
    answering.save_answers(invited.x, cast.branch_a, {question.pk: 2})
    answering.save_answers(invited.x, cast.branch_a, {question.pk: "5"})
    assert Answer.objects.get(question=question).value == 5
    answering.save_answers(invited.x, cast.branch_a, {question.pk: ""})
    assert not Answer.objects.filter(question=question).exists()


def test_save_answers_with_invalid_values_reports_by_question_code_and_saves_nothing(cast, invited, open_campaign):
    kinds = questions_by_kind(open_campaign)
    bad = {
        kinds.agreement[0].pk: 6,
        kinds.yes_no[0].pk: "maybe",
        kinds.number[0].pk: -1,
        kinds.choice[0].pk: "not-an-option",
        kinds.agreement[1].pk: 4,  # valid, but nothing is written when anything is wrong
    }
    with pytest.raises(ValidationError) as error:
        answering.save_answers(invited.x, cast.branch_a, bad)
    assert set(error.value.message_dict) == {
        kinds.agreement[0].code,
        kinds.yes_no[0].code,
        kinds.number[0].code,
        kinds.choice[0].code,
    }
    assert not Response.objects.exists()


def test_save_answers_about_a_unit_not_in_the_invitation_is_refused(cast, invited, open_campaign):
    with pytest.raises(ValidationError) as error:
        answering.save_answers(invited.y, cast.branch_a, full_answers(open_campaign))
    assert "unit" in error.value.message_dict


def test_answers_from_another_campaign_are_refused(cast, invited, open_campaign):
    other = campaigns.create_campaign(cast.department, 2024, actor=cast.users.staff)
    foreign = other.questions.first()
    with pytest.raises(ValidationError) as error:
        answering.save_answers(invited.x, cast.branch_a, {foreign.pk: 3})
    assert str(foreign.pk) in error.value.message_dict


def test_submit_twice_is_refused_and_answers_cannot_change_after(cast, invited, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))
    answering.submit(invited.x)
    with pytest.raises(answering.AlreadySubmitted):
        answering.submit(invited.x)
    with pytest.raises(answering.AlreadySubmitted):
        answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))


def test_submit_with_nothing_answered_is_refused(invited):
    with pytest.raises(ValidationError):
        answering.submit(invited.x)


def test_answering_after_the_close_date_says_closed(cast, invited, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))
    open_campaign.close_on = timezone.localdate() - datetime.timedelta(days=1)
    open_campaign.open_on = open_campaign.close_on - datetime.timedelta(days=30)
    open_campaign.save()
    with pytest.raises(answering.SurveyClosed) as error:
        answering.submit(invited.x)
    assert "closed" in str(error.value.message)
    with pytest.raises(answering.SurveyClosed):
        answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))
    invited.x.refresh_from_db()
    assert invited.x.submitted_at is None


def test_answering_a_closed_campaign_says_closed(cast, invited, open_campaign):
    campaigns.close_campaign(open_campaign, actor=cast.users.staff, reason="Đủ phản hồi")
    with pytest.raises(answering.SurveyClosed):
        answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))


def test_business_rates_each_of_its_units_in_its_own_response(cast, invited, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))
    answering.save_answers(invited.x, cast.branch_b, full_answers(open_campaign))
    responses = answering.submit(invited.x)
    assert {r.unit_id for r in responses} == {cast.branch_a.pk, cast.branch_b.pk}
    duplicate = Response(invitation=invited.x, campaign=open_campaign, segment="in_province", unit=cast.branch_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_response_below_minimum_completion_is_invalid_with_its_reason(cast, invited, open_campaign):
    required = list(open_campaign.questions.filter(required=True).order_by("pk"))
    answers = full_answers(open_campaign)
    share = int(len(required) * 0.8) - 1  # one short of 80%
    answering.save_answers(invited.x, cast.branch_a, {q.pk: answers[q.pk] for q in required[:share]})
    [response] = answering.submit(invited.x)
    assert not response.is_valid
    assert response.invalid_reasons == [InvalidReason.INCOMPLETE]
    assert response.completion < Decimal("0.8")


def test_response_at_exactly_minimum_completion_counts(cast, invited, open_campaign):
    required = list(open_campaign.questions.filter(required=True).order_by("pk"))
    if len(required) % 2:
        required.pop().delete()
    answers = full_answers(open_campaign)
    open_campaign.min_completion = Decimal("0.50")
    open_campaign.save()
    half = len(required) // 2
    assert half * 2 == len(required)
    answering.save_answers(invited.x, cast.branch_a, {q.pk: answers[q.pk] for q in required[:half]})
    [response] = answering.submit(invited.x)
    assert response.is_valid


def test_straight_lining_is_flagged_not_counted_until_reviewed(cast, invited, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign, varied=False))
    answering.save_answers(invited.y, cast.branch_b, full_answers(open_campaign, varied=False))
    [x_response] = answering.submit(invited.x)
    [y_response] = answering.submit(invited.y)
    assert x_response.flagged_straight_lining and not x_response.is_valid
    assert x_response.invalid_reasons == [InvalidReason.STRAIGHT_LINING]

    accepted = review.review_response(x_response, True, actor=cast.users.staff)
    assert accepted.is_valid and accepted.invalid_reasons == [] and accepted.reviewed_by == cast.users.staff
    rejected = review.review_response(y_response, False, actor=cast.users.staff)
    assert not rejected.is_valid and rejected.invalid_reasons == [InvalidReason.REJECTED]
    with pytest.raises(ValidationError):
        review.review_response(y_response, True, actor=cast.users.staff)


def test_four_identical_agreement_answers_are_not_straight_lining(cast, invited, open_campaign):
    agreement = questions_by_kind(open_campaign).agreement
    answers = full_answers(open_campaign)
    for question in agreement[:4]:
        answers[question.pk] = 3
    for question in agreement[4:]:
        answers[question.pk] = ""
    open_campaign.min_completion = Decimal("0.10")
    open_campaign.save()
    answering.save_answers(invited.x, cast.branch_a, answers)
    [response] = answering.submit(invited.x)
    assert not response.flagged_straight_lining and response.is_valid


@pytest.mark.parametrize("user", ["leader", "officer", "business"])
def test_review_by_anyone_but_department_staff_is_refused(cast, invited, open_campaign, user):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign, varied=False))
    [response] = answering.submit(invited.x)
    with pytest.raises(PermissionDenied):
        review.review_response(response, True, actor=getattr(cast.users, user))


def test_parse_value_by_kind(open_campaign):
    kinds = questions_by_kind(open_campaign)
    assert answering.parse_value(kinds.yes_no[0], "Có") == (Decimal(1), "")
    assert answering.parse_value(kinds.yes_no[0], False) == (Decimal(0), "")
    assert answering.parse_value(kinds.number[0], "0") == (Decimal("0.00"), "")
    label = kinds.choice[0].choices[1]["label_vi"]
    assert answering.parse_value(kinds.choice[0], label)[1] == kinds.choice[0].choices[1]["value"]
    for bad in ("3.5", "0", "abc", "NaN"):
        with pytest.raises(ValidationError):
            answering.parse_value(kinds.agreement[0], bad)
    assert kinds.agreement[0].kind == QuestionKind.AGREEMENT_5
