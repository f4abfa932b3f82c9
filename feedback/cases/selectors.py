"""Reads of dissatisfaction cases, scoped to the user: the inbox, its counts, one case, dashboard figures.

Scoping is DissatisfactionCase.objects.for_user (feedback.models.cases); what a user sees *of* a case is
the serializers' business (feedback.cases.serializers: internal, officer and business representations).
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core import clock
from directory.choices import Role

from ..choices import CONVERSATION_ACTIONS, DISSATISFIED_LEVELS, CaseAction, CaseConclusion, CaseStatus
from ..models import (
    CaseAttachment,
    CaseEvent,
    DissatisfactionCase,
    HandlingRating,
    OfficerExplanation,
    RatingOfficer,
)
from . import rules


def cases_for(user, now: datetime.datetime | None = None):
    """The cases `user` may see, with what the list shows, in a fixed number of queries; inbox order
    (`action_order`: what needs the user first)."""
    queryset = DissatisfactionCase.objects.for_user(user).select_related(
        "branch", "team", "business", "assigned_to", "rating__declaration"
    )
    return queryset.order_by(action_order(user, now or clock.now()).asc(), "due_at", "id")


def action_order(user, now: datetime.datetime) -> Case:
    """A rank per case, lowest first: what waits for this user before what waits for others.

    A business: answered cases (its acceptance or dispute is awaited), then the open ones, then the closed.
    Customs roles: overdue cases, then new ones (nobody has them yet), then the other open ones, then the
    answered, then the closed; department staff and administrators see open escalated cases before all.
    """
    if user.is_authenticated and user.role == Role.BUSINESS and not user.is_administrator:
        return Case(
            When(status=CaseStatus.ANSWERED, then=Value(0)),
            When(status__in=rules.OPEN_STATUSES, then=Value(1)),
            default=Value(2),
        )
    ranks = []
    if user.is_authenticated and (user.is_administrator or user.role == Role.DEPARTMENT_STAFF):
        ranks.append(When(status__in=rules.OPEN_STATUSES, escalated_at__isnull=False, then=Value(0)))
    ranks += [
        When(rules.overdue_q(now), then=Value(1)),
        When(status=CaseStatus.NEW, then=Value(2)),
        When(status__in=rules.OPEN_STATUSES, then=Value(3)),
        When(status=CaseStatus.ANSWERED, then=Value(4)),
    ]
    return Case(*ranks, default=Value(5))


def case_detail_for(user):
    """One case with its trail and explanations (for the detail page and API)."""
    return cases_for(user).prefetch_related(
        Prefetch(
            "events",
            queryset=CaseEvent.objects.select_related("actor")
            .prefetch_related(Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id")))
            .order_by("created_at", "id"),
        ),
        Prefetch("explanations", queryset=OfficerExplanation.objects.select_related("officer").order_by("id")),
        Prefetch("handling_ratings", queryset=HandlingRating.objects.order_by("rated_at", "id")),
    )


# --- the conversation -------------------------------------------------------------------------------------


def conversation_actions(user) -> frozenset[str]:
    """The events of the conversation `user` reads: messages, and customs' internal notes for customs only."""
    if not rules.may_read_conversation(user):
        return frozenset()
    return CONVERSATION_ACTIONS if rules.may_read_notes(user) else frozenset({CaseAction.MESSAGE})


def messages_of(case: DissatisfactionCase, user):
    """The messages (and, for customs, notes) of a case the user may see, oldest first, with their files:
    three queries whatever their number. The caller has checked the case is in the user's scope."""
    return (
        CaseEvent.objects.filter(case=case, action__in=conversation_actions(user))
        .select_related("actor")
        .prefetch_related(Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def attachment_for(user, case_id: int, attachment_id: int) -> CaseAttachment:
    """A file of a case in the user's scope, attached to a message the user may read; DoesNotExist otherwise
    (another business, another branch, an officer not rated in the case, a business asking for a note's file)."""
    return CaseAttachment.objects.select_related("event").get(
        pk=attachment_id,
        case_id=case_id,
        case__in=DissatisfactionCase.objects.for_user(user),
        event__action__in=conversation_actions(user),
    )


# --- inbox filters (overdue and due soon are queryset methods: DissatisfactionCase.objects.overdue()) ---


def rating_officer(queryset, officer_code: str):
    """Cases in which the officer with this code was rated 1 or 2."""
    rated = RatingOfficer.objects.filter(
        rating_id=OuterRef("rating_id"), officer__code__iexact=officer_code, level__in=DISSATISFIED_LEVELS
    )
    return queryset.filter(Exists(rated))


@dataclass(frozen=True)
class InboxCounts:
    new: int
    in_progress: int
    overdue: int
    escalated: int


def inbox_counts(user, now: datetime.datetime | None = None) -> InboxCounts:
    """The home page's figures of the user's open cases, in one aggregate query."""
    now = now or clock.now()
    # Every count is of open cases: reading only those keeps to the open cases' partial index.
    counts = (
        DissatisfactionCase.objects.for_user(user)
        .still_open()
        .aggregate(
            new=Count("id", filter=Q(status=CaseStatus.NEW)),
            in_progress=Count("id", filter=Q(status__in=rules.IN_PROGRESS_STATUSES)),
            overdue=Count("id", filter=rules.overdue_q(now)),
            escalated=Count("id", filter=Q(status__in=rules.OPEN_STATUSES, escalated_at__isnull=False)),
        )
    )
    return InboxCounts(**counts)


# --- dashboard figures ---------------------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median, interpolated between the two middle values."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class CaseFigures:
    """One branch in one month (of opening, local time).

    `answered_on_time`: first answer by the due date. `overdue`: first answer after the due date, or
    none yet and the due date passed. `median_days_to_answer`: working days from the opening day to the
    first answer, over the answered cases. Shares are over the cases with a conclusion (None when none).
    """

    branch_id: int
    branch_name: str
    month: datetime.date
    opened: int
    answered: int
    answered_on_time: int
    overdue: int
    median_days_to_answer: float | None
    concluded: int
    substantiated: int
    partly_substantiated: int

    @property
    def share_substantiated(self) -> float | None:
        return self.substantiated / self.concluded if self.concluded else None

    @property
    def share_at_least_partly(self) -> float | None:
        return (self.substantiated + self.partly_substantiated) / self.concluded if self.concluded else None

    @property
    def share_on_time(self) -> float | None:
        return self.answered_on_time / self.opened if self.opened else None


def case_figures(
    user,
    *,
    opened_from: datetime.date | None = None,
    opened_until: datetime.date | None = None,
    now: datetime.datetime | None = None,
    branch_ids: list[int] | None = None,
) -> list[CaseFigures]:
    """Per branch and month of opening, the cases `user` may see (of `branch_ids` only, when given): one
    GROUP BY query (two on SQLite).

    The median comes from percentile_cont on PostgreSQL; elsewhere (the embedded SQLite demo) from the
    small list of per-case working-day counts, grouped in Python.
    """
    now = now or clock.now()
    cases = DissatisfactionCase.objects.for_user(user)
    if branch_ids is not None:  # only these branches' rows are read (the (branch, opened_at) index)
        cases = cases.filter(branch_id__in=branch_ids)
    # Local days as timestamp bounds: a filter on the column itself can use the (branch, opened_at) index,
    # `opened_at AT TIME ZONE ...::date` cannot.
    if opened_from:
        cases = cases.filter(opened_at__gte=_local_midnight(opened_from))
    if opened_until:
        cases = cases.filter(opened_at__lt=_local_midnight(opened_until + datetime.timedelta(days=1)))
    cases = cases.annotate(month=TruncMonth("opened_at", tzinfo=timezone.get_default_timezone()))
    answered = Q(first_answered_at__isnull=False)
    concluded = Q(conclusion__in=CaseConclusion.values)
    aggregates: dict[str, Aggregate] = {
        "opened": Count("id"),
        "answered": Count("id", filter=answered),
        "answered_on_time": Count("id", filter=rules.answered_on_time_q()),
        "overdue": Count("id", filter=rules.answered_late_q(now)),
        "concluded": Count("id", filter=concluded),
        "substantiated": Count("id", filter=concluded & Q(conclusion=CaseConclusion.SUBSTANTIATED)),
        "partly_substantiated": Count("id", filter=concluded & Q(conclusion=CaseConclusion.PARTLY)),
    }
    on_postgresql = connection.vendor == "postgresql"
    if on_postgresql:
        aggregates["median_days_to_answer"] = Median("answer_working_days")
    rows = list(
        cases.values("branch_id", "branch__name", "month").annotate(**aggregates).order_by("branch__name", "month")
    )
    if not on_postgresql:
        medians = _medians_in_python(cases)
        for row in rows:
            row["median_days_to_answer"] = medians.get((row["branch_id"], row["month"]))
    return [
        CaseFigures(
            branch_id=row["branch_id"],
            branch_name=row["branch__name"],
            month=_as_date(row["month"]),
            opened=row["opened"],
            answered=row["answered"],
            answered_on_time=row["answered_on_time"],
            overdue=row["overdue"],
            median_days_to_answer=row["median_days_to_answer"],
            concluded=row["concluded"],
            substantiated=row["substantiated"],
            partly_substantiated=row["partly_substantiated"],
        )
        for row in rows
    ]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _medians_in_python(cases) -> dict[tuple, float]:
    days_by_group: dict[tuple, list[int]] = defaultdict(list)
    for branch_id, month, days in cases.filter(answer_working_days__isnull=False).values_list(
        "branch_id", "month", "answer_working_days"
    ):
        days_by_group[(branch_id, month)].append(days)
    return {group: float(statistics.median(days)) for group, days in days_by_group.items()}


def _as_date(month) -> datetime.date:
    if isinstance(month, datetime.datetime):
        return (
            timezone.localtime(month, timezone.get_default_timezone()).date()
            if timezone.is_aware(month)
            else month.date()
        )
    return month


def allowed_actions(case: DissatisfactionCase, user) -> list[str]:
    """The workflow steps `user` may take on `case` now (for buttons; the services decide again)."""
    if not user.is_authenticated or not user.is_active:
        return []
    status = case.status
    actions = []
    before_conclusion = status in rules.BEFORE_CONCLUSION_STATUSES
    if rules.is_rated_in(user, case):
        if before_conclusion and not case.explanations.filter(officer_id=user.officer_id).exists():
            actions.append("explanation")
        return actions
    if before_conclusion and rules.may_assign(user, case):
        actions.append("assign")
    if before_conclusion and rules.may_record_findings(user, case):
        actions.append("findings")
    if rules.may_conclude(user, case):
        if status in rules.CONCLUDABLE_STATUSES:
            actions.append("conclude")
        if status == CaseStatus.CONCLUDED:
            actions.append("answer")
    from_business = rules.acts_for_business(user, case)
    if status == CaseStatus.ANSWERED and from_business:
        if not rules.current_answer_rated(case):
            actions.append("rate_handling")
        actions.append("accept")
        if rules.may_still_dispute(case):
            actions.append("dispute")
    if rules.takes_messages(case):
        for_customs = rules.may_write_for_customs(user, case)
        if from_business or for_customs:
            actions.append("message")
        if for_customs:
            actions.append("note")
    return actions
