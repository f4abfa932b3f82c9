"""Answering a questionnaire: finding the invitation of a code, reading and saving answers (as often as
the business likes), and submitting them once, when each response is judged."""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import audit
from directory.models import Branch, User

from .. import codes
from ..choices import InvalidReason, QuestionKind, ResponseSource
from ..models import Answer, Campaign, Invitation, Question, Response

# Straight-lining is only meaningful over enough agreement questions.
STRAIGHT_LINING_MIN_ANSWERS = 5
MAX_NUMBER = Decimal("9999999999")

_YES = {"1", "yes", "y", "true", "có", "co", "x"}
_NO = {"0", "no", "n", "false", "không", "khong"}


class SurveyClosed(Exception):
    """The campaign does not accept answers (not open yet, past its close date, or closed)."""

    def __init__(self, campaign: Campaign):
        super().__init__(f"campaign {campaign.pk} is not accepting answers")
        self.campaign = campaign
        self.message = _("This survey is closed. Thank you for your interest.")


class AlreadySubmitted(Exception):
    """The invitation's answers were submitted already: a code is used once."""

    def __init__(self, invitation: Invitation):
        super().__init__(f"invitation {invitation.pk} is already submitted")
        self.invitation = invitation
        self.message = _("This questionnaire has already been submitted. Thank you.")


def invitation_for_code(code: str) -> Invitation | None:
    """The invitation whose code this is, or None. The lookup is by hash: codes are not stored."""
    normalized = codes.normalize_code(code or "")
    if len(normalized) != codes.CODE_LENGTH:
        return None
    return (
        Invitation.objects.select_related("campaign", "campaign__department")
        .filter(code_hash=codes.hash_code(normalized))
        .first()
    )


def mark_opened(invitation: Invitation) -> None:
    """Record the first time the questionnaire was opened (a conditional UPDATE: only the first counts)."""
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


def parse_value(question: Question, raw) -> tuple[Decimal, str]:
    """The stored (value, choice) of a raw answer, or ValidationError with a message for the respondent."""
    text = str(raw).strip()
    kind = question.kind
    if kind == QuestionKind.AGREEMENT_5:
        number = _to_decimal(text)
        if number is None or number != number.to_integral_value() or not 1 <= number <= 5:
            raise ValidationError(_("Choose a level from 1 to 5."))
        return Decimal(int(number)), ""
    if kind == QuestionKind.YES_NO:
        if isinstance(raw, bool):
            return Decimal(int(raw)), ""
        lowered = text.lower()
        if lowered in _YES or lowered == "1.0":
            return Decimal(1), ""
        if lowered in _NO or lowered == "0.0":
            return Decimal(0), ""
        raise ValidationError(_("Answer yes (1) or no (0)."))
    if kind == QuestionKind.NUMBER:
        number = _to_decimal(text)
        if number is None or number < 0 or number > MAX_NUMBER:
            raise ValidationError(_("Enter a number, zero or more."))
        return number.quantize(Decimal("0.01")), ""
    # A single choice: its value code or its label in either language.
    lowered = text.lower()
    for choice in question.choices:
        names = {str(choice["value"]).lower(), choice.get("label_vi", "").lower(), choice.get("label_en", "").lower()}
        if lowered and lowered in names:
            return Decimal(str(choice["score"])), str(choice["value"])
    raise ValidationError(_("Choose one of the options offered."))


def _to_decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _check_can_answer(invitation: Invitation) -> None:
    if invitation.submitted_at is not None:
        raise AlreadySubmitted(invitation)
    if not invitation.campaign.accepts_answers_on(timezone.localdate()):
        raise SurveyClosed(invitation.campaign)


def save_answers(
    invitation: Invitation,
    unit: Branch,
    answers: Mapping[int, Any],
    *,
    source: str = ResponseSource.WEB,
    comment: str | None = None,
) -> Response:
    """Save (part of) a business's answers about one unit; call it as often as needed before submitting.

    `answers` maps question ids to raw values; a blank value clears an answer. Errors are keyed by
    question code and nothing is written when there is one. Raises SurveyClosed, AlreadySubmitted.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("campaign").get(pk=invitation.pk)
        _check_can_answer(invitation)
        if not invitation.unit_links.filter(branch_id=unit.pk).exists():
            raise ValidationError({"unit": _("This questionnaire does not rate that unit.")})
        questions = {question.pk: question for question in invitation.campaign.questions.all()}
        values, cleared, errors = _parse_answers(questions, answers)
        if errors:
            raise ValidationError(dict(errors))
        mark_opened(invitation)
        response, _created = Response.objects.get_or_create(
            invitation=invitation,
            unit=unit,
            defaults={"campaign_id": invitation.campaign_id, "segment": invitation.segment, "source": source},
        )
        store_answers(response, values, cleared)
        if comment is not None:
            response.comment = comment.strip()
            response.save(update_fields=["comment"])
    return response


def _parse_answers(questions: Mapping[int, Question], answers: Mapping[Any, Any]):
    values: dict[int, tuple[Decimal, str]] = {}
    cleared: list[int] = []
    errors: dict[str, list[str]] = defaultdict(list)
    for key, raw in answers.items():
        try:
            question = questions[int(key)]
        except (KeyError, TypeError, ValueError):
            errors[str(key)].append(_("This question is not part of the questionnaire."))
            continue
        if is_blank(raw):
            cleared.append(question.pk)
            continue
        try:
            values[question.pk] = parse_value(question, raw)
        except ValidationError as exc:
            errors[question.code].extend(exc.messages)
    return values, cleared, errors


def store_answers(response: Response, values: Mapping[int, tuple[Decimal, str]], cleared: Iterable[int]) -> None:
    now = timezone.now()
    if cleared:
        response.answers.filter(question_id__in=list(cleared)).delete()
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=question_id, value=value, choice=choice, answered_at=now)
            for question_id, (value, choice) in values.items()
        ],
        update_conflicts=True,
        unique_fields=["response", "question"],
        update_fields=["value", "choice", "answered_at"],
    )


def submit(invitation: Invitation, actor: User | None = None, *, every_required: bool = False) -> list[Response]:
    """Submit the invitation's answers, once. Each response (one per unit answered) is judged: it counts
    when it answers at least `min_completion` of the required questions and is not straight-lined;
    a straight-lined one waits for review_response. Raises SurveyClosed, AlreadySubmitted.

    `every_required` (the web questionnaire): refuse, with a ValidationError naming the unit and the
    questions, while a required question is unanswered about any unit of the invitation. "Required" then
    means what it says to the business; `min_completion` still judges paper answers, which cannot be forced."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("campaign").get(pk=invitation.pk)
        _check_can_answer(invitation)
        # With nothing answered at all, finish_submission's "answer at least one question" says it better.
        if every_required and invitation.responses.exists() and (missing := missing_required(invitation)):
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        _("%(unit)s: answer the required questions %(codes)s before submitting.")
                        % {"unit": unit.name, "codes": ", ".join(codes)}
                        for unit, codes in missing
                    ]
                }
            )
        responses = finish_submission(invitation, timezone.now())
        audit.record(actor, "survey.submitted", invitation, {"responses": len(responses)})
    return responses


def missing_required(invitation: Invitation) -> list[tuple[Branch, list[str]]]:
    """(unit, codes of its unanswered required questions) for each unit of the invitation that has any, in
    the invitation's order of units and the questionnaire's order of questions (three queries)."""
    required = list(
        invitation.campaign.questions.filter(required=True)
        .order_by("component__position", "position", "pk")
        .values_list("pk", "code")
    )
    answered = set(
        Answer.objects.filter(response__invitation=invitation).values_list("response__unit_id", "question_id")
    )
    units = [link.branch for link in invitation.unit_links.select_related("branch").order_by("rank")]
    missing = [(unit, [code for pk, code in required if (unit.pk, pk) not in answered]) for unit in units]
    return [(unit, codes) for unit, codes in missing if codes]


def finish_submission(invitation: Invitation, now: datetime.datetime) -> list[Response]:
    responses = list(invitation.responses.all())
    if not responses:
        raise ValidationError({NON_FIELD_ERRORS: [_("Answer at least one question before submitting.")]})
    judge_responses(invitation.campaign, responses)
    for response in responses:
        response.submitted_at = now
        response.is_valid = not response.invalid_reasons
    Response.objects.bulk_update(
        responses, ["submitted_at", "is_valid", "invalid_reasons", "completion", "flagged_straight_lining"]
    )
    invitation.submitted_at = now
    invitation.save(update_fields=["submitted_at"])
    return responses


def judge_responses(campaign: Campaign, responses: list[Response]) -> None:
    """Set completion, invalid_reasons and the straight-lining flag of each response (two queries)."""
    required = set(campaign.questions.filter(required=True).values_list("pk", flat=True))
    agreement = set(campaign.questions.filter(kind=QuestionKind.AGREEMENT_5).values_list("pk", flat=True))
    answered: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for response_id, question_id, value in Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question_id", "value"
    ):
        answered[response_id][question_id] = value
    for response in responses:
        answers = answered[response.pk]
        completion = Decimal(len(required & answers.keys())) / len(required) if required else Decimal(1)
        response.completion = completion.quantize(Decimal("0.001"))
        reasons = []
        if completion < campaign.min_completion:
            reasons.append(InvalidReason.INCOMPLETE.value)
        agreement_values = [value for question_id, value in answers.items() if question_id in agreement]
        response.flagged_straight_lining = (
            len(agreement_values) >= STRAIGHT_LINING_MIN_ANSWERS and len(set(agreement_values)) == 1
        )
        if response.flagged_straight_lining:
            reasons.append(InvalidReason.STRAIGHT_LINING.value)
        response.invalid_reasons = reasons
