"""The scheduled steps of cases (Celery beat, feedback.tasks): escalate overdue cases, close answered ones
nobody disputed, remind leaders before the due date. Each is idempotent and safe to run twice or at the
same time: every case is claimed by a conditional UPDATE before anything is written for it."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock

from ..choices import CaseAction, CaseClosure, CaseStatus
from ..models import DissatisfactionCase
from .notices import branch_leaders, facts, notify, notify_escalation, record_event


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
            if not claim_escalation(pk, now):
                continue
            case = DissatisfactionCase.objects.select_related("branch", "rating__declaration").get(pk=pk)
            event = record_event(case, None, CaseAction.ESCALATED, details={"why": "overdue"}, now=now)
            notify_escalation(case, event, disputed=False)
            escalated += 1
    return escalated


def claim_escalation(pk: int, now: datetime.datetime) -> bool:
    """Mark case `pk` escalated at `now` if it is still open, overdue and not escalated: True for the one
    caller that changed the row, False for every other (a second run, a case answered meanwhile)."""
    return bool(
        DissatisfactionCase.objects.overdue(now)
        .filter(pk=pk, escalated_at__isnull=True)
        .update(escalated_at=now, updated_at=now)
    )


def close_answered_cases(*, now: datetime.datetime | None = None, case_ids: list[int] | None = None) -> int:
    """Close the cases answered more than CASE_DISPUTE_DAYS ago that the business neither accepted nor disputed.

    `case_ids`: only among these (a loader replaying cases one by one reads just its own)."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=settings.CASE_DISPUTE_DAYS)
    answered = DissatisfactionCase.objects.filter(status=CaseStatus.ANSWERED, answered_at__lte=cutoff)
    if case_ids is not None:
        answered = answered.filter(pk__in=case_ids)
    closed = 0
    for pk in list(answered.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = answered.filter(pk=pk).update(
                status=CaseStatus.CLOSED, closed_at=now, closed_how=CaseClosure.AUTO, updated_at=now
            )
            if claimed:
                record_event(
                    DissatisfactionCase(pk=pk), None, CaseAction.CLOSED, details={"how": CaseClosure.AUTO}, now=now
                )
                closed += 1
    return closed


def send_due_soon_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind the branch leaders (and the verifier) of each open case due within two working days, once per case."""
    now = now or clock.now()
    due_soon = DissatisfactionCase.objects.due_soon(now).filter(reminded_at__isnull=True)
    reminded = 0
    for pk in list(due_soon.values_list("pk", flat=True)):
        with transaction.atomic():
            if not due_soon.filter(pk=pk).update(reminded_at=now, updated_at=now):
                continue
            case = DissatisfactionCase.objects.select_related("branch", "rating__declaration", "assigned_to").get(pk=pk)
            record_event(case, None, CaseAction.REMINDED, now=now)
            case_facts = facts(case)

            def render(case_facts=case_facts):
                subject = _("Complaint on declaration %(number)s is due on %(due)s") % case_facts
                body = "\n".join(
                    [
                        _("The complaint on declaration %(number)s at %(branch)s must be answered by %(due)s.")
                        % case_facts,
                        "",
                        _("Open the case: %(url)s") % case_facts,
                    ]
                )
                return subject, body

            recipients = list(branch_leaders(case))
            if case.assigned_to and case.assigned_to.is_active and case.assigned_to not in recipients:
                recipients.append(case.assigned_to)
            notify(recipients, "case_due_soon", f"case-due-soon:{pk}", render)
            reminded += 1
    return reminded
