"""State changes of inquiries: ask, assign, answer, follow up, rate, publish in the FAQ, escalate.

Every function is one transaction that locks the inquiry row before it reads the status, checks the
actor's right (PermissionDenied, by inquiries.rules) and the input (ValidationError keyed by field, or
InvalidTransition when the inquiry is not in a state for the step), appends an InquiryEvent and queues
its e-mails in the outbox, so that a rollback takes the mail with it. Pages, the API, the conferences
and the demo call these; the scheduled escalation is `escalate_overdue`.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core import clock
from core.uploads import check_uploads
from core.working_time import working_days_between
from directory import outbox
from directory.calendar import department_calendar
from directory.choices import Role
from directory.models import Business, BusinessMembership, Department, User
from feedback.models import Declaration

from . import rules
from .choices import DEPARTMENT_TOPICS, InquiryAction, InquiryChannel, InquiryStatus, InquiryTopic
from .models import FaqEntry, Inquiry, InquiryAttachment, InquiryEvent, InquiryExchange

TEXT_MAX_LENGTH = 5000
SUBJECT_MAX_LENGTH = 200
SYSTEM_ROLE = "system"


class InvalidTransition(ValidationError):
    """The inquiry is not in a state where this step is possible (the API answers 409)."""


# --- trail and mail -------------------------------------------------------------------------------------


def record_event(inquiry: Inquiry, actor, action: str, text: str = "", details: dict | None = None, *, now=None):
    role = SYSTEM_ROLE if actor is None else (Role.ADMINISTRATOR if actor.is_administrator else actor.role)
    return InquiryEvent.objects.create(
        inquiry=inquiry,
        actor=actor,
        actor_role=role,
        action=action,
        text=text,
        details=details or {},
        created_at=now or clock.now(),
    )


def inquiry_url(inquiry: Inquiry) -> str:
    return f"{settings.SITE_URL}{reverse('inquiries:inquiry-detail', args=[inquiry.pk])}"


def _facts(inquiry: Inquiry) -> dict[str, str]:
    return {
        "subject": inquiry.subject,
        "due": formats.date_format(timezone.localtime(inquiry.due_at), "SHORT_DATE_FORMAT"),
        "url": inquiry_url(inquiry),
    }


def _notify(users: Iterable[User], kind: str, key: str, render: Callable[[dict], tuple[str, str]], facts) -> None:
    """One e-mail per user through the outbox, written in that user's language; `key` keeps it unique."""
    drafts = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = render(facts)
        drafts.append(outbox.Draft(user, kind, subject, body, dedup_key=f"{key}:{user.pk}"[:120]))
    outbox.enqueue_many(drafts)


def _mail(lines: Sequence[str], facts: dict) -> str:
    return "\n".join([*lines, "", _("Open the inquiry: %(url)s") % facts])


# --- input ----------------------------------------------------------------------------------------------


def required_text(value, field: str, missing: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: [_("This must be text.")]})
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [missing]})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: [
                    _("The text has %(length)s characters; at most %(max)s are allowed.")
                    % {"length": len(text), "max": max_length}
                ]
            }
        )
    return text


def _collect(errors: dict[str, list[str]], check: Callable[[], object]):
    """Run one field's check, gathering its message, so that every wrong field is named at once."""
    try:
        return check()
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _checked_uploads(uploads, errors: dict[str, list[str]]):
    try:
        return check_uploads(list(uploads))
    except ValidationError as exc:
        errors["attachments"] = exc.messages
        return []


def _save_attachments(inquiry: Inquiry, exchange: InquiryExchange, checked, user: User) -> None:
    for file in checked:
        attachment = InquiryAttachment(inquiry=inquiry, exchange=exchange, uploaded_by=user)
        attachment.fill_from(file)
        attachment.save()


def _open_exchange(inquiry: Inquiry, question: str, actor: User, now: datetime.datetime) -> InquiryExchange:
    days = rules.commitment_days(inquiry.department_id)
    due_at = rules.due_at_for(now, days, department_calendar(inquiry.department_id))
    sequence = inquiry.exchanges.count() + 1
    return InquiryExchange.objects.create(
        inquiry=inquiry,
        sequence=sequence,
        question=question,
        asked_by=actor,
        asked_at=now,
        commitment_days=days,
        due_at=due_at,
    )


# --- asking ---------------------------------------------------------------------------------------------


def _business_of(actor: User, business: Business | None, declaration: Declaration | None) -> Business:
    """The business the actor asks for: the declaration's, the one given, or the only one they act for."""
    own = BusinessMembership.objects.filter(user=actor).values_list("business_id", flat=True)
    if declaration is not None:
        if business is not None and business.pk != declaration.business_id:
            raise ValidationError({"business": [_("The declaration belongs to another business.")]})
        return declaration.business
    if business is not None:
        if business.pk not in set(own):
            raise ValidationError({"business": [_("You do not act for this business.")]})
        return business
    businesses = list(Business.objects.filter(pk__in=own)[:2])
    if len(businesses) != 1:
        raise ValidationError({"business": [_("Choose the business you ask for.")]})
    return businesses[0]


def _department_for(department: Department | None) -> Department:
    if department is not None:
        return department
    departments = list(Department.objects.order_by("pk")[:2])
    if len(departments) != 1:
        raise ValidationError({"department": [_("Choose the customs department you ask.")]})
    return departments[0]


def find_own_declaration(actor: User, number) -> Declaration:
    """The actor's own declaration by number; another business's number is "not found", like a wrong one."""
    number = (number or "").strip() if isinstance(number, str) else number
    declaration = (
        Declaration.objects.for_user(actor).select_related("branch", "business").filter(number=number).first()
        if isinstance(number, str) and number
        else None
    )
    if declaration is None:
        raise ValidationError(
            {"declaration": [_("No declaration %(number)s of your business was found.") % {"number": number}]}
        )
    return declaration


def ask_inquiry(
    actor: User,
    *,
    subject,
    question,
    topic,
    declaration_number=None,
    business: Business | None = None,
    department: Department | None = None,
    uploads: Iterable = (),
    channel: str = InquiryChannel.WEB,
    now: datetime.datetime | None = None,
) -> Inquiry:
    """A business user's question, routed to the declaration's branch, or to the department for policy
    questions and questions about no declaration; the leaders of its inbox are told by e-mail."""
    if not (actor.is_authenticated and actor.is_active and actor.role == Role.BUSINESS):
        raise PermissionDenied(_("Only a business user can ask a question."))
    errors: dict[str, list[str]] = {}
    subject = _collect(errors, lambda: required_text(subject, "subject", _("Write a subject."), SUBJECT_MAX_LENGTH))
    question = _collect(errors, lambda: required_text(question, "question", _("Write your question.")))
    if topic not in InquiryTopic.values:
        errors["topic"] = [_("Choose the topic among %(choices)s.") % {"choices": ", ".join(InquiryTopic.values)}]
    declaration = None
    if declaration_number not in (None, ""):
        declaration = _collect(errors, lambda: find_own_declaration(actor, declaration_number))
    owner = _collect(errors, lambda: _business_of(actor, business, declaration))
    if declaration is not None:
        department = declaration.branch.department
    target = _collect(errors, lambda: _department_for(department))
    checked = _checked_uploads(uploads, errors)
    if errors:
        raise ValidationError(errors)
    assert owner is not None and target is not None
    branch = declaration.branch if declaration is not None and topic not in DEPARTMENT_TOPICS else None
    return create_inquiry(
        actor,
        owner,
        target,
        branch,
        subject=subject,
        question=question,
        topic=topic,
        declaration=declaration,
        checked=checked,
        channel=channel,
        now=now,
    )


def create_inquiry(
    actor, business, department, branch, *, subject, question, topic, declaration, checked, channel, now
) -> Inquiry:
    with transaction.atomic():
        now = now or clock.now()
        days = rules.commitment_days(department.pk)
        inquiry = Inquiry.objects.create(
            business=business,
            asked_by=actor,
            channel=channel,
            declaration=declaration,
            topic=topic,
            subject=subject,
            department=department,
            branch=branch,
            asked_at=now,
            due_at=rules.due_at_for(now, days, department_calendar(department.pk)),
        )
        exchange = _open_exchange(inquiry, question, actor, now)
        _save_attachments(inquiry, exchange, checked, actor)
        event = record_event(inquiry, actor, InquiryAction.ASKED, question, {"channel": channel}, now=now)

        def render(facts):
            return _("New inquiry: %(subject)s") % facts, _mail(
                [
                    _("A business has asked a question: %(subject)s.") % facts,
                    _("It must be answered in writing by %(due)s.") % facts,
                ],
                facts,
            )

        _notify(rules.leaders(inquiry), "inquiry_asked", f"inquiry-event:{event.pk}", render, _facts(inquiry))
    return inquiry


# --- the workflow ---------------------------------------------------------------------------------------


def _lock(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update(of=("self",)).select_related("department").get(pk=inquiry.pk)


def _open_exchange_of(inquiry: Inquiry) -> InquiryExchange:
    # An open inquiry always has its unanswered exchange (asked, or re-opened by a follow-up).
    return inquiry.exchanges.select_for_update().filter(answered_at__isnull=True).order_by("-sequence")[:1].get()


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def assign_inquiry(inquiry: Inquiry, assignee: User | None, actor: User) -> Inquiry:
    """Give the inquiry to an officer or team leader who writes the answer; it may be reassigned while open."""
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if not rules.may_assign(actor, inquiry):
            raise PermissionDenied(_("Only the leader of the inquiry's branch or the department can assign it."))
        if inquiry.status not in (InquiryStatus.NEW, InquiryStatus.ASSIGNED):
            raise InvalidTransition(_("Only an inquiry waiting for its answer can be assigned."))
        if assignee is None or not rules.eligible_assignees(inquiry).filter(pk=assignee.pk).exists():
            raise ValidationError({"assignee": [_("Choose an active officer or team leader of the inquiry's unit.")]})
        if inquiry.assigned_to_id == assignee.pk:
            raise ValidationError({"assignee": [_("The inquiry is already assigned to this person.")]})
        now = clock.now()
        inquiry.assigned_to = assignee
        inquiry.assigned_at = now
        inquiry.status = InquiryStatus.ASSIGNED
        inquiry.save(update_fields=["assigned_to", "assigned_at", "status", "updated_at"])
        event = record_event(
            inquiry, actor, InquiryAction.ASSIGNED, details={"assignee_id": assignee.pk, "assignee": _name(assignee)}
        )

        def render(facts):
            return _("Inquiry assigned to you: %(subject)s") % facts, _mail(
                [
                    _("You are asked to answer the inquiry: %(subject)s.") % facts,
                    _("It must be answered in writing by %(due)s.") % facts,
                ],
                facts,
            )

        _notify([assignee], "inquiry_assigned", f"inquiry-event:{event.pk}", render, _facts(inquiry))
    return inquiry


def answer_inquiry(
    inquiry: Inquiry, text, actor: User, *, uploads: Iterable = (), now: datetime.datetime | None = None
) -> Inquiry:
    """The written answer to the open question, sent to the business by e-mail; it records whether the
    answer came within the charter's commitment (the exchange's due date)."""
    errors: dict[str, list[str]] = {}
    text = _collect(errors, lambda: required_text(text, "answer", _("Write the answer to the business.")))
    checked = _checked_uploads(uploads, errors)
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if not rules.may_answer(actor, inquiry):
            raise PermissionDenied(_("Only the person assigned or the inquiry's leaders can answer it."))
        if not inquiry.is_open:
            raise InvalidTransition(_("This inquiry has no open question to answer."))
        if errors:
            raise ValidationError(errors)
        now = now or clock.now()
        exchange = _open_exchange_of(inquiry)
        exchange.answer = text
        exchange.answered_by = actor
        exchange.answered_at = now
        exchange.answer_working_days = max(
            working_days_between(
                rules.local_date(exchange.asked_at), rules.local_date(now), department_calendar(inquiry.department_id)
            ),
            0,
        )
        exchange.answered_on_time = now <= exchange.due_at
        exchange.save()
        _save_attachments(inquiry, exchange, checked, actor)
        inquiry.status = InquiryStatus.ANSWERED
        inquiry.answered_at = now
        inquiry.save(update_fields=["status", "answered_at", "updated_at"])
        event = record_event(
            inquiry,
            actor,
            InquiryAction.ANSWERED,
            text,
            {"sequence": exchange.sequence, "on_time": exchange.answered_on_time},
            now=now,
        )

        def render(facts):
            return _("Answer to your inquiry: %(subject)s") % facts, _mail(
                [
                    _("Customs has answered your inquiry: %(subject)s.") % facts,
                    "",
                    text,
                    "",
                    _("You may rate the answer, or ask a follow-up question."),
                ],
                facts,
            )

        _notify(rules.business_users(inquiry), "inquiry_answered", f"inquiry-event:{event.pk}", render, _facts(inquiry))
    return inquiry


def ask_follow_up(
    inquiry: Inquiry, question, actor: User, *, uploads: Iterable = (), now: datetime.datetime | None = None
) -> Inquiry:
    """The business asks again about an answered inquiry: it re-opens, with a new deadline, to the same
    assignee (or back in the leaders' inbox) and a new escalation clock."""
    errors: dict[str, list[str]] = {}
    question = _collect(errors, lambda: required_text(question, "question", _("Write your question.")))
    checked = _checked_uploads(uploads, errors)
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if not rules.acts_for_business(actor, inquiry):
            raise PermissionDenied(_("Only the business that asked can ask a follow-up question."))
        if inquiry.status != InquiryStatus.ANSWERED:
            raise InvalidTransition(_("A follow-up question can be asked once the inquiry is answered, before rating."))
        if errors:
            raise ValidationError(errors)
        now = now or clock.now()
        exchange = _open_exchange(inquiry, question, actor, now)
        _save_attachments(inquiry, exchange, checked, actor)
        inquiry.status = InquiryStatus.ASSIGNED if inquiry.assigned_to_id else InquiryStatus.NEW
        inquiry.due_at = exchange.due_at
        inquiry.escalated_at = None
        inquiry.save(update_fields=["status", "due_at", "escalated_at", "updated_at"])
        event = record_event(
            inquiry, actor, InquiryAction.FOLLOW_UP, question, {"sequence": exchange.sequence}, now=now
        )

        def render(facts):
            return _("Follow-up question: %(subject)s") % facts, _mail(
                [
                    _("The business has asked a follow-up question on: %(subject)s.") % facts,
                    _("It must be answered in writing by %(due)s.") % facts,
                ],
                facts,
            )

        recipients = list(rules.leaders(inquiry))
        if inquiry.assigned_to and inquiry.assigned_to.is_active and inquiry.assigned_to not in recipients:
            recipients.append(inquiry.assigned_to)
        _notify(recipients, "inquiry_follow_up", f"inquiry-event:{event.pk}", render, _facts(inquiry))
    return inquiry


def rate_answer(inquiry: Inquiry, level, comment, actor: User) -> Inquiry:
    """The business rates the answer on the five levels (5 very satisfied .. 1 very dissatisfied); once.
    The inquiry closes."""
    errors: dict[str, list[str]] = {}
    if isinstance(level, str) and level.strip().isdigit():
        level = int(level)
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
        errors["level"] = [_("Choose a level from 1 to 5.")]
    comment = "" if comment in (None, "") else _collect(errors, lambda: required_text(comment, "comment", ""))
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if not rules.acts_for_business(actor, inquiry):
            raise PermissionDenied(_("Only the business that asked can rate the answer."))
        if inquiry.status != InquiryStatus.ANSWERED:
            raise InvalidTransition(_("Only an answered inquiry can be rated, once."))
        if errors:
            raise ValidationError(errors)
        now = clock.now()
        inquiry.rating = level
        inquiry.rating_comment = comment or ""
        inquiry.rated_at = now
        inquiry.status = InquiryStatus.CLOSED
        inquiry.save(update_fields=["rating", "rating_comment", "rated_at", "status", "updated_at"])
        record_event(inquiry, actor, InquiryAction.RATED, comment or "", {"level": level}, now=now)
    return inquiry


# --- the FAQ ----------------------------------------------------------------------------------------------


def identifying_details(inquiry: Inquiry) -> list[str]:
    """What would name the business in a published text: its name, tax code and declaration number."""
    business = inquiry.business
    found = [business.name, business.tax_code, business.tax_code.replace("-", "")]
    if inquiry.declaration is not None:
        found.append(inquiry.declaration.number)
    return [value for value in found if value]


def _refuse_identity(text: str, field: str, inquiry: Inquiry, errors: dict[str, list[str]]) -> None:
    folded = text.casefold()
    if any(detail.casefold() in folded for detail in identifying_details(inquiry)):
        errors[field] = [_("Remove the business's name, tax code and declaration number before publishing.")]


def publish_faq(inquiry: Inquiry, question, answer, actor: User, *, topic: str | None = None) -> FaqEntry:
    """Mark an answered inquiry as general: publish the department's edit of its question and answer in the
    public FAQ (publishing again replaces the texts). A text still naming the business is refused."""
    errors: dict[str, list[str]] = {}
    question = _collect(errors, lambda: required_text(question, "question", _("Write the question as published.")))
    answer = _collect(errors, lambda: required_text(answer, "answer", _("Write the answer as published.")))
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if not rules.may_publish(actor, inquiry):
            raise PermissionDenied(_("Only department staff can publish an answer in the FAQ."))
        if inquiry.status not in (InquiryStatus.ANSWERED, InquiryStatus.CLOSED):
            raise InvalidTransition(_("Only an answered inquiry can be published."))
        topic = topic or inquiry.topic
        if topic not in InquiryTopic.values:
            errors["topic"] = [_("Choose the topic among %(choices)s.") % {"choices": ", ".join(InquiryTopic.values)}]
        inquiry = Inquiry.objects.select_related("business", "declaration").get(pk=inquiry.pk)
        if question:
            _refuse_identity(question, "question", inquiry, errors)
        if answer:
            _refuse_identity(answer, "answer", inquiry, errors)
        if errors:
            raise ValidationError(errors)
        now = clock.now()
        entry, created = FaqEntry.objects.update_or_create(
            inquiry=inquiry,
            defaults={
                "department_id": inquiry.department_id,
                "topic": topic,
                "question": question,
                "answer": answer,
                "published_at": now,
                "published_by": actor,
                "withdrawn_at": None,
            },
        )
        record_event(inquiry, actor, InquiryAction.PUBLISHED, details={"faq_entry_id": entry.pk, "first": created})
    return entry


def withdraw_faq(inquiry: Inquiry, actor: User) -> None:
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if not rules.may_publish(actor, inquiry):
            raise PermissionDenied(_("Only department staff can withdraw an answer from the FAQ."))
        withdrawn = FaqEntry.objects.published().filter(inquiry=inquiry).update(withdrawn_at=clock.now())
        if not withdrawn:
            raise InvalidTransition(_("This inquiry is not in the FAQ."))
        record_event(inquiry, actor, InquiryAction.WITHDRAWN)


# --- escalation (Celery beat: inquiries.tasks.escalate_overdue_inquiries_task) -----------------------------


def escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Escalate to the department each open inquiry past its due date not escalated yet; returns how many.

    Each is claimed by a conditional UPDATE (still open, overdue, not escalated): of two concurrent runs
    only one gets the row, and an inquiry answered meanwhile is skipped.
    """
    now = now or clock.now()
    candidates = list(Inquiry.objects.overdue(now).filter(escalated_at__isnull=True).values_list("pk", flat=True))
    escalated = 0
    for pk in candidates:
        with transaction.atomic():
            claimed = (
                Inquiry.objects.overdue(now)
                .filter(pk=pk, escalated_at__isnull=True)
                .update(escalated_at=now, updated_at=now)
            )
            if not claimed:
                continue
            inquiry = Inquiry.objects.get(pk=pk)
            event = record_event(inquiry, None, InquiryAction.ESCALATED, details={"why": "overdue"}, now=now)

            def render(facts):
                return _("Inquiry not answered in time: %(subject)s") % facts, _mail(
                    [_("The inquiry %(subject)s was not answered by its due date, %(due)s.") % facts], facts
                )

            _notify(
                rules.department_staff(inquiry),
                "inquiry_escalated",
                f"inquiry-event:{event.pk}",
                render,
                _facts(inquiry),
            )
            escalated += 1
    return escalated
