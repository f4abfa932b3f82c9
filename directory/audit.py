"""Writing the audit trail (directory.AuditEvent). Call inside the transaction of the change itself."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEvent


def record(actor, action: str, target, changes: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        changes=changes or {},
    )


def record_many(actor, action: str, targets_and_changes: Iterable[tuple[models.Model, dict]]) -> None:
    """One INSERT for many audit rows of one kind (batch ingest)."""
    rows = [
        AuditEvent(
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            target_type=ContentType.objects.get_for_model(target),
            target_id=str(target.pk),
            changes=changes,
        )
        for target, changes in targets_and_changes
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
