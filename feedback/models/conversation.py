"""The conversation on a case: files attached to its messages, and the business's rating of the handling.

A message itself is a CaseEvent (action "message", or "note" for customs' internal notes), so the trail
stays one append-only list; these rows hang from it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel
from core.uploads import Attachment
from directory.models import Branch

from .cases import CaseEvent, DissatisfactionCase


class CaseAttachment(Attachment):
    """A file (a delivery record, a certificate of origin) attached to one message or note of a case.

    Stored under MEDIA_ROOT/attachments/ with a random name; served only by the case pages and API to users
    who may see the case and the message it belongs to (a note's files stay with customs)."""

    case = models.ForeignKey(
        DissatisfactionCase, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("case")
    )
    event = models.ForeignKey(
        CaseEvent, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("message")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        ordering = ["event_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="case_attachment_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name


class HandlingRating(AppendOnlyModel):
    """The business's rating of how its complaint was handled, on the five levels, given after an answer.

    One per answer (UNIQUE on the answer's event): after a dispute and a second answer, the business can
    rate again. A level 1 or 2 sends the case to the department (feedback.cases.services.rate_handling).
    `branch` repeats the case's branch so that the dashboards group by it without a join.
    """

    case = models.ForeignKey(
        DissatisfactionCase, on_delete=models.PROTECT, related_name="handling_ratings", verbose_name=_("case")
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    answer_event = models.OneToOneField(
        CaseEvent, on_delete=models.PROTECT, related_name="handling_rating", verbose_name=_("answer rated")
    )
    level = models.PositiveSmallIntegerField(_("level"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rated by")
    )
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)

    changed_message = _("A rating of the handling cannot be changed.")
    deleted_message = _("A rating of the handling cannot be deleted.")

    class Meta:
        verbose_name = _("rating of the handling")
        verbose_name_plural = _("ratings of the handling")
        ordering = ["case_id", "rated_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="handling_level_1_to_5"),
        ]
        indexes = [models.Index(fields=["branch", "rated_at"], name="handling_branch_rated_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.level}"
