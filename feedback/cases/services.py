"""State changes of dissatisfaction cases: open, assign, find, explain, conclude, answer, accept, dispute.

Every function is one transaction that locks the case row (SELECT ... FOR UPDATE) before it reads the
status, checks the actor's right to this step itself (PermissionDenied, by feedback.cases.rules) and the
step's rules (ValidationError keyed by field, or InvalidTransition when the case is not in a state for
it), appends a CaseEvent and queues its e-mails in the outbox, so a rollback takes the mail with it.
Pages, the API, the admin and the demo call these and nothing else; the scheduled steps are in jobs.py.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import clock
from core.uploads import check_uploads
from core.working_time import working_days_between
from directory import outbox
from directory.calendar import department_calendar
from directory.choices import Role
from directory.models import Branch, Team, User

from ..choices import DISSATISFIED_LEVELS, CaseAction, CaseClosure, CaseConclusion, CaseStatus, Level
from ..models import (
    CaseAttachment,
    CaseEvent,
    Declaration,
    DissatisfactionCase,
    HandlingRating,
    OfficerExplanation,
    Rating,
    RatingOfficer,
)
from . import rules
from .notices import (
    actor_role,
    branch_leaders,
    business_users,
    department_staff,
    facts,
    notify,
    notify_escalation,
    record_event,
)

TEXT_MAX_LENGTH = 5000
CASE_OPENED = "case_opened"


class InvalidTransition(ValidationError):
    """The case is not in a state where this step is possible (the API answers 409)."""


def _refuse_rated_officer(user, case: DissatisfactionCase) -> None:
    if rules.is_rated_in(user, case):
        raise PermissionDenied(_("You were rated in this case: you may add your explanation, nothing else."))


# --- opening ------------------------------------------------------------------------------------------


def _dissatisfied_items(
    rating: Rating, branch_name: str, officer_rows: list[RatingOfficer] | None, team: Team | None = None
) -> list[dict]:
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
        team = team or Team.objects.only("name", "code").get(pk=rating.team_id)
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
    if officer_rows is None:
        officer_rows = list(RatingOfficer.objects.filter(rating=rating).select_related("officer").order_by("id"))
    for row in officer_rows:
        if row.level not in DISSATISFIED_LEVELS:
            continue
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


def open_case(
    rating: Rating, *, now: datetime.datetime | None = None, officer_rows: list[RatingOfficer] | None = None
) -> DissatisfactionCase:
    """Open the case of a dissatisfied rating (inside the rating's own transaction) and tell the branch leaders.

    Opening twice returns the existing case: a rating has at most one (UNIQUE). `officer_rows`: the rating's
    officer rows (officers attached, in id order) when the caller has just written them with the rating, which
    then has no case yet (nothing to look for); else they are read, after looking for an existing case.
    """
    # No savepoint inside the rating's transaction: a failure here must undo the rating too, never only this.
    with transaction.atomic(savepoint=False):
        if officer_rows is None:
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
            items=_dissatisfied_items(rating, branch.name, officer_rows),
            opened_at=now,
            due_at=rules.due_at_for(
                now, rules.due_working_days(branch.department_id), department_calendar(branch.department_id)
            ),
        )
        event = record_event(case, rating.submitted_by, CaseAction.OPENED, rating.comment, now=now)
        notify(branch_leaders(case), CASE_OPENED, f"case-event:{event.pk}", _opened_notice(facts(case)))
    return case


def _opened_notice(case_facts: dict[str, str]):
    def render():
        subject = _("New complaint on declaration %(number)s") % case_facts
        body = "\n".join(
            [
                _("A business is dissatisfied with declaration %(number)s at %(branch)s.") % case_facts,
                _("The case must be answered by %(due)s.") % case_facts,
                "",
                _("Open the case: %(url)s") % case_facts,
            ]
        )
        return subject, body

    return render


def open_cases_at_rating_time(ratings: list[Rating]) -> list[DissatisfactionCase]:
    """`open_case(rating, now=rating.created_at)` for many ratings at once (bulk loads such as the demo's):
    the same cases, events and notices to the branch leaders, in a dozen statements for the lot instead
    of about ten per rating. Ratings that have a case already are left alone. Returns the new cases."""
    with transaction.atomic(savepoint=False):
        have = set(
            DissatisfactionCase.objects.filter(rating_id__in=[rating.pk for rating in ratings]).values_list(
                "rating_id", flat=True
            )
        )
        ratings = [rating for rating in ratings if rating.pk not in have]
        if not ratings:
            return []
        branches = Branch.objects.only("name", "department_id").in_bulk({rating.branch_id for rating in ratings})
        rated_teams = {
            rating.team_id for rating in ratings if rating.team_id and rating.team_level in DISSATISFIED_LEVELS
        }
        teams = Team.objects.only("name", "code").in_bulk(rated_teams)
        officer_rows: dict[int, list[RatingOfficer]] = defaultdict(list)
        for row in (
            RatingOfficer.objects.filter(rating_id__in=[rating.pk for rating in ratings])
            .select_related("officer")
            .order_by("id")
        ):
            officer_rows[row.rating_id].append(row)
        numbers = dict(
            Declaration.objects.filter(pk__in=[rating.declaration_id for rating in ratings]).values_list("id", "number")
        )
        submitters = User.objects.in_bulk({rating.submitted_by_id for rating in ratings})
        leaders: dict[int, list[User]] = defaultdict(list)
        for leader in User.objects.filter(role=Role.BRANCH_LEADER, branch_id__in=branches, is_active=True).order_by(
            "pk"
        ):
            leaders[leader.branch_id].append(leader)
        departments = {branch.department_id for branch in branches.values()}
        due_days = {department: rules.due_working_days(department) for department in departments}
        calendars = {department: department_calendar(department) for department in departments}
        cases = []
        for rating in ratings:
            branch = branches[rating.branch_id]
            department = branch.department_id
            cases.append(
                DissatisfactionCase(
                    rating=rating,
                    branch=branch,
                    team_id=rating.team_id,
                    business_id=rating.business_id,
                    status=CaseStatus.NEW,
                    items=_dissatisfied_items(rating, branch.name, officer_rows[rating.pk], teams.get(rating.team_id)),
                    opened_at=rating.created_at,
                    due_at=rules.due_at_for(rating.created_at, due_days[department], calendars[department]),
                )
            )
        DissatisfactionCase.objects.bulk_create(cases)
        events = CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    actor=submitters[rating.submitted_by_id],
                    actor_role=actor_role(submitters[rating.submitted_by_id]),
                    action=CaseAction.OPENED,
                    text=rating.comment,
                    details={},
                    created_at=rating.created_at,
                )
                for case, rating in zip(cases, ratings, strict=True)
            ]
        )
        drafts = []
        for case, rating, event in zip(cases, ratings, events, strict=True):
            render = _opened_notice(facts(case, numbers[rating.declaration_id]))
            for leader in leaders[case.branch_id]:
                with translation.override(leader.language or settings.LANGUAGE_CODE):
                    subject, body = render()
                key = f"case-event:{event.pk}:{leader.pk}"[:120]
                drafts.append(outbox.Draft(leader, CASE_OPENED, subject, body, dedup_key=key))
        outbox.enqueue_many(drafts)
    return cases


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
        if not rules.may_assign(actor, case):
            raise PermissionDenied(_("Only the leader of the case's branch or the department can assign a verifier."))
        _refuse_rated_officer(actor, case)
        if case.status not in rules.BEFORE_CONCLUSION_STATUSES:
            raise InvalidTransition(_("A verifier can be assigned only before the case is concluded."))
        if not rules.eligible_verifiers(case).filter(pk=getattr(verifier, "pk", None)).exists():
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
        event = record_event(
            case, actor, CaseAction.ASSIGNED, details={"verifier_id": verifier.pk, "verifier": _user_name(verifier)}
        )
        case_facts = facts(case)

        def render():
            subject = _("Complaint on declaration %(number)s assigned to you") % case_facts
            body = "\n".join(
                [
                    _("You are asked to verify the complaint on declaration %(number)s at %(branch)s.") % case_facts,
                    _("The case must be answered by %(due)s.") % case_facts,
                    "",
                    _("Open the case: %(url)s") % case_facts,
                ]
            )
            return subject, body

        notify([verifier], "case_assigned", f"case-event:{event.pk}", render)
    return case


def record_findings(case: DissatisfactionCase, text: str, actor: User) -> DissatisfactionCase:
    """The verifier's (or a leader's) findings; recording them again replaces them, the trail keeps each."""
    text = _required_text(text, "findings", _("Write the findings."))
    with transaction.atomic():
        case = _lock(case)
        if not rules.may_record_findings(actor, case):
            raise PermissionDenied(_("Only the assigned verifier or the branch leader can record findings."))
        _refuse_rated_officer(actor, case)
        if case.status not in rules.BEFORE_CONCLUSION_STATUSES:
            raise InvalidTransition(_("Findings can be recorded only before the case is concluded."))
        case.findings = text
        case.findings_at = clock.now()
        case.status = CaseStatus.VERIFYING
        case.save(update_fields=["findings", "findings_at", "status", "updated_at"])
        record_event(case, actor, CaseAction.FINDINGS, text)
    return case


def add_officer_explanation(case: DissatisfactionCase, text: str, actor: User) -> OfficerExplanation:
    """A rated officer's explanation, once per officer and case, before the case is concluded."""
    text = _required_text(text, "explanation", _("Write your explanation."))
    with transaction.atomic():
        case = _lock(case)
        if not rules.may_explain(actor, case):
            raise PermissionDenied(_("Only an officer rated 1 or 2 in this case can add an explanation."))
        assert actor.officer_id is not None  # may_explain: only an officer is rated in a case
        if case.status not in rules.BEFORE_CONCLUSION_STATUSES:
            raise InvalidTransition(_("The case is concluded; explanations are no longer taken."))
        if OfficerExplanation.objects.filter(case=case, officer_id=actor.officer_id).exists():
            raise ValidationError({"explanation": [_("You have already explained this case.")]})
        explanation = OfficerExplanation.objects.create(
            case=case, officer_id=actor.officer_id, author=actor, text=text, created_at=clock.now()
        )
        record_event(case, actor, CaseAction.EXPLANATION, text, details={"officer_id": actor.officer_id})
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
        if not rules.may_conclude(actor, case):
            raise PermissionDenied(_("Only the leader of the case's branch can conclude it."))
        _refuse_rated_officer(actor, case)
        if case.status in rules.BEFORE_CONCLUSION_STATUSES and case.status not in rules.CONCLUDABLE_STATUSES:
            raise InvalidTransition(_("Record the findings before concluding."))
        if case.status not in rules.CONCLUDABLE_STATUSES:
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
        record_event(
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
        if not rules.may_conclude(actor, case):
            raise PermissionDenied(_("Only the leader of the case's branch can answer the business."))
        _refuse_rated_officer(actor, case)
        if case.status != CaseStatus.CONCLUDED:
            raise InvalidTransition(_("Conclude the case before answering the business."))
        now = now or clock.now()
        case.answer = text
        case.answered_at = now
        if case.first_answered_at is None:
            case.first_answered_at = now
            case.answer_working_days = max(
                working_days_between(
                    rules.local_date(case.opened_at),
                    rules.local_date(now),
                    department_calendar(case.branch.department_id),
                ),
                0,
            )
        case.status = CaseStatus.ANSWERED
        case.save(
            update_fields=["answer", "answered_at", "first_answered_at", "answer_working_days", "status", "updated_at"]
        )
        event = record_event(case, actor, CaseAction.ANSWERED, text, now=now)
        case_facts = {**facts(case), "days": settings.CASE_DISPUTE_DAYS}

        def render():
            subject = _("Answer to your complaint on declaration %(number)s") % case_facts
            body = "\n".join(
                [
                    _("%(branch)s has answered your complaint on declaration %(number)s:") % case_facts,
                    "",
                    text,
                    "",
                    _("You may accept the answer, or dispute it once within %(days)s days: %(url)s") % case_facts,
                ]
            )
            return subject, body

        notify(business_users(case), "case_answered", f"case-event:{event.pk}", render)
    return case


def accept(case: DissatisfactionCase, actor: User) -> DissatisfactionCase:
    """The business accepts the answer: the case closes."""
    with transaction.atomic():
        case = _lock(case)
        if not rules.acts_for_business(actor, case):
            raise PermissionDenied(_("Only the business that complained can accept the answer."))
        if case.status != CaseStatus.ANSWERED:
            raise InvalidTransition(_("Only an answered case can be accepted."))
        now = clock.now()
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        case.closed_how = CaseClosure.ACCEPTED
        case.save(update_fields=["status", "closed_at", "closed_how", "updated_at"])
        record_event(case, actor, CaseAction.ACCEPTED, now=now)
    return case


def dispute(
    case: DissatisfactionCase, reason: str, actor: User, *, now: datetime.datetime | None = None
) -> DissatisfactionCase:
    """The business disputes the answer (once, within CASE_DISPUTE_DAYS): the case reopens and escalates."""
    reason = _required_text(reason, "reason", _("Say why you dispute the answer."))
    with transaction.atomic():
        case = _lock(case)
        if not rules.acts_for_business(actor, case):
            raise PermissionDenied(_("Only the business that complained can dispute the answer."))
        if case.disputed_at is not None:
            raise InvalidTransition(_("This case has already been disputed once."))
        if case.status != CaseStatus.ANSWERED:
            raise InvalidTransition(_("Only an answered case can be disputed."))
        now = now or clock.now()
        deadline = rules.dispute_deadline(case)
        assert deadline is not None  # an answered case has its answer time
        if now > deadline:
            raise InvalidTransition(
                _("An answer can be disputed within %(days)s days; that time is over.")
                % {"days": settings.CASE_DISPUTE_DAYS}
            )
        _reopen_for_dispute(case, reason, actor, now)
    return case


def _reopen_for_dispute(case: DissatisfactionCase, reason: str, actor: User, now: datetime.datetime) -> None:
    """The dispute itself (the case is locked and may still be disputed): the case reopens with a new due date
    and escalates; the trail, the department and the branch hear of it."""
    case.status = CaseStatus.VERIFYING
    case.disputed_at = now
    case.dispute_reason = reason
    case.dispute_due_at = rules.dispute_due_at_for(now, case.branch.department_id)
    case.reminded_at = None  # a new due date: its reminder is still to come
    fields = ["status", "disputed_at", "dispute_reason", "dispute_due_at", "reminded_at", "updated_at"]
    if case.escalated_at is None:
        case.escalated_at = now
        fields.append("escalated_at")
    case.save(update_fields=fields)
    record_event(case, actor, CaseAction.DISPUTED, reason, details={"new_due_at": _iso(case.dispute_due_at)}, now=now)
    event = record_event(case, None, CaseAction.ESCALATED, details={"why": "disputed"}, now=now)
    notify_escalation(case, event, disputed=True)
    case_facts = facts(case)

    def render():
        subject = _("The answer on declaration %(number)s is disputed") % case_facts
        body = "\n".join(
            [
                _("The business disputes the answer on declaration %(number)s; the case is open again.") % case_facts,
                "",
                reason,
                "",
                _("Open the case: %(url)s") % case_facts,
            ]
        )
        return subject, body

    notify(_customs_side(case, with_department=False), "case_disputed", f"case-event:{event.pk}", render)


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _customs_side(case: DissatisfactionCase, *, with_department: bool = True) -> list[User]:
    """Who hears from the business: the branch's leaders, the assigned verifier, and the department once escalated."""
    users = list(branch_leaders(case))
    if with_department and case.escalated_at is not None:
        users += list(department_staff(case))
    if case.assigned_to_id:
        users.append(case.assigned_to)
    unique: dict[int, User] = {}
    for user in users:
        unique.setdefault(user.pk, user)
    return list(unique.values())


# --- the conversation ---------------------------------------------------------------------------------


def send_message(
    case: DissatisfactionCase, text: str, files: list, actor: User, *, internal: bool = False
) -> CaseEvent:
    """A message between the business and customs (or, `internal`, a note customs keep to themselves), with
    its attached files; an event in the trail, told by e-mail to the other side. Closed cases take none.

    The files are checked by content before anything is written (a bad one is a ValidationError on "files",
    and nothing of the message is kept)."""
    text = _required_text(text, "text", _("Write the message."))
    try:
        checked = check_uploads(list(files or []))
    except ValidationError as exc:
        raise ValidationError({"files": exc.messages}) from exc
    stored: list[str] = []  # files written so far: a rollback keeps no row, so it must keep no file either
    try:
        return _write_message(case, text, checked, actor, internal, stored)
    except BaseException:
        for name in filter(None, stored):
            default_storage.delete(name)
        raise


def _write_message(case, text: str, checked: list, actor: User, internal: bool, stored: list[str]) -> CaseEvent:
    with transaction.atomic():
        case = _lock(case)
        from_business = rules.acts_for_business(actor, case)
        if internal and not rules.may_write_for_customs(actor, case):
            raise PermissionDenied(
                _("Only the branch's leaders, the verifier and the department write internal notes.")
            )
        if not (from_business or rules.may_write_for_customs(actor, case)):
            raise PermissionDenied(_("Only the business and the branch handling the case exchange messages on it."))
        _refuse_rated_officer(actor, case)
        if not rules.takes_messages(case):
            raise InvalidTransition(_("The case is closed; it takes no new messages."))
        now = clock.now()
        action = CaseAction.NOTE if internal else CaseAction.MESSAGE
        event = record_event(case, actor, action, text, details={"files": len(checked)}, now=now)
        for upload in checked:
            attachment = CaseAttachment(case=case, event=event, uploaded_by=actor, uploaded_at=now)
            attachment.fill_from(upload)
            attachment.save()
            stored.append(attachment.file.name or "")
        case.save(update_fields=["updated_at"])
        if internal:
            return event
        case_facts = {**facts(case), "files": len(checked)}
        recipients = _customs_side(case) if from_business else list(business_users(case))
        kind = "case_message_from_business" if from_business else "case_message_from_customs"

        def render():
            if from_business:
                subject = _("New message from the business on declaration %(number)s") % case_facts
                intro = _("The business wrote about its complaint on declaration %(number)s:") % case_facts
            else:
                subject = _("New message from %(branch)s on declaration %(number)s") % case_facts
                intro = _("%(branch)s wrote about your complaint on declaration %(number)s:") % case_facts
            lines = [intro, "", text, ""]
            if case_facts["files"]:
                lines.append(
                    ngettext(
                        "%(files)s file is attached on the case page.",
                        "%(files)s files are attached on the case page.",
                        case_facts["files"],
                    )
                    % case_facts
                )
            lines.append(_("Open the case: %(url)s") % case_facts)
            return subject, "\n".join(lines)

        notify([user for user in recipients if user.pk != actor.pk], kind, f"case-event:{event.pk}", render)
    return event


def rate_handling(
    case: DissatisfactionCase, level, comment: str, actor: User, *, now: datetime.datetime | None = None
) -> HandlingRating:
    """The business rates how its complaint was handled, once per answer, on the five levels.

    A level 1 or 2 sends the case to the department: while the answer can still be disputed it *is* the
    dispute (the case reopens with a new due date and escalates, its comment the reason); after that (the
    one dispute used, or its period over) the case escalates and the department is told. Levels 3 to 5
    leave the case answered: the business accepts it, or it closes by itself.
    """
    if isinstance(level, bool) or not isinstance(level, int) or level not in Level.values:
        raise ValidationError({"level": [_("Choose a level from 1 (very dissatisfied) to 5 (very satisfied).")]})
    comment = _optional_text(comment, "comment")
    with transaction.atomic():
        case = _lock(case)
        if not rules.acts_for_business(actor, case):
            raise PermissionDenied(_("Only the business that complained can rate the handling."))
        if not rules.may_rate_handling(case):
            raise InvalidTransition(_("The handling can be rated once the branch has answered, until the case closes."))
        answer_event = (
            CaseEvent.objects.filter(case=case, action=CaseAction.ANSWERED).order_by("-created_at", "-id").first()
        )
        assert answer_event is not None  # an answered case has its answer in the trail
        if HandlingRating.objects.filter(answer_event=answer_event).exists():
            raise InvalidTransition(_("You have already rated the handling of this answer."))
        now = now or clock.now()
        rating = HandlingRating.objects.create(
            case=case,
            branch_id=case.branch_id,
            answer_event=answer_event,
            level=level,
            comment=comment,
            rated_by=actor,
            rated_at=now,
        )
        record_event(case, actor, CaseAction.HANDLING_RATED, comment, details={"level": level}, now=now)
        if level not in DISSATISFIED_LEVELS:
            case.save(update_fields=["updated_at"])
            return rating
        if rules.may_still_dispute(case, now):
            reason = comment or str(
                _("Handling rated %(level)s: %(label)s") % {"level": level, "label": Level(level).label}
            )
            _reopen_for_dispute(case, reason, actor, now)
            return rating
        fields = ["updated_at"]
        if case.escalated_at is None:
            case.escalated_at = now
            fields.append("escalated_at")
        case.save(update_fields=fields)
        event = record_event(case, None, CaseAction.ESCALATED, details={"why": "handling"}, now=now)
        notify_escalation(case, event, disputed=False, handling=True)
    return rating
