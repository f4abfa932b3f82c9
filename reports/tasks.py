"""Celery tasks of reports: thin wrappers around reports.rollups, safe to run twice or at once."""

from celery import shared_task

from . import rollups

# Registered with the worker through this module (Celery discovers each app's tasks.py).
from .exports.tasks import delete_expired_exports_task, export_ratings_task, sweep_export_jobs_task  # noqa: F401


@shared_task(name="reports.tasks.fold_rollups_task", ignore_result=True, soft_time_limit=240, time_limit=270)
def fold_rollups_task() -> dict:
    """Every minute: fold new ratings, clearances and corrections. A concurrent run skips (row lock)."""
    result = rollups.fold_rollups()
    return {"ratings_to": result.ratings_to, "declarations_to": result.declarations_to, "skipped": result.skipped}


@shared_task(name="reports.tasks.rebuild_rollups_task", ignore_result=True, soft_time_limit=3000, time_limit=3300)
def rebuild_rollups_task() -> None:
    """Nightly: recompute everything, taking in declarations edited after they were folded."""
    rollups.rebuild_rollups()
