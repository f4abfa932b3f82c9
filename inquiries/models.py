"""Inquiries (vướng mắc) of businesses and their answers, the public FAQ made of them, and the dialogue
conferences at which businesses raise problems.

An Inquiry is a thread: its first question and each follow-up is an InquiryExchange, with its own
deadline and answer, so that every written reply counts once in the charter's reply commitment (the
exchange rows are what charter compliance reads: see docs/inquiries.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import TrailEvent
from core.search_text import fold
from core.uploads import Attachment
from directory.choices import Role
from directory.models import Branch, Business, Department
from directory.scoping import NOTHING, business_filter

from .choices import ConferenceFormat, ConferenceLevel, InquiryAction, InquiryChannel, InquiryStatus, InquiryTopic

# The inquiry still waits for an answer: its deadline runs and it can be overdue.
OPEN_STATUSES = (InquiryStatus.NEW, InquiryStatus.ASSIGNED)


class InquiryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Inquiries `user` may see.

        Businesses: their own. Branch leaders: those routed to their branch. Department staff: every
        inquiry of their department (branch ones too: they take over the overdue). Officers and team
        leaders: those assigned to them, nothing else. Administrators: all. Integration clients and
        visitors: none.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator:
            return self
        role = user.role
        if role == Role.BUSINESS:
            return self.filter(business_filter(user, prefix="business__"))
        if role == Role.BRANCH_LEADER:
            return self.filter(branch_id=user.branch_id)
        if role == Role.DEPARTMENT_STAFF:
            return self.filter(department_id=user.department_id)
        if role in (Role.OFFICER, Role.TEAM_LEADER):
            return self.filter(assigned_to=user)
        return self.filter(NOTHING)

    def still_open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now):
        return self.filter(status__in=OPEN_STATUSES, due_at__lt=now)


class Inquiry(models.Model):
    """A business's question about a procedure, optionally about one of its declarations.

    Routed at asking: to the declaration's branch (`branch` set), or to the department (`branch` empty)
    for policy questions and questions tied to no declaration. `due_at` is the deadline of the exchange
    now open (copied from it, for the inbox and the escalation); a follow-up opens a new one.
    Escalation to the department is a flag, not a status; each step appends an InquiryEvent.
    """

    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="inquiries", verbose_name=_("business")
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=InquiryChannel.choices)
    declaration = models.ForeignKey(
        "feedback.Declaration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inquiries",
        verbose_name=_("declaration"),
    )
    topic = models.CharField(_("topic"), max_length=20, choices=InquiryTopic.choices)
    subject = models.CharField(_("subject"), max_length=200)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="inquiries", verbose_name=_("department")
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inquiries",
        verbose_name=_("branch"),
        help_text=_("Empty: the department answers."),
    )
    status = models.CharField(_("status"), max_length=10, choices=InquiryStatus.choices, default=InquiryStatus.NEW)
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_inquiries",
        verbose_name=_("assigned to"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("last answered at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating of the answer"), null=True, blank=True)
    rating_comment = models.TextField(_("comment on the answer"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=InquiryStatus.values), name="inquiry_status_valid"),
            models.CheckConstraint(condition=Q(topic__in=InquiryTopic.values), name="inquiry_topic_valid"),
            models.CheckConstraint(condition=Q(channel__in=InquiryChannel.values), name="inquiry_channel_valid"),
            models.CheckConstraint(condition=Q(due_at__gt=models.F("asked_at")), name="inquiry_due_after_asking"),
            models.CheckConstraint(
                condition=~Q(status=InquiryStatus.ASSIGNED) | Q(assigned_to__isnull=False),
                name="inquiry_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[InquiryStatus.ANSWERED, InquiryStatus.CLOSED]) | Q(answered_at__isnull=False),
                name="inquiry_answered_has_time",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True, rated_at__isnull=True)
                | Q(rating__gte=1, rating__lte=5, rated_at__isnull=False),
                name="inquiry_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status", "due_at"], name="inquiry_branch_inbox_idx"),
            models.Index(fields=["department", "status", "due_at"], name="inquiry_dept_inbox_idx"),
            models.Index(fields=["business", "-asked_at"], name="inquiry_business_idx"),
            models.Index(fields=["assigned_to", "status"], name="inquiry_assignee_idx"),
            models.Index(fields=["due_at"], condition=Q(status__in=OPEN_STATUSES), name="inquiry_open_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_department_level(self) -> bool:
        return self.branch_id is None


class InquiryExchange(models.Model):
    """One question of an inquiry (the first, or a follow-up) and its written answer.

    The charter's reply commitment is measured on these rows: `asked_at` (received), `due_at` (the end
    of the `commitment_days`-th working day after, by the department's calendar), `answered_at`,
    `answer_working_days` and `answered_on_time`.
    """

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="exchanges")
    sequence = models.PositiveSmallIntegerField(_("number"))
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked at"))
    commitment_days = models.PositiveSmallIntegerField(_("working days committed"))
    due_at = models.DateTimeField(_("due at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_working_days = models.PositiveSmallIntegerField(_("working days to answer"), null=True, blank=True)
    answered_on_time = models.BooleanField(_("answered within the commitment"), null=True, blank=True)

    class Meta:
        verbose_name = _("question and answer")
        verbose_name_plural = _("questions and answers")
        ordering = ["inquiry_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["inquiry", "sequence"], name="inquiry_exchange_sequence_unique"),
            models.CheckConstraint(condition=~Q(question=""), name="inquiry_exchange_question_not_empty"),
            models.CheckConstraint(condition=Q(due_at__gt=models.F("asked_at")), name="inquiry_exchange_due_after"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, answer="", answered_on_time__isnull=True)
                | (Q(answered_at__isnull=False, answered_on_time__isnull=False) & ~Q(answer="")),
                name="inquiry_exchange_answer_consistent",
            ),
        ]
        indexes = [models.Index(fields=["asked_at"], name="inquiry_exchange_asked_idx")]

    def __str__(self) -> str:
        return f"{self.inquiry_id}.{self.sequence}"


class InquiryAttachment(Attachment):
    """A file sent with a question or an answer; served only to those who may see the inquiry."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="attachments")
    exchange = models.ForeignKey(InquiryExchange, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attachment of an inquiry")
        verbose_name_plural = _("attachments of inquiries")
        ordering = ["inquiry_id", "id"]

    def __str__(self) -> str:
        return self.original_name


class InquiryEvent(TrailEvent):
    """One step in the life of an inquiry: who (in which role then), what, when. Append-only (and on
    PostgreSQL a trigger refuses UPDATE and DELETE)."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=InquiryAction.choices)

    changed_message = _("Inquiry events cannot be changed.")
    deleted_message = _("Inquiry events cannot be deleted.")

    class Meta:
        verbose_name = _("inquiry event")
        verbose_name_plural = _("inquiry events")
        ordering = ["inquiry_id", "created_at", "id"]
        indexes = [models.Index(fields=["inquiry", "created_at"], name="inquiry_event_idx")]

    def __str__(self) -> str:
        return f"{self.inquiry_id}: {self.action}"


class FaqEntryQuerySet(models.QuerySet):
    def published(self):
        return self.filter(withdrawn_at__isnull=True)


class FaqEntry(models.Model):
    """A general answer, published without the business's identity: the texts are the department's own
    edit of the inquiry's question and answer, and the public page reads only this row, never the inquiry."""

    inquiry = models.OneToOneField(Inquiry, on_delete=models.PROTECT, related_name="faq_entry")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="faq_entries")
    topic = models.CharField(_("topic"), max_length=20, choices=InquiryTopic.choices)
    question = models.TextField(_("published question"))
    answer = models.TextField(_("published answer"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # The question and answer folded for search (core.search_text): "thue" finds "thuế".
    search_text = models.TextField(_("searchable text"), blank=True, editable=False)

    objects = FaqEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(question="") & ~Q(answer=""), name="faq_entry_texts_not_empty"),
            models.CheckConstraint(condition=Q(topic__in=InquiryTopic.values), name="faq_entry_topic_valid"),
        ]
        indexes = [models.Index(fields=["topic", "-published_at"], name="faq_entry_topic_idx")]

    def __str__(self) -> str:
        return self.question[:60]

    def save(self, *args, **kwargs):
        self.search_text = fold(f"{self.question}\n{self.answer}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)


class ConferenceQuerySet(models.QuerySet):
    def for_user(self, user):
        """Department staff: their department's conferences; branch leaders: their branch's; administrators: all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator:
            return self
        if user.role == Role.DEPARTMENT_STAFF:
            return self.filter(department_id=user.department_id)
        if user.role == Role.BRANCH_LEADER:
            return self.filter(branch_id=user.branch_id)
        return self.none()


class DialogueConference(models.Model):
    """A dialogue with businesses (hội nghị đối thoại): a department or branch conference, a symposium,
    or a leaders' delegation; the problems raised at it are ConferenceProblem rows."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="conferences")
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="conferences", verbose_name=_("branch")
    )
    level = models.CharField(_("level"), max_length=12, choices=ConferenceLevel.choices)
    format = models.CharField(
        _("format"), max_length=12, choices=ConferenceFormat.choices, default=ConferenceFormat.CONFERENCE
    )
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    businesses = models.ManyToManyField(
        Business, related_name="conferences", blank=True, verbose_name=_("businesses present")
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ConferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("dialogue conference")
        verbose_name_plural = _("dialogue conferences")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=ConferenceLevel.values), name="conference_level_valid"),
            models.CheckConstraint(condition=Q(format__in=ConferenceFormat.values), name="conference_format_valid"),
            models.CheckConstraint(
                condition=Q(level=ConferenceLevel.BRANCH, branch__isnull=False)
                | Q(level=ConferenceLevel.DEPARTMENT, branch__isnull=True),
                name="conference_branch_matches_level",
            ),
        ]
        indexes = [models.Index(fields=["department", "held_on"], name="conference_dept_date_idx")]

    def __str__(self) -> str:
        return f"{self.held_on}: {self.title}"


class ConferenceProblem(models.Model):
    """A problem a business raised at a conference: always an inquiry (an existing one, or one created
    for it), and its resolution once customs has solved it."""

    conference = models.ForeignKey(DialogueConference, on_delete=models.PROTECT, related_name="problems")
    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="conference_problems")
    resolution = models.TextField(_("resolution"), blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem raised")
        verbose_name_plural = _("problems raised")
        ordering = ["conference_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "inquiry"], name="conference_problem_once"),
            models.CheckConstraint(
                condition=Q(solved_at__isnull=True, resolution="") | (Q(solved_at__isnull=False) & ~Q(resolution="")),
                name="conference_problem_solved_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conference_id}: {self.inquiry_id}"
