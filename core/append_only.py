"""Append-only rows: the audit trail, the case trail and the CDCI publications are written once.

The model refuses a second save and a delete, its queryset refuses bulk updates and deletes, and the
admin shows them read-only. (On PostgreSQL the case and publication tables add a trigger that refuses
UPDATE and DELETE from any client.) Each model names its refusal in its own words.
"""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models

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
