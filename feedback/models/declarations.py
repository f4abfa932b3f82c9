"""Declarations as the clearance system reported them, with the officers who handled each stage."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.choices import Role
from directory.models import Branch, Business, Officer, Team
from directory.scoping import NOTHING, branch_filter, business_filter

from ..choices import Channel, Stage


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
            # From the officer's own link rows (declaration_officer_idx), not from every declaration.
            handled = DeclarationOfficer.objects.filter(officer_id=user.officer_id)
            return self.filter(pk__in=handled.values("declaration_id"))
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
    # The stages of the clearance as the clearance system timed them, for the service charter's timings.
    # All but `registered_at` are optional: older clearance systems send registration and clearance only.
    # `cleared_at` is the release of the goods (the ingest also takes it as `released_at`).
    received_at = models.DateTimeField(_("declaration received at"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    document_check_done_at = models.DateTimeField(_("document check done at"), null=True, blank=True)
    inspection_done_at = models.DateTimeField(_("physical inspection done at"), null=True, blank=True)
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
            # received <= registered <= document check <= inspection <= cleared, for the stages given.
            models.CheckConstraint(
                condition=(Q(received_at__isnull=True) | Q(received_at__lte=models.F("registered_at")))
                & (Q(document_check_done_at__isnull=True) | Q(document_check_done_at__gte=models.F("registered_at")))
                & (Q(inspection_done_at__isnull=True) | Q(inspection_done_at__gte=models.F("registered_at")))
                & (
                    Q(inspection_done_at__isnull=True)
                    | Q(document_check_done_at__isnull=True)
                    | Q(inspection_done_at__gte=models.F("document_check_done_at"))
                )
                & (
                    Q(cleared_at__isnull=True)
                    | (
                        (Q(document_check_done_at__isnull=True) | Q(cleared_at__gte=models.F("document_check_done_at")))
                        & (Q(inspection_done_at__isnull=True) | Q(cleared_at__gte=models.F("inspection_done_at")))
                    )
                ),
                name="declaration_stages_in_order",
            ),
        ]
        indexes = [
            models.Index(fields=["business", "-cleared_at"], name="declaration_business_idx"),
            models.Index(fields=["branch", "-cleared_at"], name="declaration_branch_idx"),
            models.Index(fields=["team", "-cleared_at"], name="declaration_team_idx"),
            # The list's order for a whole department (or everything, for administrators): the first page
            # is read from the top of this index instead of sorting every declaration.
            models.Index(fields=["-cleared_at", "-registered_at"], name="declaration_list_idx"),
            # The declarations the clearance system sent again (the ingest sets updated_at), few of all: the
            # charter's nightly rebuild re-times those changed since its last run (charter.rollup).
            models.Index(
                fields=["updated_at"],
                condition=Q(updated_at__gt=models.F("created_at")),
                name="declaration_changed_idx",
            ),
            # A business's list (newest clearance first, declarations in progress last) is read from
            # declaration_business_list_idx (business, cleared_at DESC NULLS LAST, registered_at DESC, id
            # DESC): a broker's page takes the top rows of each business from it instead of sorting all
            # their rows. Created by migration 0009 on PostgreSQL only (SQLite refuses NULLS LAST there).
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
