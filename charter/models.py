"""Charter compliance rollups, the department calendars in the form the fold's SQL reads, and the
declarations that overran a commitment (the leaders' worst cases). Written only by charter.rollup."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Level


class ComplianceHistogram(models.Model):
    """How many measured durations of one commitment, for one unit and local month of clearance, fell
    in one duration bucket (charter.buckets), and how many of those were within the commitment.

    Additive: the incremental fold and the rebuild add counts, so quantiles over any run of months are
    read from summed buckets. `commitment` is a CharterCode: other sources (inquiry replies) fold into
    the same table. `unit_id` points at Department, Branch or Team depending on `level`.
    """

    # One index only, the key, ordered as pages read it (a unit over months): every extra index is a
    # second write per row in a rebuild, and the rebuild's cost is mostly its writes.
    pk = models.CompositePrimaryKey("level", "unit_id", "month", "commitment", "bucket")
    commitment = models.CharField(_("commitment"), max_length=30)
    level = models.PositiveSmallIntegerField(_("unit level"), choices=Level.choices)
    unit_id = models.PositiveIntegerField(_("unit"))
    month = models.DateField(_("month"), help_text=_("First day of the local month of clearance."))
    bucket = models.PositiveSmallIntegerField(_("duration bucket"))
    measured = models.IntegerField(_("measured"), default=0)
    within = models.IntegerField(_("within the commitment"), default=0)

    class Meta:
        verbose_name = _("charter compliance histogram")
        verbose_name_plural = _("charter compliance histograms")
        constraints = [
            models.CheckConstraint(condition=Q(within__lte=models.F("measured")), name="charter_within_le_measured"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment} {self.level}:{self.unit_id} {self.month:%Y-%m} #{self.bucket}"


class DeclarationTiming(models.Model):
    """The charter durations of one cleared declaration, in seconds, as the fold measured them.

    Computed once per declaration (the working-time arithmetic is the costly part of the measure), so the
    nightly rebuild of the histograms and overruns is a GROUP BY over these columns. Timings are computed
    again, all of them, when a department's calendar changes (CharterState.timing_fingerprint), and one by
    one for declarations the clearance system sent again (a changed declaration's `updated_at`).
    `declaration_id` is not a foreign key, like Overrun's: declarations are never deleted (read-only in
    the admin, changed only by the ingest), and a full re-time starts from the declarations.
    A NULL duration is a stage the declaration did not go through (or was not timed for).
    """

    declaration_id = models.BigIntegerField(_("declaration"), primary_key=True)
    department_id = models.PositiveIntegerField(_("department"))
    branch_id = models.PositiveIntegerField(_("branch"))
    team_id = models.PositiveIntegerField(_("team"), null=True)
    month = models.DateField(_("month"), help_text=_("First day of the local month of clearance."))
    registration = models.BigIntegerField(_("registration (seconds)"), null=True)
    document_check = models.BigIntegerField(_("document check (working seconds)"), null=True)
    physical_inspection = models.BigIntegerField(_("physical inspection (working seconds)"), null=True)

    class Meta:
        verbose_name = _("declaration timing (charter)")
        verbose_name_plural = _("declaration timings (charter)")

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.registration}/{self.document_check}/{self.physical_inspection}s"


class Overrun(models.Model):
    """A declaration that took longer than its department's commitment (the worst cases a leader reads)."""

    pk = models.CompositePrimaryKey("declaration_id", "commitment")
    declaration_id = models.BigIntegerField(_("declaration"))
    commitment = models.CharField(_("commitment"), max_length=30)
    department_id = models.PositiveIntegerField(_("department"))
    branch_id = models.PositiveIntegerField(_("branch"))
    team_id = models.PositiveIntegerField(_("team"), null=True)
    month = models.DateField(_("month"))
    seconds = models.BigIntegerField(_("duration (seconds)"))
    limit_seconds = models.BigIntegerField(_("limit (seconds)"))

    class Meta:
        verbose_name = _("charter overrun")
        verbose_name_plural = _("charter overruns")
        constraints = [
            models.CheckConstraint(condition=Q(seconds__gt=models.F("limit_seconds")), name="charter_overrun_over"),
        ]
        indexes = [models.Index(fields=["branch_id", "month", "-seconds"], name="charter_overrun_branch_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.commitment} {self.seconds}s"


class WorkingDay(models.Model):
    """One local day of one department's calendar, as the fold's SQL reads it.

    `day` is the day number since 1970-01-01 in local time (Asia/Ho_Chi_Minh, UTC+7 since 1975), so the
    SQL finds it from a timestamp by arithmetic. `before_seconds` is the department's working time from
    the table's first day to this day's midnight; the four `*_start`/`*_end` are its sessions in seconds
    after midnight (all 0 on a day off). Working time between t1 and t2 = W(t2) - W(t1) with
    W(t) = before_seconds + the part of the day's sessions before t. Rebuilt from directory.CalendarDay
    and the department's hours (charter.calendar).
    """

    pk = models.CompositePrimaryKey("department_id", "day")
    department_id = models.PositiveIntegerField(_("department"))
    day = models.IntegerField(_("day number"))
    before_seconds = models.BigIntegerField(_("working seconds before the day"))
    morning_start = models.IntegerField(default=0)
    morning_end = models.IntegerField(default=0)
    afternoon_start = models.IntegerField(default=0)
    afternoon_end = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("working day (charter calendar)")
        verbose_name_plural = _("working days (charter calendar)")

    def __str__(self) -> str:
        return f"{self.department_id}:{self.day}"


class PendingDeclaration(models.Model):
    """A declaration passed by the watermark before it was cleared: measured when its clearance arrives."""

    declaration_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name = _("declaration awaiting clearance (charter)")
        verbose_name_plural = _("declarations awaiting clearance (charter)")

    def __str__(self) -> str:
        return str(self.declaration_id)


class CharterState(models.Model):
    """The single row (pk=1) holding the fold's watermark; locking it serialises folds and rebuilds."""

    declaration_watermark = models.BigIntegerField(_("last folded declaration"), default=0)
    calendar_fingerprint = models.CharField(_("calendar fingerprint"), max_length=64, blank=True)
    timing_fingerprint = models.CharField(
        _("calendar of the stored timings"),
        max_length=64,
        blank=True,
        help_text=_("The calendar fingerprint the declaration timings were computed with; another one re-times all."),
    )
    limits_fingerprint = models.CharField(
        _("limits of the listed overruns"),
        max_length=64,
        blank=True,
        help_text=_("The commitments' limits the overruns were listed with; other limits list them all again."),
    )
    retimed_through = models.DateTimeField(
        _("changed declarations re-timed through"),
        null=True,
        blank=True,
        help_text=_("Declarations the clearance system sent again after this moment are re-timed at the next rebuild."),
    )
    folded_at = models.DateTimeField(_("last fold"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("last rebuild"), null=True, blank=True)

    class Meta:
        verbose_name = _("charter rollup state")
        verbose_name_plural = _("charter rollup state")

    def __str__(self) -> str:
        return f"declarations ≤ {self.declaration_watermark}"
