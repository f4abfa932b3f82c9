"""The trail and the mail of a case: each step appends a CaseEvent and queues its e-mails in the outbox,
inside the step's transaction (a rollback takes the mail with it). Used by the services and the jobs."""

import datetime
from collections.abc import Callable, Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core import clock
from directory import outbox
from directory.choices import Role
from directory.models import User

from ..choices import SYSTEM_ROLE
from ..models import CaseEvent, DissatisfactionCase
from . import rules


def actor_role(actor) -> str:
    """The role a case event records for its actor (the system for none)."""
    if actor is None:
        return SYSTEM_ROLE
    return Role.ADMINISTRATOR if actor.is_administrator else actor.role


def record_event(
    case: DissatisfactionCase, actor, action: str, text: str = "", details: dict | None = None, *, now=None
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        actor_role=actor_role(actor),
        action=action,
        text=text,
        details=details or {},
        created_at=now or clock.now(),
    )


def case_url(case: DissatisfactionCase) -> str:
    return f"{settings.SITE_URL}{reverse('feedback:case-detail', args=[case.pk])}"


def notify(
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


def branch_leaders(case: DissatisfactionCase):
    return User.objects.filter(role=Role.BRANCH_LEADER, branch_id=case.branch_id, is_active=True)


def department_staff(case: DissatisfactionCase):
    return User.objects.filter(role=Role.DEPARTMENT_STAFF, department_id=case.branch.department_id, is_active=True)


def business_users(case: DissatisfactionCase):
    return User.objects.filter(
        role=Role.BUSINESS, is_active=True, business_memberships__business_id=case.business_id
    ).distinct()


def _date(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def facts(case: DissatisfactionCase, number: str | None = None) -> dict[str, str]:
    """What the case's e-mails say of it; `number`: its declaration's, when the caller has it at hand."""
    return {
        "number": number or case.rating.declaration.number,
        "branch": case.branch.name,
        "due": _date(rules.effective_due_at(case)),  # the answer owed next (after a dispute, the new date)
        "url": case_url(case),
    }


def notify_escalation(case: DissatisfactionCase, event: CaseEvent, *, disputed: bool, handling: bool = False) -> None:
    case_facts = facts(case)

    def render():
        subject = _("Complaint on declaration %(number)s escalated to the department") % case_facts
        if handling:
            why = _("The business rated the handling of its complaint by %(branch)s as dissatisfied.")
        elif disputed:
            why = _("The business disputed the answer of %(branch)s.")
        else:
            why = _("%(branch)s has not answered it by the due date, %(due)s.")
        body = "\n".join(
            [
                _("The complaint on declaration %(number)s is escalated to the department.") % case_facts,
                why % case_facts,
                "",
                _("Open the case: %(url)s") % case_facts,
            ]
        )
        return subject, body

    notify(department_staff(case), "case_escalated", f"case-event:{event.pk}", render)
