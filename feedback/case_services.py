"""State changes of dissatisfaction cases: open, assign, find, explain, conclude, answer, accept, dispute,
and the scheduled ones (escalate overdue cases, close answered ones, remind before the due date).

Every function is one transaction that locks the case row (SELECT ... FOR UPDATE) before it reads the
status, checks the actor's right to this step itself (PermissionDenied) and the step's rules
(ValidationError keyed by field, or InvalidTransition when the case is not in a state for it), appends
a CaseEvent and queues its e-mails in the outbox, so a rollback takes the mail with it. Pages, the API,
the admin and Celery tasks call these and nothing else.

Who may do what (a user rated 1 or 2 in the case may only explain, whatever their role):
- assign: the leader of the case's branch, department staff of its department, an administrator;
- record findings: the assigned verifier, or anyone who may conclude;
- explain: an officer rated 1 or 2 in the case, once;
- conclude and answer: the leader of the case's branch, an administrator, and department staff once the
  case is escalated (the department takes over what the branch let slip);
- accept and dispute: a business user acting for the case's business.
"""

import datetime
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core import clock
from core.workdays import add_working_days, working_days_between
from directory import outbox
from directory.choices import Role
from directory.models import Branch, BusinessMembership, Team, User

from .choices import (
    DISSATISFIED_LEVELS,
    SYSTEM_ROLE,
    CaseAction,
    CaseClosure,
    CaseConclusion,
    CaseStatus,
)
from .models import CaseEvent, DepartmentCasePolicy, DissatisfactionCase, OfficerExplanation, Rating, RatingOfficer

TEXT_MAX_LENGTH = 5000
# How many working days ahead of the due date the leader is reminded.
DUE_SOON_WORKING_DAYS = 2


class InvalidTransition(ValidationError):
    """The case is not in a state where this step is possible (the API answers 409)."""


# --- dates ----------------------------------------------------------------------------------------


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last instant of `day` in Asia/Ho_Chi_Minh: a deadline on a day runs to its end."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max), timezone.get_default_timezone())


def due_working_days(department_id: int) -> int:
    days = (
        DepartmentCasePolicy.objects.filter(department_id=department_id)
        .values_list("due_working_days", flat=True)
        .first()
    )
    days = days if days is not None else settings.CASE_DUE_WORKING_DAYS
    if not isinstance(days, int) or days < 1:
        raise ImproperlyConfigured("CASE_DUE_WORKING_DAYS must be a whole number of at least 1.")
    return days


def due_at_for(opened_at: datetime.datetime, working_days: int) -> datetime.datetime:
    """The end of the `working_days`-th working day after the day of `opened_at` (the opening day never counts)."""
    return end_of_day(add_working_days(local_date(opened_at), working_days))


def due_soon_horizon(now: datetime.datetime) -> datetime.datetime:
    """Cases due before this moment are "due soon": within DUE_SOON_WORKING_DAYS working days from today."""
    return end_of_day(add_working_days(local_date(now), DUE_SOON_WORKING_DAYS))


def dispute_deadline(case: DissatisfactionCase) -> datetime.datetime | None:
    if case.answered_at is None:
        return None
    return case.answered_at + datetime.timedelta(days=settings.CASE_DISPUTE_DAYS)


# --- who is who -------------------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _is_branch_leader(user, case: DissatisfactionCase) -> bool:
    return _active(user) and user.role == Role.BRANCH_LEADER and user.branch_id == case.branch_id


def _is_department_staff(user, case: DissatisfactionCase) -> bool:
    return _active(user) and user.role == Role.DEPARTMENT_STAFF and user.department_id == case.branch.department_id


def may_assign(user, case: DissatisfactionCase) -> bool:
    return _active(user) and (
        user.is_administrator or _is_branch_leader(user, case) or _is_department_staff(user, case)
    )


def may_conclude(user, case: DissatisfactionCase) -> bool:
    """Conclude and answer: the branch leader; the department once the case is escalated; administrators."""
    return _active(user) and (
        user.is_administrator
        or _is_branch_leader(user, case)
        or (case.escalated_at is not None and _is_department_staff(user, case))
    )


def may_record_findings(user, case: DissatisfactionCase) -> bool:
    return (_active(user) and case.assigned_to_id == user.pk) or may_conclude(user, case)


def acts_for_business(user, case: DissatisfactionCase) -> bool:
    return (
        _active(user)
        and user.role == Role.BUSINESS
        and BusinessMembership.objects.filter(user=user, business_id=case.business_id).exists()
    )


def rated_officer_ids(case: DissatisfactionCase) -> set[int]:
    """Officers rated 1 or 2 in the case, as the rating says now (a correction may have changed it)."""
    return set(
        RatingOfficer.objects.filter(rating_id=case.rating_id, level__in=DISSATISFIED_LEVELS).values_list(
            "officer_id", flat=True
        )
    )


def _refuse_rated_officer(user, case: DissatisfactionCase) -> None:
    if user.officer_id is not None and user.officer_id in rated_officer_ids(case):
        raise PermissionDenied(_("You were rated in this case: you may add your explanation, nothing else."))


def eligible_verifiers(case: DissatisfactionCase):
    """Users who may verify the case: active team leaders and leaders of its branch, not rated in it."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=Role.TEAM_LEADER, team__branch_id=case.branch_id)
            | Q(role=Role.BRANCH_LEADER, branch_id=case.branch_id)
        )
        .exclude(officer_id__in=rated_officer_ids(case))
        .order_by("role", "last_name", "first_name", "username")
    )


# --- the trail and the mail ----------------------------------------------------------------------


def _record(
    case: DissatisfactionCase, actor, action: str, text: str = "", details: dict | None = None, *, now=None
) -> CaseEvent:
    if actor is None:
        role = SYSTEM_ROLE
    else:
        role = Role.ADMINISTRATOR if actor.is_administrator else actor.role
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        actor_role=role,
        action=action,
        text=text,
        details=details or {},
        created_at=now or clock.now(),
    )


def case_url(case: DissatisfactionCase) -> str:
    try:
        path = reverse("feedback:case-detail", args=[case.pk])
    except NoReverseMatch:  # the case pages are not mounted (yet): the API still shows the case
        path = reverse("case-detail", args=[case.pk])
    return f"{settings.SITE_URL}{path}"


def _notify(
    users: Iterable[User],
    kind: str,
    key: str,
    render: Callable[[], tuple[str, str]],
) -> int:
    """Queue one e-mail per user, rendered by `render()` in that user's language; `key` makes it unique."""
    drafts = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = render()
        drafts.append(outbox.Draft(user, kind, subject, body, dedup_key=f"{key}:{user.pk}"[:120]))
    return outbox.enqueue_many(drafts)


def _branch_leaders(case: DissatisfactionCase):
    return User.objects.filter(role=Role.BRANCH_LEADER, branch_id=case.branch_id, is_active=True)


def _department_staff(case: DissatisfactionCase):
    return User.objects.filter(role=Role.DEPARTMENT_STAFF, department_id=case.branch.department_id, is_active=True)


def _business_users(case: DissatisfactionCase):
    return User.objects.filter(
        role=Role.BUSINESS, is_active=True, business_memberships__business_id=case.business_id
    ).distinct()


def _date(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def _facts(case: DissatisfactionCase) -> dict[str, str]:
    return {
        "number": case.rating.declaration.number,
        "branch": case.branch.name,
        "due": _date(case.due_at),
        "url": case_url(case),
    }


# --- opening ------------------------------------------------------------------------------------------


def _dissatisfied_items(rating: Rating, branch_name: str) -> list[dict]:
    items: list[dict] = []
    if rating.branch_level in DISSATISFIED_LEVELS:
        items.append(
            {
                "kind": "branch",
                "id": rating.branch_id,
                "name": branch_name,
                "level": rating.branch_level,
                "reasons": list(rating.branch_reasons),
            }
        )
    if rating.team_id is not None and rating.team_level in DISSATISFIED_LEVELS:
        team = Team.objects.only("name", "code").get(pk=rating.team_id)
        items.append(
            {
                "kind": "team",
                "id": rating.team_id,
                "code": team.code,
                "name": team.name,
                "level": rating.team_level,
                "reasons": list(rating.team_reasons),
            }
        )
    officer_rows = (
        RatingOfficer.objects.filter(rating=rating, level__in=DISSATISFIED_LEVELS)
        .select_related("officer")
        .order_by("id")
    )
    for row in officer_rows:
        items.append(
            {
                "kind": "officer",
                "officer_id": row.officer_id,
                "code": row.officer.code,
                "name": row.officer.full_name,
                "level": row.level,
                "reasons": list(row.reasons),
            }
        )
    return items


def open_case(rating: Rating, *, now: datetime.datetime | None = None) -> DissatisfactionCase:
    """Open the case of a dissatisfied rating (inside the rating's own transaction) and tell the branch leaders.

    Opening twice returns the existing case: a rating has at most one (UNIQUE).
    """
    with transaction.atomic():
        existing = DissatisfactionCase.objects.filter(rating_id=rating.pk).first()
        if existing is not None:
            return existing
        now = now or clock.now()
        branch = Branch.objects.only("name", "department_id").get(pk=rating.branch_id)
        case = DissatisfactionCase.objects.create(
            rating=rating,
            branch=branch,
            team_id=rating.team_id,
            business_id=rating.business_id,
            status=CaseStatus.NEW,
            items=_dissatisfied_items(rating, branch.name),
            opened_at=now,
            due_at=due_at_for(now, due_working_days(branch.department_id)),
        )
        event = _record(case, rating.submitted_by, CaseAction.OPENED, rating.comment, now=now)
        facts = _facts(case)

        def render():
            subject = _("New complaint on declaration %(number)s") % facts
            body = "\n".join(
                [
                    _("A business is dissatisfied with declaration %(number)s at %(branch)s.") % facts,
                    _("The case must be answered by %(due)s.") % facts,
                    "",
                    _("Open the case: %(url)s") % facts,
                ]
            )
            return subject, body

        _notify(_branch_leaders(case), "case_opened", f"case-event:{event.pk}", render)
    return case


# --- the workflow -------------------------------------------------------------------------------------


def _lock(case: DissatisfactionCase) -> DissatisfactionCase:
    # of=("self",): lock the case row only, not the branch and declaration read with it.
    return (
        DissatisfactionCase.objects.select_for_update(of=("self",))
        .select_related("branch", "rating__declaration")
        .get(pk=case.pk)
    )


def _required_text(value, field: str, missing_message: str) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: [_("This must be text.")]})
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [missing_message]})
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError(
            {
                field: [
                    _("The text has %(length)s characters; at most %(max)s are allowed.")
                    % {"length": len(text), "max": TEXT_MAX_LENGTH}
                ]
            }
        )
    return text


def _optional_text(value, field: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return _required_text(value, field, "")


def _user_name(user: User) -> str:
    return user.get_full_name() or user.username


def assign(case: DissatisfactionCase, verifier: User, actor: User) -> DissatisfactionCase:
    """Give the case to a verifier of its branch (a team leader or a leader); it may be reassigned until concluded."""
    with transaction.atomic():
        case = _lock(case)
        if not may_assign(actor, case):
            raise PermissionDenied(_("Only the leader of the case's branch or the department can assign a verifier."))
        _refuse_rated_officer(actor, case)
        if case.status not in (CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.VERIFYING):
            raise InvalidTransition(_("A verifier can be assigned only before the case is concluded."))
        if not eligible_verifiers(case).filter(pk=getattr(verifier, "pk", None)).exists():
            raise ValidationError(
                {
                    "verifier": [
                        _("The verifier must be an active team leader or leader of this branch, not rated in it.")
                    ]
                }
            )
        if case.assigned_to_id == verifier.pk:
            raise ValidationError({"verifier": [_("The case is already assigned to this verifier.")]})
        now = clock.now()
        case.assigned_to = verifier
        case.assigned_at = now
        if case.status == CaseStatus.NEW:
            case.status = CaseStatus.ASSIGNED
        case.save(update_fields=["assigned_to", "assigned_at", "status", "updated_at"])
        event = _record(
            case, actor, CaseAction.ASSIGNED, details={"verifier_id": verifier.pk, "verifier": _user_name(verifier)}
        )
        facts = _facts(case)

        def render():
            subject = _("Complaint on declaration %(number)s assigned to you") % facts
            body = "\n".join(
                [
                    _("You are asked to verify the complaint on declaration %(number)s at %(branch)s.") % facts,
                    _("The case must be answered by %(due)s.") % facts,
                    "",
                    _("Open the case: %(url)s") % facts,
                ]
            )
            return subject, body

        _notify([verifier], "case_assigned", f"case-event:{event.pk}", render)
    return case


def record_findings(case: DissatisfactionCase, text: str, actor: User) -> DissatisfactionCase:
    """The verifier's (or a leader's) findings; recording them again replaces them, the trail keeps each."""
    text = _required_text(text, "findings", _("Write the findings."))
    with transaction.atomic():
        case = _lock(case)
        if not may_record_findings(actor, case):
            raise PermissionDenied(_("Only the assigned verifier or the branch leader can record findings."))
        _refuse_rated_officer(actor, case)
        if case.status not in (CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.VERIFYING):
            raise InvalidTransition(_("Findings can be recorded only before the case is concluded."))
        case.findings = text
        case.findings_at = clock.now()
        case.status = CaseStatus.VERIFYING
        case.save(update_fields=["findings", "findings_at", "status", "updated_at"])
        _record(case, actor, CaseAction.FINDINGS, text)
    return case


def add_officer_explanation(case: DissatisfactionCase, text: str, actor: User) -> OfficerExplanation:
    """A rated officer's explanation, once per officer and case, before the case is concluded."""
    text = _required_text(text, "explanation", _("Write your explanation."))
    with transaction.atomic():
        case = _lock(case)
        if not (_active(actor) and actor.officer_id is not None and actor.officer_id in rated_officer_ids(case)):
            raise PermissionDenied(_("Only an officer rated 1 or 2 in this case can add an explanation."))
        if case.status not in (CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.VERIFYING):
            raise InvalidTransition(_("The case is concluded; explanations are no longer taken."))
        if OfficerExplanation.objects.filter(case=case, officer_id=actor.officer_id).exists():
            raise ValidationError({"explanation": [_("You have already explained this case.")]})
        explanation = OfficerExplanation.objects.create(
            case=case, officer_id=actor.officer_id, author=actor, text=text, created_at=clock.now()
        )
        _record(case, actor, CaseAction.EXPLANATION, text, details={"officer_id": actor.officer_id})
        case.save(update_fields=["updated_at"])
    return explanation


def conclude(
    case: DissatisfactionCase, category: str, corrective_action: str, internal_note: str, actor: User
) -> DissatisfactionCase:
    """The leader's conclusion: substantiated, partly or not; a corrective action when (partly) substantiated."""
    errors: dict[str, list[str]] = {}
    if category not in CaseConclusion.values:
        errors["conclusion"] = [
            _("Choose the conclusion among %(choices)s.") % {"choices": ", ".join(CaseConclusion.values)}
        ]
    try:
        corrective_action = _optional_text(corrective_action, "corrective_action")
        if not corrective_action and category in (CaseConclusion.SUBSTANTIATED, CaseConclusion.PARTLY):
            errors["corrective_action"] = [_("Say what is done about a substantiated complaint.")]
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        internal_note = _optional_text(internal_note, "internal_note")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    with transaction.atomic():
        case = _lock(case)
        if not may_conclude(actor, case):
            raise PermissionDenied(_("Only the leader of the case's branch can conclude it."))
        _refuse_rated_officer(actor, case)
        if case.status in (CaseStatus.NEW, CaseStatus.ASSIGNED):
            raise InvalidTransition(_("Record the findings before concluding."))
        if case.status not in (CaseStatus.VERIFYING, CaseStatus.CONCLUDED):
            raise InvalidTransition(_("The case has been answered; its conclusion can no longer change."))
        if errors:
            raise ValidationError(errors)
        case.conclusion = category
        case.corrective_action = corrective_action
        case.internal_note = internal_note
        case.concluded_at = clock.now()
        case.status = CaseStatus.CONCLUDED
        case.save(
            update_fields=["conclusion", "corrective_action", "internal_note", "concluded_at", "status", "updated_at"]
        )
        _record(
            case,
            actor,
            CaseAction.CONCLUDED,
            corrective_action,
            details={"conclusion": category, "internal_note": internal_note},
        )
    return case


def answer(case: DissatisfactionCase, text: str, actor: User, *, now: datetime.datetime | None = None):
    """The written answer to the business, which it is told about by e-mail; the first one counts for the deadline."""
    text = _required_text(text, "answer", _("Write the answer to the business."))
    with transaction.atomic():
        case = _lock(case)
        if not may_conclude(actor, case):
            raise PermissionDenied(_("Only the leader of the case's branch can answer the business."))
        _refuse_rated_officer(actor, case)
        if case.status != CaseStatus.CONCLUDED:
            raise InvalidTransition(_("Conclude the case before answering the business."))
        now = now or clock.now()
        case.answer = text
        case.answered_at = now
        if case.first_answered_at is None:
            case.first_answered_at = now
            case.answer_working_days = max(working_days_between(local_date(case.opened_at), local_date(now)), 0)
        case.status = CaseStatus.ANSWERED
        case.save(
            update_fields=["answer", "answered_at", "first_answered_at", "answer_working_days", "status", "updated_at"]
        )
        event = _record(case, actor, CaseAction.ANSWERED, text, now=now)
        facts = {**_facts(case), "days": settings.CASE_DISPUTE_DAYS}

        def render():
            subject = _("Answer to your complaint on declaration %(number)s") % facts
            body = "\n".join(
                [
                    _("%(branch)s has answered your complaint on declaration %(number)s:") % facts,
                    "",
                    text,
                    "",
                    _("You may accept the answer, or dispute it once within %(days)s days: %(url)s") % facts,
                ]
            )
            return subject, body

        _notify(_business_users(case), "case_answered", f"case-event:{event.pk}", render)
    return case


def accept(case: DissatisfactionCase, actor: User) -> DissatisfactionCase:
    """The business accepts the answer: the case closes."""
    with transaction.atomic():
        case = _lock(case)
        if not acts_for_business(actor, case):
            raise PermissionDenied(_("Only the business that complained can accept the answer."))
        if case.status != CaseStatus.ANSWERED:
            raise InvalidTransition(_("Only an answered case can be accepted."))
        now = clock.now()
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        case.closed_how = CaseClosure.ACCEPTED
        case.save(update_fields=["status", "closed_at", "closed_how", "updated_at"])
        _record(case, actor, CaseAction.ACCEPTED, now=now)
    return case


def dispute(
    case: DissatisfactionCase, reason: str, actor: User, *, now: datetime.datetime | None = None
) -> DissatisfactionCase:
    """The business disputes the answer (once, within CASE_DISPUTE_DAYS): the case reopens and escalates."""
    reason = _required_text(reason, "reason", _("Say why you dispute the answer."))
    with transaction.atomic():
        case = _lock(case)
        if not acts_for_business(actor, case):
            raise PermissionDenied(_("Only the business that complained can dispute the answer."))
        if case.disputed_at is not None:
            raise InvalidTransition(_("This case has already been disputed once."))
        if case.status != CaseStatus.ANSWERED:
            raise InvalidTransition(_("Only an answered case can be disputed."))
        now = now or clock.now()
        if now > dispute_deadline(case):
            raise InvalidTransition(
                _("An answer can be disputed within %(days)s days; that time is over.")
                % {"days": settings.CASE_DISPUTE_DAYS}
            )
        case.status = CaseStatus.VERIFYING
        case.disputed_at = now
        case.dispute_reason = reason
        fields = ["status", "disputed_at", "dispute_reason", "updated_at"]
        if case.escalated_at is None:
            case.escalated_at = now
            fields.append("escalated_at")
        case.save(update_fields=fields)
        _record(case, actor, CaseAction.DISPUTED, reason, now=now)
        event = _record(case, None, CaseAction.ESCALATED, details={"why": "disputed"}, now=now)
        _notify_escalation(case, event, disputed=True)
        facts = _facts(case)

        def render():
            subject = _("The answer on declaration %(number)s is disputed") % facts
            body = "\n".join(
                [
                    _("The business disputes the answer on declaration %(number)s; the case is open again.") % facts,
                    "",
                    reason,
                    "",
                    _("Open the case: %(url)s") % facts,
                ]
            )
            return subject, body

        leaders_and_verifier = list(_branch_leaders(case))
        if case.assigned_to_id and case.assigned_to_id not in {user.pk for user in leaders_and_verifier}:
            leaders_and_verifier.append(case.assigned_to)
        _notify(leaders_and_verifier, "case_disputed", f"case-event:{event.pk}", render)
    return case


def _notify_escalation(case: DissatisfactionCase, event: CaseEvent, *, disputed: bool) -> None:
    facts = _facts(case)

    def render():
        subject = _("Complaint on declaration %(number)s escalated to the department") % facts
        why = (
            _("The business disputed the answer of %(branch)s.")
            if disputed
            else _("%(branch)s has not answered it by the due date, %(due)s.")
        )
        body = "\n".join(
            [
                _("The complaint on declaration %(number)s is escalated to the department.") % facts,
                why % facts,
                "",
                _("Open the case: %(url)s") % facts,
            ]
        )
        return subject, body

    _notify(_department_staff(case), "case_escalated", f"case-event:{event.pk}", render)


# --- scheduled steps (Celery beat): idempotent, safe to run twice or at the same time ---------------


def escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Escalate each open case past its due date that is not escalated yet; returns how many.

    Each case is claimed by a conditional UPDATE (... WHERE escalated_at IS NULL AND still open and
    overdue): of two concurrent runs only one gets the row, and a case answered meanwhile is skipped.
    """
    now = now or clock.now()
    candidates = list(
        DissatisfactionCase.objects.overdue(now).filter(escalated_at__isnull=True).values_list("pk", flat=True)
    )
    escalated = 0
    for pk in candidates:
        with transaction.atomic():
            claimed = (
                DissatisfactionCase.objects.overdue(now)
                .filter(pk=pk, escalated_at__isnull=True)
                .update(escalated_at=now, updated_at=now)
            )
            if not claimed:
                continue
            case = DissatisfactionCase.objects.select_related("branch", "rating__declaration").get(pk=pk)
            event = _record(case, None, CaseAction.ESCALATED, details={"why": "overdue"}, now=now)
            _notify_escalation(case, event, disputed=False)
            escalated += 1
    return escalated


def close_answered_cases(*, now: datetime.datetime | None = None) -> int:
    """Close the cases answered more than CASE_DISPUTE_DAYS ago that the business neither accepted nor disputed."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=settings.CASE_DISPUTE_DAYS)
    answered = DissatisfactionCase.objects.filter(status=CaseStatus.ANSWERED, answered_at__lte=cutoff)
    closed = 0
    for pk in list(answered.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = answered.filter(pk=pk).update(
                status=CaseStatus.CLOSED, closed_at=now, closed_how=CaseClosure.AUTO, updated_at=now
            )
            if claimed:
                _record(DissatisfactionCase(pk=pk), None, CaseAction.CLOSED, details={"how": CaseClosure.AUTO}, now=now)
                closed += 1
    return closed


def send_due_soon_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind the branch leaders (and the verifier) of each open case due within two working days, once per case."""
    now = now or clock.now()
    due_soon = DissatisfactionCase.objects.still_open().filter(
        reminded_at__isnull=True, due_at__gte=now, due_at__lte=due_soon_horizon(now)
    )
    reminded = 0
    for pk in list(due_soon.values_list("pk", flat=True)):
        with transaction.atomic():
            if not due_soon.filter(pk=pk).update(reminded_at=now, updated_at=now):
                continue
            case = DissatisfactionCase.objects.select_related("branch", "rating__declaration", "assigned_to").get(pk=pk)
            _record(case, None, CaseAction.REMINDED, now=now)
            facts = _facts(case)

            def render(facts=facts):
                subject = _("Complaint on declaration %(number)s is due on %(due)s") % facts
                body = "\n".join(
                    [
                        _("The complaint on declaration %(number)s at %(branch)s must be answered by %(due)s.") % facts,
                        "",
                        _("Open the case: %(url)s") % facts,
                    ]
                )
                return subject, body

            recipients = list(_branch_leaders(case))
            if case.assigned_to and case.assigned_to.is_active and case.assigned_to not in recipients:
                recipients.append(case.assigned_to)
            _notify(recipients, "case_due_soon", f"case-due-soon:{pk}", render)
            reminded += 1
    return reminded
