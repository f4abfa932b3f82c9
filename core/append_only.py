"""Append-only rows: the audit trail, the case trail and the CDCI publications are written once.

The model refuses a second save and a delete, its queryset refuses bulk updates and deletes, and the
admin shows them read-only. (On PostgreSQL the case and publication tables add a trigger that refuses
UPDATE and DELETE from any client.) Each model names its refusal in its own words.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(self.model.changed_message)

    def delete(self):
        raise ValidationError(self.model.deleted_message)


class AppendOnlyModel(models.Model):
    changed_message: "StrOrPromise"  # set by each model, translatable (gettext_lazy)
    deleted_message: "StrOrPromise"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(self.changed_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.deleted_message)


class TrailEvent(AppendOnlyModel):
    """One step in the trail of a workflow (a complaint, an inquiry): who, in which role at the time, when,
    with what text and details. A concrete trail adds the row it belongs to and its `action` choices."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        help_text=_("Empty when a scheduled job acted."),
    )
    actor_role = models.CharField(_("role at the time"), max_length=20)
    text = models.TextField(_("text"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        abstract = True
