"""Declarations cleared by customs (and, in later modules, their ratings and cases)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel
from directory.choices import Role
from directory.models import Branch, Business, Officer, Team
from directory.scoping import NOTHING, branch_filter, business_filter

from .choices import (
    CASE_OPEN_STATUSES,
    DISSATISFIED_LEVELS,
    CaseAction,
    CaseClosure,
    CaseConclusion,
    CaseStatus,
    Channel,
    Level,
    Stage,
    SubmissionChannel,
)


class DeclarationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Declarations `user` may see: a business its own, an officer those they handled, a leader their unit's."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator:
            return self
        role = user.role
        if role == Role.BUSINESS:
            return self.filter(business_filter(user, prefix="business__"))
        if role == Role.OFFICER:
            handled = DeclarationOfficer.objects.filter(declaration=OuterRef("pk"), officer_id=user.officer_id)
            return self.filter(Exists(handled))
        if role == Role.TEAM_LEADER:
            return self.filter(team_id=user.team_id)
        if role in (Role.BRANCH_LEADER, Role.DEPARTMENT_STAFF, Role.INTEGRATION):
            return self.filter(branch_filter(user, prefix="branch__"))
        return self.filter(NOTHING)

    def cleared(self):
        return self.filter(cleared_at__isnull=False)


class Declaration(models.Model):
    """A customs declaration (tờ khai) as the clearance system reported it, with the units that handled it.

    `team` and each officer's team are those of the day the declaration was registered, so a later
    transfer of an officer does not move old ratings to a new team.
    """

    number = models.CharField(_("declaration number"), max_length=12, unique=True)
    type_code = models.CharField(_("type code"), max_length=5)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("business")
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("branch"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="declarations", verbose_name=_("team")
    )
    registered_at = models.DateTimeField(_("registered at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-cleared_at", "-registered_at"]
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{12}$"), name="declaration_number_12_digits"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="declaration_channel_valid"),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_at__gte=models.F("registered_at")),
                name="declaration_cleared_after_registered",
            ),
        ]
        indexes = [
            models.Index(fields=["business", "-cleared_at"], name="declaration_business_idx"),
            models.Index(fields=["branch", "-cleared_at"], name="declaration_branch_idx"),
            models.Index(fields=["team", "-cleared_at"], name="declaration_team_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_cleared(self) -> bool:
        return self.cleared_at is not None


class DeclarationOfficer(models.Model):
    """An officer who handled one stage of a declaration, with the team they were in that day."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="officer_links")
    officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="declaration_links", verbose_name=_("officer")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team on that day")
    )

    class Meta:
        verbose_name = _("officer of a declaration")
        verbose_name_plural = _("officers of declarations")
        ordering = ["declaration_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "officer", "stage"], name="officer_stage_once_per_declaration"
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="declaration_officer_stage_valid"),
        ]
        indexes = [models.Index(fields=["officer", "declaration"], name="declaration_officer_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.officer_id} ({self.stage})"


class Rating(models.Model):
    """A business's rating of one cleared declaration: the branch, the team and (RatingOfficer) each officer.

    One per declaration (UNIQUE). The branch and team are copied from the declaration so the rating
    stays with the units as they were at clearance. A rating is never edited through `save()`: only
    `feedback.rating_services.correct_rating` changes one, and it keeps the old and new values in a
    RatingCorrection. `is_dissatisfied` (any level 1 or 2, officers included) is stored and indexed
    so the dissatisfaction cases and the reports find them without reading officer rows.
    """

    declaration = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, related_name="rating", verbose_name=_("declaration")
    )
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("business"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("submitted by")
    )
    submitted_via = models.CharField(_("submitted via"), max_length=3, choices=SubmissionChannel.choices)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("branch"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings", verbose_name=_("team")
    )
    branch_level = models.PositiveSmallIntegerField(_("branch level"), choices=Level.choices)
    team_level = models.PositiveSmallIntegerField(_("team level"), choices=Level.choices, null=True, blank=True)
    # Lists of Reason values; JSON so that SQLite (the embedded mode) stores them too.
    branch_reasons = models.JSONField(_("reasons (branch)"), default=list, blank=True)
    team_reasons = models.JSONField(_("reasons (team)"), default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=2000, blank=True)
    is_dissatisfied = models.BooleanField(_("dissatisfied"), default=False)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    corrected_at = models.DateTimeField(_("last corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(branch_level__gte=1, branch_level__lte=5), name="rating_branch_level_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(team_level__isnull=True) | Q(team_level__gte=1, team_level__lte=5),
                name="rating_team_level_1_to_5",
            ),
            # Officer levels live in another table, but the branch and team part of the flag can be enforced.
            models.CheckConstraint(
                condition=Q(is_dissatisfied=True)
                | (Q(branch_level__gte=3) & (Q(team_level__isnull=True) | Q(team_level__gte=3))),
                name="rating_dissatisfied_covers_levels",
            ),
            models.CheckConstraint(
                condition=Q(submitted_via__in=SubmissionChannel.values), name="rating_submitted_via_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="rating_created_idx"),
            models.Index(fields=["business", "-created_at"], name="rating_business_idx"),
            # Few ratings are dissatisfied: a partial index stays small and serves the case inbox.
            models.Index(fields=["created_at"], condition=Q(is_dissatisfied=True), name="rating_dissatisfied_idx"),
            # The dashboards' recent comments of a branch or team, newest first: a few percent of ratings
            # carry a comment, so these stay small and the newest twenty are read without a sort.
            models.Index(fields=["branch", "-created_at"], condition=~Q(comment=""), name="rating_branch_comment_idx"),
            models.Index(fields=["team", "-created_at"], condition=~Q(comment=""), name="rating_team_comment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.branch_level}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A rating cannot be changed; an administrator records a correction instead."))
        super().save(*args, **kwargs)


class RatingOfficer(models.Model):
    """The level one officer who handled the declaration received in a rating, with their team that day."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="officer_ratings")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("officer"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team on that day")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("officer rating")
        verbose_name_plural = _("officer ratings")
        ordering = ["rating_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "officer"], name="officer_rated_once_per_rating"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="rating_officer_level_1_to_5"),
        ]
        indexes = [models.Index(fields=["officer", "rating"], name="rating_officer_idx")]

    def __str__(self) -> str:
        return f"{self.rating_id}: {self.officer_id} {self.level}"


class RatingCorrection(models.Model):
    """An administrator's correction of a rating: who, why, and each changed value before and after.

    Append-only like the audit trail. `changes` maps a field ("branch_level", "comment", or
    "officer:<code>") to [old, new], so reports can replay a correction as a delta of counts.
    """

    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="corrections")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("corrected by")
    )
    reason = models.TextField(_("why"))
    changes = models.JSONField(_("changes"))
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("rating correction")
        verbose_name_plural = _("rating corrections")
        ordering = ["rating_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rating_id} @ {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A rating correction cannot be changed."))
        super().save(*args, **kwargs)


# --- dissatisfaction cases (issue 4) ------------------------------------------------------------


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
        """Cases `user` may see (what of them is another matter: see feedback.case_serializers).

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
            rated = RatingOfficer.objects.filter(
                rating_id=OuterRef("rating_id"), officer_id=user.officer_id, level__in=DISSATISFIED_LEVELS
            )
            return self.filter(Exists(rated))
        if role == Role.BUSINESS:
            return self.filter(business_filter(user, prefix="business__"))
        return self.filter(NOTHING)

    def still_open(self):
        """Cases the branch has not answered yet: their deadline runs."""
        return self.filter(status__in=CASE_OPEN_STATUSES)

    def overdue(self, now):
        return self.still_open().filter(due_at__lt=now)


class DissatisfactionCase(models.Model):
    """The verification of one dissatisfied rating (any level 1 or 2), opened with the rating itself.

    It belongs to the branch of the declaration. `items` is a snapshot, taken at opening, of what was
    rated 1 or 2 (branch, team, officers, with levels and reasons) for display; queries go through the
    rating's RatingOfficer rows. `due_at` is the end (local time) of the N-th working day after the day
    of opening. Escalation to the department is a flag (`escalated_at`), not a status: the branch keeps
    working the case. Each step is a function of feedback.case_services and appends a CaseEvent.
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
                condition=~Q(status__in=[CaseStatus.CONCLUDED, CaseStatus.ANSWERED, CaseStatus.CLOSED])
                | ~Q(conclusion=""),
                name="case_concluded_has_conclusion",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[CaseStatus.ANSWERED, CaseStatus.CLOSED])
                | (Q(answered_at__isnull=False) & ~Q(answer="")),
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
                condition=Q(status__in=CASE_OPEN_STATUSES),
                name="case_open_due_idx",
            ),
            models.Index(fields=["answered_at"], condition=Q(status=CaseStatus.ANSWERED), name="case_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in CASE_OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and timezone.now() > self.due_at

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def rated_officer_ids(self) -> set[int]:
        return {item["officer_id"] for item in self.items if item.get("kind") == "officer"}


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


class CaseEvent(AppendOnlyModel):
    """One step in the life of a case: who (and in which role at the time), what, when, and the text.

    Append-only: the model and its queryset refuse updates and deletes, the admin is read-only, and on
    PostgreSQL a trigger (migration 0004) refuses UPDATE and DELETE of rows from any client.
    """

    case = models.ForeignKey(DissatisfactionCase, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        help_text=_("Empty when a scheduled job acted."),
    )
    actor_role = models.CharField(_("role at the time"), max_length=20)
    action = models.CharField(_("action"), max_length=20, choices=CaseAction.choices)
    text = models.TextField(_("text"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    changed_message = _("Case events cannot be changed.")
    deleted_message = _("Case events cannot be deleted.")

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case_id", "created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action}"
