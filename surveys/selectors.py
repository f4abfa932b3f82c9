"""Reads of CDCI surveys, scoped by who asks. The anonymity rules of the survey live here:

- users of rated units (branch leader, team leader, officer), businesses and integration clients see
  no answer, no comment, no invitation and no progress of any campaign;
- department staff of the campaign's department see campaigns, progress, individual answers and
  comments, but never which business gave them: those reads stay on Response/Answer (which carry
  campaign, unit and segment themselves) and never join Response -> Invitation -> Business;
- a survey administrator (a SurveyAdministrator row for the department, held by active staff of that
  department) or a portal administrator also sees the invitations, hence the businesses;
- any count broken down below MIN_CELL responses is hidden (suppress_small), including the one cell
  that could be worked out from a total.
"""

from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import formats
from django.utils.translation import gettext as _

from directory.choices import Role

from .choices import Segment
from .models import Answer, Campaign, ComponentIndex, Invitation, InvitationUnit, Response, SurveyAdministrator

MIN_CELL = 5


# --- who may do what -----------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_department_staff(user, department_id: int) -> bool:
    """Staff of the department (or a portal administrator): may run its surveys and read answers."""
    if not _active(user):
        return False
    return user.is_administrator or (user.role == Role.DEPARTMENT_STAFF and user.department_id == department_id)


def is_survey_admin(user, department_id: int) -> bool:
    """May see invitations and so the businesses: a portal administrator, or department staff holding
    the SurveyAdministrator capability for this department."""
    if not _active(user):
        return False
    if user.is_administrator:
        return True
    return (
        user.role == Role.DEPARTMENT_STAFF
        and user.department_id == department_id
        and SurveyAdministrator.objects.filter(department_id=department_id, user=user).exists()
    )


def can_see_answers(user, campaign: Campaign) -> bool:
    return is_department_staff(user, campaign.department_id)


# --- campaigns and questionnaires --------------------------------------------------------------


def campaigns_for(user):
    """Campaigns the user may manage or monitor: all for administrators, their department's for staff."""
    if not _active(user):
        return Campaign.objects.none()
    if user.is_administrator:
        return Campaign.objects.all()
    if user.role == Role.DEPARTMENT_STAFF:
        return Campaign.objects.filter(department_id=user.department_id)
    return Campaign.objects.none()


def questionnaire(campaign: Campaign) -> list[ComponentIndex]:
    """The component indexes of a campaign in order, each with `questions` prefetched in order (public:
    the answering page shows it to anyone holding a code)."""
    return list(campaign.components.order_by("position").prefetch_related("questions"))


# --- identity: survey administrators only --------------------------------------------------------


def invitations_for(user, campaign: Campaign):
    """The invitations of a campaign with their business and units, for a survey administrator only."""
    if not is_survey_admin(user, campaign.department_id):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(campaign=campaign)
        .select_related("business")
        .prefetch_related("unit_links__branch")
        .order_by("business__name")
    )


# --- answers without identity ------------------------------------------------------------------

ANONYMOUS_RESPONSE_FIELDS = (
    "id",
    "unit_id",
    "unit__code",
    "unit__name",
    "segment",
    "source",
    "submitted_on",
    "is_valid",
    "invalid_reasons",
    "completion",
    "flagged_straight_lining",
    "review_accepted",
)


def anonymous_responses(user, campaign: Campaign):
    """Submitted responses of a campaign as dicts without any link to the invitation or business (only
    the day of submission, not the time). Empty for anyone who may not read answers."""
    if not can_see_answers(user, campaign):
        return Response.objects.none().values(*ANONYMOUS_RESPONSE_FIELDS[:1])
    return (
        Response.objects.filter(campaign=campaign, submitted_at__isnull=False)
        .annotate(submitted_on=TruncDate("submitted_at"))
        .values(*ANONYMOUS_RESPONSE_FIELDS)
        .order_by("unit__name", "id")
    )


def responses_to_review(user, campaign: Campaign):
    """Straight-lined responses still waiting for a staff decision (review_response)."""
    return anonymous_responses(user, campaign).filter(flagged_straight_lining=True, review_accepted__isnull=True)


def answers_for(user, campaign: Campaign, response_ids) -> dict[int, dict[str, dict]]:
    """The answers of the given responses of `campaign`: {response id: {question code: {"value", "choice"}}},
    one query. Empty for anyone who may not read answers."""
    if not can_see_answers(user, campaign):
        return {}
    result: dict[int, dict[str, dict]] = {}
    rows = Answer.objects.filter(
        response__campaign=campaign, response__submitted_at__isnull=False, response_id__in=list(response_ids)
    ).values_list("response_id", "question__code", "value", "choice")
    for response_id, code, value, choice in rows:
        result.setdefault(response_id, {})[code] = {"value": value, "choice": choice}
    return result


def comments_for(user, campaign: Campaign):
    """Comments of submitted responses with their unit only, ordered by unit and text (not by time,
    which could hint at who wrote them). Empty for anyone who may not read answers."""
    if not can_see_answers(user, campaign):
        return Response.objects.none().values("comment")
    return (
        Response.objects.filter(campaign=campaign, submitted_at__isnull=False)
        .exclude(comment="")
        .values("unit__name", "comment")
        .order_by("unit__name", "comment")
    )


# --- small numbers ---------------------------------------------------------------------------------


_Cell = TypeVar("_Cell", bound=Hashable)
_Metric = Literal["invited", "sent", "opened", "answered", "valid"]


def suppress_small(counts: Mapping[_Cell, int], minimum: int = MIN_CELL) -> dict[_Cell, int | None]:
    """Hide (None) every count from 1 to minimum - 1. When exactly one cell is hidden, the smallest other
    non-zero cell is hidden too, so that the total minus the visible cells does not reveal it."""
    result: dict[_Cell, int | None] = {key: (None if 0 < count < minimum else count) for key, count in counts.items()}
    hidden = [key for key, value in result.items() if value is None]
    if len(hidden) == 1:
        visible = [(count, str(key), key) for key, count in result.items() if count]
        if visible:
            result[min(visible)[2]] = None
    return result


# --- monitoring ------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def has_valid_response() -> Exists:
    """For a queryset of invitations: at least one of its responses is valid. An invitation so answered is
    what the monitoring page and the campaign list count as "valid" (one per respondent, not per unit)."""
    return Exists(Response.objects.filter(invitation=OuterRef("pk"), is_valid=True))


def campaign_progress(campaign: Campaign, *, user) -> dict:
    """Sent, opened, answered and valid counts of a campaign, in total, by segment and by unit, with the
    response rate; four GROUP BY queries whatever the number of invitations.

    In total and by segment the counts are of invitations (answered = submitted; valid = with at least
    one valid response); by unit they are of invitations naming the unit and of responses about it.
    Answered and valid counts of a segment or a unit below MIN_CELL are None ("fewer than 5").
    Raises PermissionDenied for anyone but department staff of the campaign's department.
    """
    if not is_department_staff(user, campaign.department_id):
        raise PermissionDenied(_("Only staff of the department can monitor its surveys."))
    has_valid = has_valid_response()
    by_segment_rows = (
        Invitation.objects.filter(campaign=campaign)
        .values("segment")
        .annotate(
            invited=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            answered=Count("pk", filter=Q(submitted_at__isnull=False)),
            valid=Count("pk", filter=Q(has_valid)),
        )
        .order_by("segment")
    )
    metrics: tuple[_Metric, ...] = ("invited", "sent", "opened", "answered", "valid")
    counts: dict[str, dict[str, int]] = {segment: dict.fromkeys(metrics, 0) for segment in Segment.values}
    for segment_row in by_segment_rows:
        counts[segment_row["segment"]] = {metric: segment_row[metric] for metric in metrics}
    total = {metric: sum(row[metric] for row in counts.values()) for metric in metrics}
    by_segment: dict[str, dict[str, int | None]] = {segment: dict(row) for segment, row in counts.items()}
    for metric in ("answered", "valid"):
        hidden = suppress_small({segment: row[metric] for segment, row in counts.items()})
        for segment, value in hidden.items():
            by_segment[segment][metric] = value

    invitation_rows: dict[int, Mapping[str, Any]] = {
        row["branch_id"]: row
        for row in InvitationUnit.objects.filter(invitation__campaign=campaign)
        .values("branch_id")
        .annotate(
            invited=Count("pk"),
            sent=Count("pk", filter=Q(invitation__sent_at__isnull=False)),
            opened=Count("pk", filter=Q(invitation__opened_at__isnull=False)),
        )
        .order_by()
    }
    response_rows: dict[int, Mapping[str, Any]] = {
        row["unit_id"]: row
        for row in Response.objects.filter(campaign=campaign, submitted_at__isnull=False)
        .values("unit_id")
        .annotate(answered=Count("pk"), valid=Count("pk", filter=Q(is_valid=True)))
        .order_by()
    }
    units = list(campaign.units.order_by("name").values("id", "code", "name"))
    by_unit: list[dict[str, Any]] = []
    for unit in units:
        invited = invitation_rows.get(unit["id"], {})
        answered = response_rows.get(unit["id"], {})
        by_unit.append(
            {
                "unit_id": unit["id"],
                "unit_code": unit["code"],
                "unit_name": unit["name"],
                "invited": invited.get("invited", 0),
                "sent": invited.get("sent", 0),
                "opened": invited.get("opened", 0),
                "answered": answered.get("answered", 0),
                "valid": answered.get("valid", 0),
            }
        )
    for metric in ("answered", "valid"):
        hidden = suppress_small({row["unit_id"]: row[metric] for row in by_unit})
        for row in by_unit:
            row[metric] = hidden[row["unit_id"]]
    return {
        "campaign_id": campaign.pk,
        "total": total,
        "by_segment": by_segment,
        "by_unit": by_unit,
        "response_rate": _rate(total["answered"], total["sent"]),
        "valid_rate": _rate(total["valid"], total["sent"]),
    }


def progress_summary(progress: dict) -> str:
    """One line like "1,268 sent (701 in-province, 567 out-of-province), 399 valid"."""
    segments = progress["by_segment"]

    def number(value: int) -> str:
        # Grouped the way the active language writes numbers: 1,268 in English, 1.268 in Vietnamese.
        return formats.number_format(value, force_grouping=True)

    return _("%(sent)s sent (%(in)s in-province, %(out)s out-of-province), %(valid)s valid") % {
        "sent": number(progress["total"]["sent"]),
        "in": number(segments[Segment.IN_PROVINCE]["sent"]),
        "out": number(segments[Segment.OUT_OF_PROVINCE]["sent"]),
        "valid": number(progress["total"]["valid"]),
    }
