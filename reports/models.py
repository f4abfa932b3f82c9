"""Rollups of ratings and cleared declarations (unit x month x channel), read by the figures and dashboards.

Written only by reports.rollups (the incremental fold and the full rebuild); see docs/measures.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.IntegerChoices):
    """The level of a unit in a rollup row. Stored as a small integer: the presence table has millions of rows."""

    DEPARTMENT = 1, _("Department")
    BRANCH = 2, _("Branch")
    TEAM = 3, _("Team")
    OFFICER = 4, _("Officer")


class RatingRollup(models.Model):
    """What one unit received in one month (local month of clearance) on one inspection channel.

    `level_1`..`level_5` count the levels given to the unit itself: a branch (and its department) by
    `Rating.branch_level`, a team by `team_level` (of the team snapshot on the rating), an officer by
    `RatingOfficer.level`. `rated` counts rated declarations of the unit (for a team also those whose
    team level was left blank) and `cleared` its cleared declarations, so `rated / cleared` is coverage.
    `unit_id` points at Department, Branch, Team or Officer depending on `unit_kind` (no foreign key:
    one table serves four levels).
    """

    unit_kind = models.PositiveSmallIntegerField(_("unit level"), choices=UnitKind.choices)
    unit_id = models.PositiveIntegerField(_("unit"))
    month = models.DateField(_("month"), help_text=_("First day of the local month of clearance."))
    channel = models.CharField(_("channel"), max_length=6)
    cleared = models.IntegerField(_("cleared declarations"), default=0)
    rated = models.IntegerField(_("rated declarations"), default=0)
    level_1 = models.IntegerField(_("very dissatisfied"), default=0)
    level_2 = models.IntegerField(_("dissatisfied"), default=0)
    level_3 = models.IntegerField(_("normal"), default=0)
    level_4 = models.IntegerField(_("satisfied"), default=0)
    level_5 = models.IntegerField(_("very satisfied"), default=0)

    class Meta:
        verbose_name = _("rating rollup")
        verbose_name_plural = _("rating rollups")
        ordering = ["unit_kind", "unit_id", "month", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["unit_kind", "unit_id", "month", "channel"], name="rollup_grain_unique"),
        ]
        indexes = [
            # The department reference rates and the side-by-side rankings read a level over months.
            models.Index(fields=["unit_kind", "month"], name="rollup_kind_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_unit_kind_display()} {self.unit_id} {self.month:%Y-%m} {self.channel}"


class BusinessPresence(models.Model):
    """Which months of one year one business dealt with one unit, as two 12-bit masks.

    Bit m - 1 (value 1 << (m - 1)) of `cleared_months` is set when the business had a declaration
    cleared by the unit in month m of `year` (local month of clearance), of `rated_months` when it
    sent a rating about the unit for such a declaration. Distinct businesses do not add up across
    months, so participation over a period (businesses that rated / businesses with a cleared
    declaration) counts the rows whose masks meet the period's months. One row per year instead of
    one per month: the fold merges months with a bitwise OR (idempotent), and a 12-month dashboard
    reads a business once or twice per unit rather than twelve times.
    """

    unit_kind = models.PositiveSmallIntegerField(_("unit level"), choices=UnitKind.choices)
    unit_id = models.PositiveIntegerField(_("unit"))
    year = models.PositiveSmallIntegerField(_("year"))
    business_id = models.PositiveIntegerField(_("business"))
    cleared_months = models.IntegerField(_("months with a cleared declaration (bit mask)"), default=0)
    rated_months = models.IntegerField(_("months with a rating (bit mask)"), default=0)

    class Meta:
        verbose_name = _("business presence")
        verbose_name_plural = _("business presences")
        ordering = ["unit_kind", "unit_id", "year", "business_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit_kind", "unit_id", "year", "business_id"], name="presence_year_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_unit_kind_display()} {self.unit_id} {self.year} business {self.business_id}"


class PresenceCount(models.Model):
    """How many distinct businesses dealt with one unit over one run of months of one year.

    Counted from BusinessPresence (reports.presence_counts) for every run `first_month`..`last_month` within
    the year (78 runs), so that the participation of a month, a quarter or a year, the periods a dashboard
    offers, is one row instead of a count over every business of the unit (a department's year: 16,000
    rows). Recounted by the fold for the unit-years whose masks changed, and by the rebuild.
    """

    unit_kind = models.PositiveSmallIntegerField(_("unit level"), choices=UnitKind.choices)
    unit_id = models.PositiveIntegerField(_("unit"))
    year = models.PositiveSmallIntegerField(_("year"))
    first_month = models.PositiveSmallIntegerField(_("first month"))
    last_month = models.PositiveSmallIntegerField(_("last month"))
    businesses_cleared = models.IntegerField(_("businesses with a cleared declaration"))
    businesses_rated = models.IntegerField(_("businesses that rated"))

    class Meta:
        verbose_name = _("business presence count")
        verbose_name_plural = _("business presence counts")
        ordering = ["unit_kind", "unit_id", "year", "first_month", "last_month"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit_kind", "unit_id", "year", "first_month", "last_month"], name="presence_count_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(first_month__gte=1, last_month__lte=12, first_month__lte=models.F("last_month")),
                name="presence_count_months_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(businesses_rated__gte=0, businesses_cleared__gte=0),
                name="presence_count_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_unit_kind_display()} {self.unit_id} {self.year} {self.first_month}-{self.last_month}: "
            f"{self.businesses_rated}/{self.businesses_cleared}"
        )


class CaseOutcome(models.TextChoices):
    """Where a case stands against its deadline, from its stored times alone (never from "now")."""

    ON_TIME = "on_time", _("answered on time")
    LATE = "late", _("answered late")
    UNANSWERED = "unanswered", _("not answered yet")


class CaseRollup(models.Model):
    """How many dissatisfaction cases of one branch opened in one month (local month of opening) share one
    outcome, one conclusion and one count of working days to the first answer.

    The dashboards' case figures are sums of `cases` (opened, answered on time or late, concluded,
    substantiated), and the median days to answer comes from the `answer_working_days` counts: a
    histogram, so medians of any set of months or branches can be read without the cases. Whether an
    unanswered case is overdue depends on the clock, so that count is read live from the open cases (a
    partial index). Written by reports.case_rollups: the rows of a (branch, month) are recomputed
    whenever one of its cases is opened or gains an event.
    """

    branch_id = models.PositiveIntegerField(_("branch"))
    month = models.DateField(_("month"), help_text=_("First day of the local month of opening."))
    outcome = models.CharField(_("outcome"), max_length=10, choices=CaseOutcome.choices)
    conclusion = models.CharField(_("conclusion"), max_length=20, blank=True)
    # -1 when the case has no count of working days (not answered yet): a key column, so never NULL.
    answer_working_days = models.SmallIntegerField(_("working days to the first answer"))
    cases = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("case rollup")
        verbose_name_plural = _("case rollups")
        ordering = ["branch_id", "month", "outcome", "conclusion", "answer_working_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch_id", "month", "outcome", "conclusion", "answer_working_days"],
                name="case_rollup_grain_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[choice.value for choice in CaseOutcome]),
                name="case_rollup_outcome_valid",
            ),
            models.CheckConstraint(condition=models.Q(cases__gt=0), name="case_rollup_cases_positive"),
        ]

    def __str__(self) -> str:
        return f"branch {self.branch_id} {self.month:%Y-%m} {self.outcome} {self.conclusion}: {self.cases}"


class RollupState(models.Model):
    """The single row (pk=1) holding the fold's watermarks; locking it serialises folds and rebuilds.

    Every rating with id <= `rating_watermark` and every declaration with id <= `declaration_watermark`
    is in the rollups (a declaration not yet cleared waits in PendingClearance).
    """

    rating_watermark = models.BigIntegerField(_("last folded rating"), default=0)
    declaration_watermark = models.BigIntegerField(_("last folded declaration"), default=0)
    folded_at = models.DateTimeField(_("last fold"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("last rebuild"), null=True, blank=True)
    # Cases with id <= `case_watermark` and case events with id <= `case_event_watermark` are in CaseRollup.
    case_watermark = models.BigIntegerField(_("last folded case"), default=0)
    case_event_watermark = models.BigIntegerField(_("last folded case event"), default=0)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self) -> str:
        return f"ratings ≤ {self.rating_watermark}, declarations ≤ {self.declaration_watermark}"


class PendingClearance(models.Model):
    """A declaration passed by the watermark before it was cleared: counted when its clearance arrives."""

    declaration_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name = _("declaration awaiting clearance")
        verbose_name_plural = _("declarations awaiting clearance")

    def __str__(self) -> str:
        return str(self.declaration_id)


class FoldedCorrection(models.Model):
    """A rating correction already reflected in the rollups (as a delta, or inside the rating's first fold)."""

    correction_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name = _("folded rating correction")
        verbose_name_plural = _("folded rating corrections")

    def __str__(self) -> str:
        return str(self.correction_id)


from .exports.models import ExportJob  # noqa: E402, F401  (big exports)
