"""Dissatisfaction cases: the case opened by a dissatisfied rating, officers' explanations, its trail,
and the departments' own deadlines."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.append_only import TrailEvent
from core.subqueries import among
from directory.choices import Role
from directory.models import Branch, Business, Officer, Team
from directory.scoping import NOTHING, business_filter

from ..cases import rules
from ..choices import DISSATISFIED_LEVELS, CaseAction, CaseClosure, CaseConclusion, CaseStatus
from .ratings import Rating, RatingOfficer


class DepartmentCasePolicy(models.Model):
    """A department's own deadline for answering complaints, overriding settings.CASE_DUE_WORKING_DAYS."""

    department = models.OneToOneField(
        "directory.Department", on_delete=models.CASCADE, related_name="case_policy", verbose_name=_("department")
    )
    due_working_days = models.PositiveSmallIntegerField(
        _("working days to answer a complaint"),
        help_text=_("Counted from the day a case opens, without weekends and public holidays."),
    )

    class Meta:
        verbose_name = _("complaint deadline of a department")
        verbose_name_plural = _("complaint deadlines of departments")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_working_days__gte=1, due_working_days__lte=60), name="case_policy_days_1_to_60"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department_id}: {self.due_working_days}"


class DissatisfactionCaseQuerySet(models.QuerySet):
    def for_user(self, user):
        """Cases `user` may see (what of them is another matter: see feedback.cases.serializers).

        Branch leaders: their branch. Team leaders: the cases of their branch assigned to them as
        verifier, nothing else (they verify, the branch leader runs the inbox). Officers: the cases in
        which they were rated 1 or 2, so that they can explain. Department staff: their department.
        Businesses: their own. Administrators: all. Integration clients: none.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator:
            return self
        role = user.role
        if role == Role.DEPARTMENT_STAFF:
            return self.filter(branch__department_id=user.department_id)
        if role == Role.BRANCH_LEADER:
            return self.filter(branch_id=user.branch_id)
        if role == Role.TEAM_LEADER:
            return self.filter(assigned_to=user, branch__teams__id=user.team_id)
        if role == Role.OFFICER:
            # From the officer's own rating rows (rating_officer_idx), not from every case of the department.
            rated = RatingOfficer.objects.filter(officer_id=user.officer_id, level__in=DISSATISFIED_LEVELS)
            return self.filter(among("rating_id", rated.values("rating_id")))
        if role == Role.BUSINESS:
            return self.filter(business_filter(user, prefix="business__"))
        return self.filter(NOTHING)

    def still_open(self):
        """Cases the branch has not answered yet: their deadline runs."""
        return self.filter(status__in=rules.OPEN_STATUSES)

    def overdue(self, now: datetime.datetime | None = None):
        return self.filter(rules.overdue_q(now or clock.now()))

    def not_overdue(self, now: datetime.datetime | None = None):
        return self.exclude(rules.overdue_q(now or clock.now()))

    def due_soon(self, now: datetime.datetime | None = None):
        return self.filter(rules.due_soon_q(now or clock.now()))


class DissatisfactionCase(models.Model):
    """The verification of one dissatisfied rating (any level 1 or 2), opened with the rating itself.

    It belongs to the branch of the declaration. `items` is a snapshot, taken at opening, of what was
    rated 1 or 2 (branch, team, officers, with levels and reasons) for display; queries go through the
    rating's RatingOfficer rows. `due_at` is the end (local time) of the N-th working day after the day
    of opening. Escalation to the department is a flag (`escalated_at`), not a status: the branch keeps
    working the case. Each step is a function of feedback.cases.services and appends a CaseEvent.
    """

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="case", verbose_name=_("rating"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="cases", verbose_name=_("branch"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("team")
    )
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="cases", verbose_name=_("business"))
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.NEW)
    items = models.JSONField(_("what was rated 1 or 2"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("verifier"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    findings_at = models.DateTimeField(_("findings recorded at"), null=True, blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=20, choices=CaseConclusion.choices, blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True, help_text=_("Never shown to the business."))
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    answer = models.TextField(_("answer to the business"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The first answer decides "on time" and the working days to answer; a dispute brings a second one.
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    answer_working_days = models.PositiveSmallIntegerField(_("working days to answer"), null=True, blank=True)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    dispute_reason = models.TextField(_("reason of the dispute"), blank=True)
    # After a dispute the branch owes a new answer: by this date (due_at keeps the first deadline, which
    # the "answered on time" figures compare the first answer with).
    dispute_due_at = models.DateTimeField(_("new answer due at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("due-date reminder sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_how = models.CharField(_("closed how"), max_length=10, choices=CaseClosure.choices, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DissatisfactionCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("dissatisfaction case")
        verbose_name_plural = _("dissatisfaction cases")
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values),
                name="case_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(conclusion="") | Q(conclusion__in=CaseConclusion.values),
                name="case_conclusion_valid",
            ),
            models.CheckConstraint(
                condition=Q(closed_how="") | Q(closed_how__in=CaseClosure.values), name="case_closed_how_valid"
            ),
            models.CheckConstraint(condition=Q(due_at__gt=models.F("opened_at")), name="case_due_after_opening"),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.ASSIGNED) | Q(assigned_to__isnull=False),
                name="case_assigned_has_verifier",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=list(rules.CONCLUDED_STATUSES)) | ~Q(conclusion=""),
                name="case_concluded_has_conclusion",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=list(rules.ANSWERED_STATUSES)) | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="case_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=(Q(status=CaseStatus.CLOSED) & Q(closed_at__isnull=False) & ~Q(closed_how=""))
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_at__isnull=True) & Q(closed_how="")),
                name="case_closed_consistent",
            ),
            models.CheckConstraint(
                condition=Q(disputed_at__isnull=True, dispute_reason="")
                | (Q(disputed_at__isnull=False) & ~Q(dispute_reason="")),
                name="case_dispute_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status", "due_at"], name="case_branch_inbox_idx"),
            models.Index(fields=["branch", "opened_at"], name="case_branch_opened_idx"),
            # The hourly escalation and the daily reminders scan only open cases.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=rules.OPEN_STATUSES),
                name="case_open_due_idx",
            ),
            # The home page's counts of a unit's open cases (new, in progress, overdue, escalated) and the
            # dashboards' overdue unanswered cases by month of opening, read from the index alone: every
            # column they test is in it, so no case row is visited (10,000 overdue cases at ten million ratings).
            models.Index(
                fields=["branch", "due_at"],
                include=["id", "status", "dispute_due_at", "escalated_at", "opened_at", "first_answered_at"],
                condition=Q(status__in=rules.OPEN_STATUSES),
                name="case_branch_open_idx",
            ),
            # A team leader's open cases (their home page's counts, their inbox): the cases assigned to them,
            # without visiting every open case of the department.
            models.Index(
                fields=["assigned_to", "due_at"],
                include=["id", "status", "dispute_due_at", "escalated_at", "branch_id"],
                condition=Q(status__in=rules.OPEN_STATUSES),
                name="case_assignee_open_idx",
            ),
            # An officer's cases awaiting their explanation (their home page): their few ratings at level 1-2
            # meet the cases not concluded yet here, without visiting every open case of the department.
            models.Index(
                fields=["rating"],
                condition=Q(status__in=rules.BEFORE_CONCLUSION_STATUSES),
                name="case_before_conclusion_idx",
            ),
            models.Index(fields=["answered_at"], condition=Q(status=CaseStatus.ANSWERED), name="case_answered_idx"),
            # A business's (or a broker's) answered cases, on its home page: its own few rows, not every
            # answered case of the department.
            models.Index(
                fields=["business", "due_at"],
                condition=Q(status=CaseStatus.ANSWERED),
                name="case_business_answered_idx",
            ),
            # A business's (a broker's) complaints list, in its order (answered, open, closed; then due date),
            # read from the index alone: a broker's 100 businesses have 36,000 cases at ten million ratings,
            # and reading their wide rows to sort them cost ~100 ms.
            models.Index(fields=["business", "status", "due_at"], include=["id"], name="case_business_list_idx"),
            # ... and its open cases, counted on its home page (a broker's 100 businesses have 36,000
            # cases at ten million ratings, a few hundred of them open).
            models.Index(
                fields=["business", "due_at"],
                condition=Q(status__in=rules.OPEN_STATUSES),
                name="case_business_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return rules.is_open(self)

    @property
    def is_overdue(self) -> bool:
        return rules.is_overdue(self)

    @property
    def answer_due_at(self) -> datetime.datetime:
        """The date the branch owes its next answer by (after a dispute, the new one): rules.effective_due_at."""
        return rules.effective_due_at(self)

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    def rated_officer_ids(self) -> set[int]:
        """Officers rated 1 or 2 in the case, as the rating says now (a correction may have changed it
        since `items` was taken)."""
        return set(
            RatingOfficer.objects.filter(rating_id=self.rating_id, level__in=DISSATISFIED_LEVELS).values_list(
                "officer_id", flat=True
            )
        )


class OfficerExplanation(models.Model):
    """A rated officer's account of what happened: seen by the leaders and the department, never the business."""

    case = models.ForeignKey(DissatisfactionCase, on_delete=models.PROTECT, related_name="explanations")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    text = models.TextField(_("explanation"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("officer's explanation")
        verbose_name_plural = _("officers' explanations")
        ordering = ["case_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "officer"], name="one_explanation_per_officer_and_case"),
            models.CheckConstraint(condition=~Q(text=""), name="explanation_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.officer_id}"


class CaseEvent(TrailEvent):
    """One step in the life of a case: who (and in which role at the time), what, when, and the text.

    Append-only: the model and its queryset refuse updates and deletes, the admin is read-only, and on
    PostgreSQL a trigger (migration 0004) refuses UPDATE and DELETE of rows from any client.
    """

    case = models.ForeignKey(DissatisfactionCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=CaseAction.choices)

    changed_message = _("Case events cannot be changed.")
    deleted_message = _("Case events cannot be deleted.")

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case_id", "created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action}"
