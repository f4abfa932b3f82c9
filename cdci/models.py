"""The yearly CDCI on the Django side: the department's own assessments, the computation runs (a run
that finished is the campaign's draft) and the immutable publications. cdci/method/ computes;
reports/services.py writes these rows; docs/cdci-methodology.md states the method.
"""

import hashlib
import json
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel
from core.jobs import ACTIVE as ACTIVE_JOBS
from core.jobs import BackgroundJob, JobStatus
from directory.models import Branch
from surveys.models import Campaign


def canonical_json(data) -> str:
    """The one text of a JSON value that checksums are taken of: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_of(data) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


class DepartmentAssessment(models.Model):
    """The department's own assessment of one unit for one campaign (0-100, with a note).

    It makes up the assessment share of the unit's total (30% by default); a unit without one is
    scored on the business survey alone. Written only by services.save_assessments (audited).
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="cdci_assessments", verbose_name=_("campaign")
    )
    unit = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    score = models.DecimalField(_("assessment (0-100)"), max_digits=5, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        # The table keeps the name it had while the CDCI lived in reports (moved without copying data).
        db_table = "reports_departmentassessment"
        verbose_name = _("department assessment")
        verbose_name_plural = _("department assessments")
        ordering = ["campaign_id", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="cdci_assessment_once_per_unit"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="cdci_assessment_0_to_100"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.unit_id} = {self.score}"


class CdciRun(BackgroundJob):
    """One computation of a closed campaign's CDCI, started by staff (or a command) and run by Celery.

    `settings` holds the method settings asked for (blend, replicates, seed, three-year bounds) and,
    once done, those cdci.py reports; `input_checksum` is the SHA-256 of the inputs (answers,
    questionnaire, assessments, history, previous result), so two runs on the same data can be told
    apart from runs on changed data. `result` is the draft: the units table, component indexes, intervals,
    contributions and question means (see services.result_to_json). The latest done run of a
    campaign is its draft; at most one run per campaign is queued or running at a time.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="cdci_runs")
    settings = models.JSONField(_("method settings"), default=dict, blank=True)
    input_checksum = models.CharField(_("input checksum"), max_length=64, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        # The table keeps the name it had while the CDCI lived in reports (moved without copying data).
        db_table = "reports_cdcirun"
        verbose_name = _("CDCI computation")
        verbose_name_plural = _("CDCI computations")
        ordering = ["campaign_id", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="cdci_run_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="cdci_run_progress_percent"),
            # A finished run says how it ended: a draft has its result, a failure its error.
            models.CheckConstraint(
                condition=~Q(status=JobStatus.DONE) | Q(result__isnull=False, finished_at__isnull=False),
                name="cdci_run_done_has_result",
            ),
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(status__in=ACTIVE_JOBS), name="cdci_one_active_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_JOBS


class CdciPublication(AppendOnlyModel):
    """One published version of a campaign's CDCI: an immutable snapshot of the draft it came from.

    `snapshot` holds the numbers (units table, component indexes, intervals, contributions, question
    means), the method settings and the questionnaire; `questionnaire_version` is the SHA-256 of the
    questionnaire (component codes, names and weights; question codes, components and directions);
    `checksum` the SHA-256 of the canonical JSON of the snapshot (verify()). Versions count 1, 2, ... per
    campaign; a version after the first states its reason. The public sees the latest version and can
    reach the earlier ones.

    Append-only: the model and its queryset refuse updates and deletes, and on PostgreSQL a trigger
    (migration cdci) refuses UPDATE and DELETE from any client.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="cdci_publications")
    run = models.ForeignKey(CdciRun, on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveSmallIntegerField(_("version"))
    note = models.TextField(_("note"))
    reason = models.TextField(_("reason for a new version"), blank=True)
    snapshot = models.JSONField(_("snapshot"))
    questionnaire_version = models.CharField(_("questionnaire version"), max_length=64)
    checksum = models.CharField(_("checksum (SHA-256)"), max_length=64)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    changed_message = _("A CDCI publication cannot be changed; publish a new version instead.")
    deleted_message = _("A CDCI publication cannot be deleted.")

    class Meta:
        # The table keeps the name it had while the CDCI lived in reports (moved without copying data).
        db_table = "reports_cdcipublication"
        verbose_name = _("CDCI publication")
        verbose_name_plural = _("CDCI publications")
        ordering = ["campaign_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="cdci_publication_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="cdci_publication_version_from_1"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="cdci_publication_new_version_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} v{self.version}"

    def verify(self) -> bool:
        """Whether the snapshot is still the one the checksum was taken of."""
        return sha256_of(self.snapshot) == self.checksum


class Normalisation(models.TextChoices):
    """How each question's mean is put on a common scale before the components are averaged."""

    FIXED = "fixed", _("Fixed bounds (the answer scale, set before the survey)")
    MINMAX = "minmax", _("This year's sample minimum and maximum (as the PCI)")


class AssessmentPolicy(models.TextChoices):
    """What happens to a unit the department has not assessed."""

    SURVEY_ALONE = "survey_alone", _("A unit without an assessment is scored on the survey alone")
    REQUIRED = "required", _("Every unit needs an assessment before the computation")


class CdciMethod(models.Model):
    """The method of one campaign's CDCI, fixed before its survey opens: normalisation, the blend of
    survey and assessment, the component weights, the bootstrap, the minimum evidence for a unit.

    Editable by department staff (services.update_method, audited) while the campaign is a draft; from the
    moment it opens nobody can change it, so the method cannot be tuned once the answers are in. Every
    computation copies it (services.method_options) and the publication's snapshot keeps the copy.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="cdci_method", verbose_name=_("campaign")
    )
    normalisation = models.CharField(
        _("standardisation"), max_length=10, choices=Normalisation.choices, default=Normalisation.FIXED
    )
    business_weight = models.PositiveSmallIntegerField(
        _("business survey share of the total (%)"),
        default=70,
        help_text=_("The rest is the department's own assessment."),
    )
    assessment_policy = models.CharField(
        _("units without an assessment"),
        max_length=20,
        choices=AssessmentPolicy.choices,
        default=AssessmentPolicy.SURVEY_ALONE,
    )
    component_weights = models.JSONField(
        _("component weights (%)"),
        null=True,
        blank=True,
        help_text=_("Component code -> percent; empty keeps the questionnaire's weights."),
    )
    replicates = models.PositiveIntegerField(
        _("bootstrap replicates"),
        default=1000,
        help_text=_("At least 1,000 for published intervals; 0 publishes no interval."),
    )
    min_respondents = models.PositiveSmallIntegerField(_("minimum valid responses for a unit to be ranked"), default=10)
    confidence = models.DecimalField(_("confidence level"), max_digits=4, decimal_places=3, default=Decimal("0.950"))
    seed = models.PositiveIntegerField(_("random seed"), default=2017)
    three_year_bounds = models.BooleanField(
        _("standardise over three years"),
        default=True,
        help_text=_("With the minimum-maximum standardisation: take the last two published campaigns too."),
    )
    sensitivity_draws = models.PositiveIntegerField(_("draws of the method sensitivity study"), default=500)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("CDCI method")
        verbose_name_plural = _("CDCI methods")
        constraints = [
            models.CheckConstraint(
                condition=Q(normalisation__in=Normalisation.values), name="cdci_method_normalisation_valid"
            ),
            models.CheckConstraint(
                condition=Q(assessment_policy__in=AssessmentPolicy.values), name="cdci_method_policy_valid"
            ),
            models.CheckConstraint(
                condition=Q(business_weight__lte=100),
                name="cdci_method_blend_percent",
                violation_error_message=_("The business survey share is a percentage from 0 to 100."),
            ),
            # Fewer than 1,000 replicates give intervals too unstable to publish; 0 publishes none.
            models.CheckConstraint(
                condition=Q(replicates=0) | Q(replicates__gte=1000, replicates__lte=10_000),
                name="cdci_method_replicates_0_or_1000",
                violation_error_message=_("Published intervals need 1,000 to 10,000 replicates (0 for none)."),
            ),
            # Below 5 a unit's figures would rest on cells every public output suppresses.
            models.CheckConstraint(
                condition=Q(min_respondents__gte=5),
                name="cdci_method_min_respondents_5",
                violation_error_message=_("A unit needs at least 5 valid responses to be ranked."),
            ),
            models.CheckConstraint(
                condition=Q(confidence__gt=0, confidence__lt=1),
                name="cdci_method_confidence",
                violation_error_message=_("The confidence level is between 0 and 1 (e.g. 0.95)."),
            ),
            models.CheckConstraint(condition=Q(sensitivity_draws__lte=10_000), name="cdci_method_draws_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.normalisation}, {self.business_weight}/{100 - self.business_weight}"

    @property
    def assessment_weight(self) -> int:
        return 100 - self.business_weight
