"""Staff review of a response flagged for straight-lining (the same level for every agreement question)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import audit
from directory.models import User

from ..choices import InvalidReason
from ..models import Response
from .access import require_staff


@transaction.atomic
def review_response(response: Response, accept: bool, *, actor: User) -> Response:
    """Staff decision on a straight-lined response: accepted, it counts (if otherwise complete);
    rejected, it stays invalid with the reason 'rejected'."""
    require_staff(actor, response.campaign.department_id)
    if actor is None:
        raise PermissionDenied(_("A review needs a reviewer."))
    response = Response.objects.select_for_update().get(pk=response.pk)
    if not response.flagged_straight_lining or response.submitted_at is None:
        raise ValidationError(_("Only a submitted response flagged for straight-lining is reviewed."))
    if response.review_accepted is not None:
        raise ValidationError(_("This response has been reviewed already."))
    before = list(response.invalid_reasons)
    reasons = [reason for reason in before if reason != InvalidReason.STRAIGHT_LINING]
    if not accept:
        reasons.append(InvalidReason.REJECTED.value)
    response.invalid_reasons = reasons
    response.is_valid = not reasons
    response.review_accepted = accept
    response.reviewed_at = timezone.now()
    response.reviewed_by = actor
    response.save(update_fields=["invalid_reasons", "is_valid", "review_accepted", "reviewed_at", "reviewed_by"])
    audit.record(actor, "survey.response_reviewed", response, {"accepted": accept, "reasons": [before, reasons]})
    return response
