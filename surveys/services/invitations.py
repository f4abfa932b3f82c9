"""Invitations and their codes: inviting the businesses that dealt with the campaign's units, one by
one or from the year's declarations, withdrawing an invitation, replacing a lost code, recording the
letters posted. Codes are never stored in clear: they are re-derived from a nonce with SECRET_KEY."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import audit
from directory.models import Branch, Business, User
from feedback.models import Declaration

from .. import codes
from ..choices import CampaignStatus, Segment
from ..models import MAX_UNITS_PER_INVITATION, Campaign, Invitation, InvitationUnit
from .access import require_survey_admin
from .answering import AlreadySubmitted


@dataclass(frozen=True)
class IssuedCode:
    """A clear invitation code, handed once to whoever prints letters (never stored in clear)."""

    invitation_id: int
    code: str


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The campaign year in local time (Asia/Ho_Chi_Minh), as aware datetimes [start, end)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=zone)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=zone)
    return start, end


def top_units_by_business(campaign: Campaign):
    """Per business not yet invited: the 1-2 campaign units with the most declarations cleared in the
    campaign year. One query: GROUP BY business x branch, ROW_NUMBER() over each business's counts."""
    start, end = _year_bounds(campaign.year)
    return (
        Declaration.objects.filter(
            branch__in=campaign.units.all(), cleared_at__gte=start, cleared_at__lt=end, cleared_at__isnull=False
        )
        .exclude(business_id__in=Invitation.objects.filter(campaign=campaign).values("business_id"))
        .values("business_id", "branch_id", "business__is_in_province")
        .annotate(declarations=Count("id"))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("business_id")], order_by=[F("declarations").desc(), F("branch_id").asc()]
            )
        )
        .filter(rank__lte=MAX_UNITS_PER_INVITATION)
        .order_by("business_id", "rank")
    )


def _segment(in_province: bool) -> str:
    return Segment.IN_PROVINCE if in_province else Segment.OUT_OF_PROVINCE


def _new_invitation(campaign: Campaign, business_id: int, in_province: bool, **fields) -> tuple[Invitation, str]:
    nonce = codes.new_nonce()
    code = codes.derive_code(nonce)
    invitation = Invitation(
        campaign=campaign,
        business_id=business_id,
        segment=_segment(in_province),
        code_nonce=nonce,
        code_hash=codes.hash_code(code),
        **fields,
    )
    return invitation, code


@transaction.atomic
def build_invitations(campaign: Campaign, *, actor: User | None) -> list[IssuedCode]:
    """Invite every business that cleared declarations through the campaign's units in its year, each
    for the one or two units it dealt with most. Running it again adds only businesses not yet invited.
    Returns the clear codes of the new invitations (to print letters); they are not stored in clear."""
    require_survey_admin(actor, campaign.department_id)
    # The lock serialises two builds of one campaign, so neither invites a business twice.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign takes no new invitations."))
    by_business: dict[int, list[dict]] = defaultdict(list)
    for row in top_units_by_business(campaign):
        by_business[row["business_id"]].append(row)
    invitations, issued_codes = [], []
    for business_id, rows in by_business.items():
        invitation, code = _new_invitation(campaign, business_id, rows[0]["business__is_in_province"])
        invitations.append(invitation)
        issued_codes.append(code)
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    InvitationUnit.objects.bulk_create(
        (
            InvitationUnit(
                invitation=invitation,
                branch_id=row["branch_id"],
                rank=row["rank"],
                declaration_count=row["declarations"],
            )
            for invitation in invitations
            for row in by_business[invitation.business_id]
        ),
        batch_size=1000,
    )
    segments: defaultdict[str, int] = defaultdict(int)
    for invitation in invitations:
        segments[invitation.segment] += 1
    audit.record(actor, "survey.invitations_built", campaign, {"added": len(invitations), **segments})
    return [IssuedCode(invitation.pk, code) for invitation, code in zip(invitations, issued_codes, strict=True)]


def _check_units(campaign: Campaign, units: Iterable[Branch]) -> list[Branch]:
    units = list(dict.fromkeys(units))
    if not 1 <= len(units) <= MAX_UNITS_PER_INVITATION:
        raise ValidationError({"units": _("Choose one or two units.")})
    allowed = set(campaign.units.values_list("pk", flat=True))
    if any(unit.pk not in allowed for unit in units):
        raise ValidationError({"units": _("A unit is not rated in this campaign.")})
    return units


@transaction.atomic
def add_invitation(
    campaign: Campaign, business: Business, units: Iterable[Branch], *, actor: User | None
) -> tuple[Invitation, str]:
    """Invite one more business (chosen by staff) about one or two units; returns it and its clear code."""
    require_survey_admin(actor, campaign.department_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign takes no new invitations."))
    units = _check_units(campaign, units)
    if Invitation.objects.filter(campaign=campaign, business=business).exists():
        raise ValidationError({"business": _("This business is already invited.")})
    invitation, code = _new_invitation(campaign, business.pk, business.is_in_province, added_manually=True)
    invitation.save()
    InvitationUnit.objects.bulk_create(
        InvitationUnit(invitation=invitation, branch=unit, rank=rank) for rank, unit in enumerate(units, start=1)
    )
    audit.record(
        actor, "survey.invitation_added", invitation, {"business": business.tax_code, "units": [u.pk for u in units]}
    )
    return invitation, code


@transaction.atomic
def remove_invitation(invitation: Invitation, *, actor: User | None) -> None:
    """Withdraw an invitation nobody has started answering."""
    require_survey_admin(actor, invitation.campaign.department_id)
    invitation = Invitation.objects.select_for_update().select_related("business").get(pk=invitation.pk)
    if invitation.submitted_at is not None or invitation.responses.exists():
        raise ValidationError(_("This invitation has answers and cannot be removed."))
    audit.record(actor, "survey.invitation_removed", invitation, {"business": invitation.business.tax_code})
    invitation.delete()


@transaction.atomic
def regenerate_code(invitation: Invitation, *, actor: User | None) -> str:
    """Replace a lost or leaked code; the old one stops working at once. Returns the new clear code."""
    require_survey_admin(actor, invitation.campaign.department_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.submitted_at is not None:
        raise AlreadySubmitted(invitation)
    nonce = codes.new_nonce()
    code = codes.derive_code(nonce)
    invitation.code_nonce, invitation.code_hash = nonce, codes.hash_code(code)
    invitation.save(update_fields=["code_nonce", "code_hash"])
    audit.record(actor, "survey.code_regenerated", invitation)
    return code


def invitation_code(invitation: Invitation) -> str:
    """The clear code of an invitation, re-derived with SECRET_KEY, for printing a letter again."""
    return codes.derive_code(invitation.code_nonce)


def answer_url(code: str) -> str:
    """The link in letters and e-mails (/survey/<code>/, an address letters already printed carry)."""
    return settings.SITE_URL + reverse("surveys:answer", kwargs={"code": code})


@transaction.atomic
def mark_letters_sent(campaign: Campaign, invitation_ids: Iterable[int], *, actor: User | None) -> int:
    """Record that paper letters went out for these invitations (those not sent yet)."""
    require_survey_admin(actor, campaign.department_id)
    count = Invitation.objects.filter(campaign=campaign, pk__in=list(invitation_ids), sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    audit.record(actor, "survey.letters_sent", campaign, {"count": count})
    return count
