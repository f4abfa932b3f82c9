"""The rules of dissatisfaction cases, each written once: what the statuses mean, when a case is overdue
or due soon, how its deadlines are reckoned, who may take which step, and who sees which representation.

The models, services, scheduled jobs, selectors, filters, serializers and pages of cases (and the home
page and dashboards) import these. This module imports no feedback model, since the models import it for
their status sets: it reads the departments' deadline policies through the Department relation, and the
officers rated in a case through `DissatisfactionCase.rated_officer_ids()`.

Who may do what (a user rated 1 or 2 in the case may only explain, whatever their role):
- assign: the leader of the case's branch, department staff of its department, an administrator;
- record findings: the assigned verifier, or anyone who may conclude;
- explain: an officer rated 1 or 2 in the case, once;
- conclude and answer: the leader of the case's branch, an administrator, and department staff once the
  case is escalated (the department takes over what the branch let slip);
- accept, dispute and rate the handling: a business user acting for the case's business;
- write messages: that business, and customs' side of the case (may_write_for_customs: the branch's
  leader, the assigned verifier, department staff once the case is escalated, administrators), until the
  case closes; internal notes: customs' side only. A rated officer takes no part in the conversation.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q
from django.utils import timezone

from core import clock
from core.working_time import STATUTORY, WorkingCalendar, add_working_days
from directory.calendar import department_calendar
from directory.choices import Role
from directory.models import BusinessMembership, Department, User

from ..choices import DISSATISFIED_LEVELS, CaseStatus

# --- statuses --------------------------------------------------------------------------------------------

# The branch still owes the business an answer: the deadline runs, and the case can be overdue.
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.VERIFYING, CaseStatus.CONCLUDED)
# "In progress" on the home page and in the inbox: somebody works on it, nobody has answered yet.
IN_PROGRESS_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.VERIFYING, CaseStatus.CONCLUDED)
# Before the conclusion: a verifier can be (re)assigned, findings recorded, rated officers explain.
BEFORE_CONCLUSION_STATUSES = (CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.VERIFYING)
# Findings are recorded and no answer is sent yet: the conclusion can be written or rewritten.
CONCLUDABLE_STATUSES = (CaseStatus.VERIFYING, CaseStatus.CONCLUDED)
# The case carries a conclusion.
CONCLUDED_STATUSES = (CaseStatus.CONCLUDED, CaseStatus.ANSWERED, CaseStatus.CLOSED)
# The business has an answer, and with it the conclusion (one being revised after a dispute is not its yet).
ANSWERED_STATUSES = (CaseStatus.ANSWERED, CaseStatus.CLOSED)


def is_open(case) -> bool:
    return case.status in OPEN_STATUSES


# --- overdue and due soon ------------------------------------------------------------------------------

# How many working days ahead of the due date a case is "due soon" (and its leaders are reminded).
DUE_SOON_WORKING_DAYS = 2


def overdue_q(now: datetime.datetime) -> Q:
    """Open cases whose due date has passed at `now`, as a filter: after a dispute, the new due date
    (`dispute_due_at`, never earlier than `due_at`: the filter on `due_at` keeps to the open cases' index)."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now) & (Q(dispute_due_at__isnull=True) | Q(dispute_due_at__lt=now))


def effective_due_at(case) -> datetime.datetime:
    """The date the branch owes its (next) answer by: the new one after a dispute, else the first one."""
    return case.dispute_due_at or case.due_at


def is_overdue(case, now: datetime.datetime | None = None) -> bool:
    """The same rule as `overdue_q`, for a case at hand."""
    return is_open(case) and (now or clock.now()) > effective_due_at(case)


def answered_on_time_q() -> Q:
    """Cases whose first answer came by the due date (what the dashboards call "on time")."""
    return Q(first_answered_at__lte=F("due_at"))


def answered_late_q(now: datetime.datetime) -> Q:
    """Cases late at `now` as the dashboards count them: first answered after the due date, or not answered
    and past it (a disputed case answered on time the first time stays on time)."""
    return Q(first_answered_at__gt=F("due_at")) | Q(first_answered_at__isnull=True, due_at__lt=now)


def due_soon_q(now: datetime.datetime) -> Q:
    """Open cases not yet overdue and due within DUE_SOON_WORKING_DAYS working days from today (after a
    dispute, by the new due date)."""
    horizon = due_soon_horizon(now)
    return Q(status__in=OPEN_STATUSES) & (
        Q(dispute_due_at__isnull=True, due_at__gte=now, due_at__lte=horizon)
        | Q(dispute_due_at__gte=now, dispute_due_at__lte=horizon)
    )


# --- deadlines ------------------------------------------------------------------------------------------


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last instant of `day` in Asia/Ho_Chi_Minh: a deadline on a day runs to its end."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max), timezone.get_default_timezone())


def due_working_days(department_id: int) -> int:
    """Working days a branch of this department has to answer: the department's policy, else CASE_DUE_WORKING_DAYS."""
    days = Department.objects.filter(pk=department_id).values_list("case_policy__due_working_days", flat=True).first()
    days = days if days is not None else settings.CASE_DUE_WORKING_DAYS
    if not isinstance(days, int) or days < 1:
        raise ImproperlyConfigured("CASE_DUE_WORKING_DAYS must be a whole number of at least 1.")
    return days


def due_at_for(
    opened_at: datetime.datetime, working_days: int, calendar: WorkingCalendar = STATUTORY
) -> datetime.datetime:
    """The end of the `working_days`-th working day after the day of `opened_at` (the opening day never counts),
    in the calendar of the case's department (directory.calendar.department_calendar)."""
    return end_of_day(add_working_days(local_date(opened_at), working_days, calendar))


def due_soon_horizon(now: datetime.datetime) -> datetime.datetime:
    """Cases due before this moment are "due soon": within DUE_SOON_WORKING_DAYS working days from today.

    One horizon for every department (it filters cases of many at once), so on the statutory calendar."""
    return end_of_day(add_working_days(local_date(now), DUE_SOON_WORKING_DAYS))


def dispute_deadline(case) -> datetime.datetime | None:
    """Until when the business may dispute the answer (CASE_DISPUTE_DAYS after it); None before an answer."""
    if case.answered_at is None:
        return None
    return case.answered_at + datetime.timedelta(days=settings.CASE_DISPUTE_DAYS)


def may_still_dispute(case, now: datetime.datetime | None = None) -> bool:
    """An answered case not disputed yet, inside the dispute period."""
    deadline = dispute_deadline(case)
    return (
        case.status == CaseStatus.ANSWERED
        and case.disputed_at is None
        and deadline is not None
        and (now or clock.now()) <= deadline
    )


def dispute_due_at_for(disputed_at: datetime.datetime, department_id: int) -> datetime.datetime:
    """The new answer after a dispute is due like a first one: the department's working days from the dispute."""
    return due_at_for(disputed_at, due_working_days(department_id), department_calendar(department_id))


def dispute_answer_period(case) -> datetime.datetime | None:
    """The dispute deadline as the business is shown it: only while the answer can still be disputed."""
    deadline = dispute_deadline(case)
    if deadline is None or case.disputed_at is not None or case.status != CaseStatus.ANSWERED:
        return None
    return deadline


def ratings_of_current_answer(case) -> list:
    """The business's ratings of the handling of the answer that stands (at most one: UNIQUE per answer).

    Read from `case.handling_ratings` (prefetched on lists): a rating can only follow its answer, and a
    new answer comes later than any rating of the previous one."""
    if case.answered_at is None:
        return []
    return [row for row in case.handling_ratings.all() if row.rated_at >= case.answered_at]


def current_answer_rated(case) -> bool:
    return bool(ratings_of_current_answer(case))


def sent_to_department_by_rating(case) -> bool:
    """The business rated the handling of the answer that stands 1 or 2 (the department reviews it)."""
    return any(row.level in DISSATISFIED_LEVELS for row in ratings_of_current_answer(case))


# What the business waits for next, as the case page and the API tell it.
NEXT_BRANCH_ANSWERS, NEXT_DEPARTMENT_REVIEWS, NEXT_YOUR_DECISION, NEXT_NOTHING = (
    "branch_answers",
    "department_reviews",
    "your_decision",
    "nothing",
)


def business_next_step(case) -> tuple[str, datetime.datetime | None]:
    """The next step of the case for the business, and by when it is due (None when no date applies).

    Open and never disputed: the branch answers by due_at. Open after a dispute: the department reviews
    with the branch and a new answer is due by dispute_due_at. Answered: the business decides (accept,
    dispute, rate the handling) until the dispute deadline, when the case closes by itself; once the
    business rated the handling of that answer 1 or 2 the department reviews it. Closed: nothing.
    """
    if case.status == CaseStatus.CLOSED:
        return NEXT_NOTHING, None
    if case.status == CaseStatus.ANSWERED:
        if sent_to_department_by_rating(case):
            return NEXT_DEPARTMENT_REVIEWS, None
        return NEXT_YOUR_DECISION, dispute_deadline(case)
    if case.disputed_at is not None:
        return NEXT_DEPARTMENT_REVIEWS, case.dispute_due_at
    return NEXT_BRANCH_ANSWERS, case.due_at


# --- who may do what -------------------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _is_branch_leader(user, case) -> bool:
    return _active(user) and user.role == Role.BRANCH_LEADER and user.branch_id == case.branch_id


def _is_department_staff(user, case) -> bool:
    return _active(user) and user.role == Role.DEPARTMENT_STAFF and user.department_id == case.branch.department_id


def is_rated_in(user, case) -> bool:
    """The user is an officer rated 1 or 2 in the case, as the rating says now."""
    return user.officer_id is not None and user.officer_id in case.rated_officer_ids()


def may_assign(user, case) -> bool:
    return _active(user) and (
        user.is_administrator or _is_branch_leader(user, case) or _is_department_staff(user, case)
    )


def may_conclude(user, case) -> bool:
    """Conclude and answer: the branch leader; the department once the case is escalated; administrators."""
    return _active(user) and (
        user.is_administrator
        or _is_branch_leader(user, case)
        or (case.escalated_at is not None and _is_department_staff(user, case))
    )


def may_record_findings(user, case) -> bool:
    return (_active(user) and case.assigned_to_id == user.pk) or may_conclude(user, case)


def may_explain(user, case) -> bool:
    return _active(user) and is_rated_in(user, case)


def acts_for_business(user, case) -> bool:
    return (
        _active(user)
        and user.role == Role.BUSINESS
        and BusinessMembership.objects.filter(user=user, business_id=case.business_id).exists()
    )


def may_write_for_customs(user, case) -> bool:
    """Customs' side of the conversation: who answers the business and writes internal notes."""
    return _active(user) and (
        user.is_administrator
        or _is_branch_leader(user, case)
        or case.assigned_to_id == user.pk
        or (case.escalated_at is not None and _is_department_staff(user, case))
    )


def may_read_notes(user) -> bool:
    """Internal notes (and their files) are customs' own: never the business's, never a rated officer's."""
    return view_kind(user) == CUSTOMS_VIEW


def may_read_conversation(user) -> bool:
    """The business reads the messages of its case, customs read messages and notes; a rated officer neither."""
    return view_kind(user) != OFFICER_VIEW


def takes_messages(case) -> bool:
    return case.status != CaseStatus.CLOSED


def may_rate_handling(case) -> bool:
    """The handling can be rated while an answer stands (once per answer: HandlingRating is unique per answer)."""
    return case.status == CaseStatus.ANSWERED


def eligible_verifiers(case):
    """Users who may verify the case: active team leaders and leaders of its branch, not rated in it."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=Role.TEAM_LEADER, team__branch_id=case.branch_id)
            | Q(role=Role.BRANCH_LEADER, branch_id=case.branch_id)
        )
        .exclude(officer_id__in=case.rated_officer_ids())
        .order_by("role", "last_name", "first_name", "username")
    )


# --- who sees what ----------------------------------------------------------------------------------------

# The three representations of a case: the business's (public fields), a rated officer's, customs' (all).
BUSINESS_VIEW, OFFICER_VIEW, CUSTOMS_VIEW = "business", "officer", "customs"


def view_kind(user) -> str:
    """Which representation of a case `user` gets, on the pages and in the API alike."""
    if not user.is_administrator and user.role == Role.BUSINESS:
        return BUSINESS_VIEW
    if not user.is_administrator and user.role == Role.OFFICER:
        return OFFICER_VIEW
    return CUSTOMS_VIEW


def items_seen_by_officer(items: list[dict], officer_id) -> list[dict]:
    """A rated officer sees the complaint about the units and about themself, not about colleagues."""
    return [item for item in items if item.get("kind") != "officer" or item.get("officer_id") == officer_id]
