"""CDCI campaigns: the questionnaire (component indexes and questions), invitations with codes, responses.

Anonymity is part of the schema: a Response carries its campaign, unit and segment itself, so every
read that staff make (answers, comments, counts) stays on Response/Answer and never joins the
invitation, which is the only row that knows the business. See selectors.py for who may read what.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.jobs import BackgroundJob
from directory.models import Branch, Business, Department

from .choices import CampaignStatus, Direction, InvalidReason, QuestionKind, ResponseSource, Segment

MAX_REMINDERS = 2
MAX_UNITS_PER_INVITATION = 2


def _localized(vi: str, en: str) -> str:
    """The English text when the active language is English and it exists, else the Vietnamese one."""
    if (translation.get_language() or "vi").startswith("en") and en:
        return en
    return vi


class Campaign(models.Model):
    """One yearly CDCI survey of a department: the units rated, the dates, the questionnaire's settings.

    Status moves draft -> open -> closed only through surveys.services (open_campaign, close_campaign).
    """

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="survey_campaigns", verbose_name=_("department")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    open_on = models.DateField(_("opens on"))
    close_on = models.DateField(_("closes on"))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    min_completion = models.DecimalField(
        _("minimum completion"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        help_text=_("Share of the required questions a response must answer to count (0.80 = 80%)."),
    )
    weight_by_segment = models.BooleanField(
        _("weight by segment"),
        default=False,
        help_text=_("Weight in-province and out-of-province responses by their share of invitations."),
    )
    units = models.ManyToManyField(Branch, related_name="survey_campaigns", verbose_name=_("units rated"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["department_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="campaign_once_per_department_year"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="campaign_year_plausible"),
            models.CheckConstraint(condition=Q(close_on__gte=F("open_on")), name="campaign_closes_after_opening"),
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
            models.CheckConstraint(
                condition=Q(min_completion__gt=0, min_completion__lte=1), name="campaign_min_completion_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    def accepts_answers_on(self, day) -> bool:
        """Whether a business may answer on `day` (a local date)."""
        return self.status == CampaignStatus.OPEN and self.open_on <= day <= self.close_on


class ComponentIndex(models.Model):
    """One component index of a campaign's questionnaire (e.g. transparency), with its weight in percent.

    The weights of a campaign sum to 100; open_campaign checks it before the campaign opens.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=20)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("component index")
        verbose_name_plural = _("component indexes")
        ordering = ["campaign_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="component_code_unique_in_campaign"),
            models.UniqueConstraint(fields=["campaign", "position"], name="component_position_unique_in_campaign"),
            models.CheckConstraint(condition=Q(weight__gte=0, weight__lte=100), name="component_weight_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return _localized(self.name_vi, self.name_en)


class Question(models.Model):
    """One question of a component index. Answers are numbers: agreement 1-5, yes 1 / no 0, a count of
    hours or days, or the score of the chosen option. `direction` tells the scoring whether more is better.

    `campaign` repeats the component's campaign so that a question code is unique in the campaign
    (paper forms and error messages name questions by code).
    `choices` (single choice only): a list of {"value", "label_vi", "label_en", "score"}.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    component = models.ForeignKey(ComponentIndex, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=20)
    text_vi = models.TextField(_("text (Vietnamese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.POSITIVE)
    required = models.BooleanField(_("required"), default=True)
    unit_label_vi = models.CharField(_("unit of the number (Vietnamese)"), max_length=30, blank=True)
    unit_label_en = models.CharField(_("unit of the number (English)"), max_length=30, blank=True)
    # The declared range of a number question: the CDCI standardises its unit means on these bounds,
    # fixed before the survey opens (a mean outside them scores 1 or 10).
    scale_min = models.DecimalField(_("lowest value scored"), max_digits=14, decimal_places=2, null=True, blank=True)
    scale_max = models.DecimalField(_("highest value scored"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["component__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="question_code_unique_in_campaign"),
            models.UniqueConstraint(fields=["component", "position"], name="question_position_unique_in_component"),
            models.CheckConstraint(condition=Q(kind__in=QuestionKind.values), name="question_kind_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="question_direction_valid"),
            # Options belong to single-choice questions only.
            models.CheckConstraint(
                condition=Q(kind=QuestionKind.SINGLE_CHOICE) | Q(choices=[]), name="question_choices_only_for_choice"
            ),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True) | Q(scale_max__isnull=True) | Q(scale_min__lt=F("scale_max")),
                name="question_scale_min_below_max",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def text(self) -> str:
        return _localized(self.text_vi, self.text_en)

    @property
    def unit_label(self) -> str:
        return _localized(self.unit_label_vi, self.unit_label_en)

    def choice_label(self, choice: dict) -> str:
        return _localized(choice.get("label_vi", ""), choice.get("label_en", ""))


class Invitation(models.Model):
    """The invitation of one business to a campaign: its segment, the 1-2 units it dealt with most and
    its code. Only the SHA-256 of the code is stored (`code_hash`); the code itself is re-derived from
    `code_nonce` with the server's SECRET_KEY (services.invitation_code) to print letters and e-mails.

    This is the only survey row that names the business; selectors show it to survey administrators only.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="invitations")
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="survey_invitations", verbose_name=_("business")
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    units = models.ManyToManyField(Branch, through="InvitationUnit", related_name="+", verbose_name=_("units"))
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_nonce = models.CharField(max_length=32, unique=True, editable=False)
    added_manually = models.BooleanField(_("added by staff"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "business"], name="invitation_once_per_business"),
            models.CheckConstraint(condition=Q(segment__in=Segment.values), name="invitation_segment_valid"),
            models.CheckConstraint(
                condition=Q(reminder_count__lte=MAX_REMINDERS), name="invitation_at_most_two_reminders"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "segment"], name="invitation_segment_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.pk}"


class InvitationUnit(models.Model):
    """A unit an invited business is asked to rate: the one it dealt with most (rank 1) and the next."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="unit_links")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    declaration_count = models.PositiveIntegerField(_("declarations in the year"), default=0)

    class Meta:
        verbose_name = _("unit of an invitation")
        verbose_name_plural = _("units of invitations")
        ordering = ["invitation_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "branch"], name="invitation_unit_once"),
            models.UniqueConstraint(fields=["invitation", "rank"], name="invitation_unit_rank_once"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=MAX_UNITS_PER_INVITATION), name="invitation_unit_rank_1_or_2"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id} → {self.branch_id} (#{self.rank})"


class Response(models.Model):
    """One business's answers about one unit (one per invitation and unit), saved as it goes and then
    submitted once. Validity is decided at submission and the reasons kept; a straight-lined response
    waits for a staff review (`review_accepted`).

    `campaign` and `segment` are copied from the invitation so that reads for staff never join it.
    """

    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="responses")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    unit = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("unit"))
    source = models.CharField(_("source"), max_length=10, choices=ResponseSource.choices)
    comment = models.TextField(_("comment"), blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    is_valid = models.BooleanField(_("valid"), default=False)
    invalid_reasons = models.JSONField(_("reasons for invalidity"), default=list, blank=True)
    completion = models.DecimalField(
        _("share of required questions answered"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    flagged_straight_lining = models.BooleanField(_("flagged: straight-lining"), default=False)
    review_accepted = models.BooleanField(_("accepted at review"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "unit"], name="response_once_per_invitation_unit"),
            models.CheckConstraint(condition=Q(source__in=ResponseSource.values), name="response_source_valid"),
            models.CheckConstraint(condition=Q(segment__in=Segment.values), name="response_segment_valid"),
            # Only a submitted response can count.
            models.CheckConstraint(
                condition=Q(is_valid=False) | Q(submitted_at__isnull=False), name="response_valid_only_if_submitted"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "unit"], name="response_campaign_unit_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.pk} ({self.unit_id})"

    @property
    def invalid_reason_labels(self) -> list[str]:
        labels = dict(InvalidReason.choices)
        return [str(labels.get(reason, reason)) for reason in self.invalid_reasons]


class Answer(models.Model):
    """The answer to one question in a response: always a number (`value`), plus the option chosen for a
    single-choice question (`choice`, whose score is the value)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    choice = models.CharField(_("choice"), max_length=40, blank=True)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response_id", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once_per_question"),
            models.CheckConstraint(condition=Q(value__gte=0), name="answer_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}={self.value}"


class SurveyAdministrator(models.Model):
    """The survey-administrator capability: a department staff member who manages the invitations of
    the department's campaigns and may therefore see which business was invited and answered.

    A row, not a role, so it is granted per department and audited (services.grant_survey_administrator);
    it only counts while the user is active department staff of that department (selectors.py).
    """

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="survey_administrators", verbose_name=_("department")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_admin_grants", verbose_name=_("user")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey administrator")
        verbose_name_plural = _("survey administrators")
        constraints = [models.UniqueConstraint(fields=["department", "user"], name="survey_admin_once_per_department")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.department_id}"


class MailingKind(models.TextChoices):
    INVITATIONS = "invitations", _("Invitation e-mails")
    REMINDERS = "reminders", _("Reminders")


class Mailing(BackgroundJob):
    """One sending of a campaign's e-mails that staff asked for: the invitations never sent, or the
    reminders due. A Celery task (core.jobs) queues them to the outbox in batches; sending again takes
    only what is still due, so a job taken twice never mails anybody twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="mailings")
    kind = models.CharField(_("kind"), max_length=12, choices=MailingKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    queued = models.PositiveIntegerField(_("e-mails queued"), default=0)

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MailingKind.values), name="mailing_kind_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="mailing_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
