"""Who is who: customs units, officers, businesses, portal users, API tokens and the audit trail."""

import datetime
import hashlib
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel, AppendOnlyQuerySet

from .choices import CalendarDayKind, CharterCode, CharterUnit, Role
from .scoping import branch_filter, business_filter, officer_filter
from .taxcode import normalize_tax_code

unit_code_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]+$", _("A code uses letters, digits, dot, dash and underscore only.")
)


class Department(models.Model):
    """A provincial Customs Department (Cục Hải quan), the top unit a deployment ranks inside.

    The names of the two levels below it changed in 2025 (Chi cục -> Chi cục khu vực, Đội -> Hải quan
    cửa khẩu), so each department names its own levels; blank means the pre-2025 names.
    """

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=200)
    province_tax_prefix = models.CharField(
        _("province code of local tax codes"),
        max_length=2,
        blank=True,
        help_text=_("Businesses whose tax code starts with these two digits are in-province."),
    )
    branch_label = models.CharField(_("label of the branch level"), max_length=60, blank=True)
    team_label = models.CharField(_("label of the team level"), max_length=60, blank=True)
    # Office hours of a working day, around the lunch break: working-hour timings count only these.
    morning_starts = models.TimeField(_("morning session starts"), default=datetime.time(7, 30))
    morning_ends = models.TimeField(_("morning session ends"), default=datetime.time(11, 30))
    afternoon_starts = models.TimeField(_("afternoon session starts"), default=datetime.time(13, 30))
    afternoon_ends = models.TimeField(_("afternoon session ends"), default=datetime.time(17, 0))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_starts__lt=models.F("morning_ends"))
                & Q(morning_ends__lte=models.F("afternoon_starts"))
                & Q(afternoon_starts__lt=models.F("afternoon_ends")),
                name="department_office_hours_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        times = [self.morning_starts, self.morning_ends, self.afternoon_starts, self.afternoon_ends]
        if None not in times and not (times[0] < times[1] <= times[2] < times[3]):
            raise ValidationError(
                _("Office hours must run in order: morning start, morning end, afternoon start, afternoon end.")
            )

    @property
    def branch_level_name(self) -> str:
        return self.branch_label or str(_("Customs branch"))

    @property
    def team_level_name(self) -> str:
        return self.team_label or str(_("Team"))


class DepartmentOwnedQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rows of the user's own department for its staff and integration clients; every row for administrators."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator:
            return self
        if user.role in (Role.DEPARTMENT_STAFF, Role.INTEGRATION) and user.department_id:
            return self.filter(department_id=user.department_id)
        return self.none()


class CalendarDay(models.Model):
    """A day on which a department departs from the statutory calendar: a swap Saturday it works, or a
    bridge day or local closure it does not. Deadlines and charter timings of the department follow it."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="calendar_days", verbose_name=_("department")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=CalendarDayKind.choices)
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("The decision or reason, e.g. the swap.")
    )

    objects = DepartmentOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["department_id", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["department", "date"], name="calendar_day_once_per_department"),
            models.CheckConstraint(condition=Q(kind__in=CalendarDayKind.values), name="calendar_day_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()}: {self.get_kind_display()}"


class CharterCommitment(models.Model):
    """One timing of the customer service charter as a department commits to it (defaults: CHARTER_DEFAULTS)."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="charter_commitments", verbose_name=_("department")
    )
    code = models.CharField(_("commitment"), max_length=30, choices=CharterCode.choices)
    limit = models.PositiveIntegerField(_("limit"))
    unit = models.CharField(_("unit"), max_length=15, choices=CharterUnit.choices)

    objects = DepartmentOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("charter commitment")
        verbose_name_plural = _("charter commitments")
        ordering = ["department_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["department", "code"], name="charter_commitment_once_per_department"),
            models.CheckConstraint(condition=Q(code__in=CharterCode.values), name="charter_commitment_code_valid"),
            models.CheckConstraint(condition=Q(unit__in=CharterUnit.values), name="charter_commitment_unit_valid"),
            models.CheckConstraint(condition=Q(limit__gte=1), name="charter_commitment_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()}: {self.limit} {self.get_unit_display()}"

    @property
    def label(self) -> str:
        return str(self.get_code_display())


# The charter's timings (Decision 225/QĐ-TCHQ): what every department commits to until it sets its own.
CHARTER_DEFAULTS: dict[str, tuple[int, str]] = {
    CharterCode.REGISTRATION: (30, CharterUnit.MINUTES),
    CharterCode.DOCUMENT_CHECK: (2, CharterUnit.WORKING_HOURS),
    CharterCode.PHYSICAL_INSPECTION: (8, CharterUnit.WORKING_HOURS),
    CharterCode.TAX_EXEMPTION: (10, CharterUnit.WORKING_DAYS),
    CharterCode.INQUIRY_REPLY: (5, CharterUnit.WORKING_DAYS),
}


class BranchQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(branch_filter(user, prefix=""))


class Branch(models.Model):
    """A Customs Branch (Chi cục Hải quan, since 2025 a regional branch): the unit ranked by CDCI."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="branches")
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["department_id", "name"]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(branch_filter(user, prefix="branch__"))


class Team(models.Model):
    """A team or working group (Đội, Tổ công tác; since 2025 a border-gate unit) inside a branch."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="teams")
    code = models.CharField(_("code"), max_length=20, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["branch_id", "name"]
        constraints = [models.UniqueConstraint(fields=["branch", "code"], name="team_code_unique_in_branch")]

    def __str__(self) -> str:
        return self.name


class OfficerQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(officer_filter(user, prefix=""))

    def with_team_on(self, day: datetime.date):
        """Annotate `team_id_on_day`: the team each officer belonged to on `day` (or None)."""
        membership = TeamMembership.objects.filter(officer=models.OuterRef("pk")).active_on(day)
        return self.annotate(team_id_on_day=models.Subquery(membership.values("team_id")[:1]))


class Officer(models.Model):
    """A customs officer (công chức). Their team changes over time: see TeamMembership."""

    code = models.CharField(_("officer code"), max_length=20, unique=True, validators=[unit_code_validator])
    full_name = models.CharField(_("full name"), max_length=200)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="officers",
        verbose_name=_("current branch"),
        help_text=_("The branch the officer works in now; history is in team memberships."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OfficerQuerySet.as_manager()

    class Meta:
        verbose_name = _("officer")
        verbose_name_plural = _("officers")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.code})"


class TeamMembershipQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        return self.filter(Q(started_on__lte=day), Q(ended_on__isnull=True) | Q(ended_on__gte=day))


class TeamMembership(models.Model):
    """An officer's membership of a team from `started_on` to `ended_on` (open while current).

    Kept over time so a declaration credits the team the officer was in on the day it was handled.
    """

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    objects = TeamMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["officer_id", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
            ),
            # One current membership per officer; earlier ones must be closed first (services.py).
            models.UniqueConstraint(
                fields=["officer"], condition=Q(ended_on__isnull=True), name="one_current_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} → {self.team_id} ({self.started_on}–{self.ended_on or ''})"


class BusinessQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(business_filter(user, prefix=""))


class Business(models.Model):
    """An import/export company (doanh nghiệp), identified by its tax code (MST)."""

    tax_code = models.CharField(_("tax code"), max_length=14, unique=True)
    name = models.CharField(_("name"), max_length=300)
    province = models.CharField(_("province"), max_length=100, blank=True)
    is_in_province = models.BooleanField(
        _("in-province"), default=False, help_text=_("Registered in the department's province (survey segment).")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = BusinessQuerySet.as_manager()

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    def clean(self) -> None:
        try:
            self.tax_code = normalize_tax_code(self.tax_code)
        except ValidationError as exc:
            raise ValidationError({"tax_code": exc.messages}) from exc


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A portal account. Its role and the unit it is attached to decide what it may see (scoping.py)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.BUSINESS)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("department")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("branch")
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("team")
    )
    officer = models.OneToOneField(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="user", verbose_name=_("officer")
    )
    businesses = models.ManyToManyField(
        Business, through="BusinessMembership", related_name="users", blank=True, verbose_name=_("businesses")
    )
    # Blank until the user picks one: then the portal's default (Vietnamese) applies.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    is_demo = models.BooleanField(
        _("demo account"), default=False, help_text=_("Demo accounts cannot sign in when DEBUG is off.")
    )
    wants_rating_reminders = models.BooleanField(
        _("daily reminder of declarations to rate"),
        default=True,
        help_text=_("A business user receives one e-mail a day listing cleared declarations not yet rated."),
    )

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Each role is attached to the unit that defines its scope, so scoping never guesses.
            models.CheckConstraint(
                condition=~Q(role=Role.OFFICER) | Q(officer__isnull=False), name="officer_role_has_officer"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.TEAM_LEADER) | Q(team__isnull=False), name="team_leader_has_team"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.BRANCH_LEADER) | Q(branch__isnull=False), name="branch_leader_has_branch"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[Role.DEPARTMENT_STAFF, Role.INTEGRATION]) | Q(department__isnull=False),
                name="department_role_has_department",
            ),
        ]

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == Role.ADMINISTRATOR


class BusinessMembership(models.Model):
    """A user acting for a business; a customs broker acts for many. `is_admin` manages API tokens."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="business_memberships")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    is_admin = models.BooleanField(_("business administrator"), default=False)

    class Meta:
        verbose_name = _("business membership")
        verbose_name_plural = _("business memberships")
        constraints = [models.UniqueConstraint(fields=["user", "business"], name="one_membership_per_business")]

    def __str__(self) -> str:
        return f"{self.user_id} ↔ {self.business_id}"


def hash_token_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the API. Only the SHA-256 of the key is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False, help_text=_("First characters of the key."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEventQuerySet(AppendOnlyQuerySet):
    def for_object(self, obj):
        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk))


AuditEventManager = models.Manager.from_queryset(AuditEventQuerySet)


class AuditEvent(AppendOnlyModel):
    """One state change that matters: who did what to which row, and the values before and after.

    Append-only (core.append_only): the model and its queryset refuse updates and deletes, and the
    admin shows it read-only.
    """

    changed_message = _("Audit events cannot be changed.")
    deleted_message = _("Audit events cannot be deleted.")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    action = models.CharField(_("action"), max_length=60)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects: ClassVar[AuditEventManager] = AuditEventManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type_id}:{self.target_id}"


class OutboxMessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True)

    def due(self, now: datetime.datetime):
        return self.pending().filter(next_attempt_at__lte=now)


class OutboxMessage(models.Model):
    """An e-mail waiting to be sent (or sent), written in the same transaction as its cause.

    `directory.outbox.send_pending` drains the table; a failed send stays pending with `last_error`
    and is tried again after `next_attempt_at`, so a mail or broker outage delays mail but never loses
    it. `dedup_key` (unique when set) stops a job that runs twice from enqueueing the same message twice.
    """

    recipient = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("recipient"),
    )
    to_email = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=8, default="vi")
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    dedup_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sender only ever reads pending rows; sent ones pile up and must not slow it down.
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email}"
