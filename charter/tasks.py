"""Celery tasks of the charter figures: thin wrappers around charter.rollup, safe to run twice or at once."""

from celery import shared_task

from . import rollup


@shared_task(name="charter.tasks.fold_compliance_task", ignore_result=True, soft_time_limit=240, time_limit=270)
def fold_compliance_task() -> dict:
    """Every minute: measure newly cleared declarations. A concurrent run skips (row lock)."""
    result = rollup.fold_compliance()
    return {"declarations_to": result.declarations_to, "skipped": result.skipped}


@shared_task(name="charter.tasks.rebuild_compliance_task", ignore_result=True, soft_time_limit=3000, time_limit=3300)
def rebuild_compliance_task() -> None:
    """Nightly: recompute everything, taking in edited declarations, calendars and limits."""
    rollup.rebuild_compliance()
