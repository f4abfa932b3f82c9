"""Celery tasks of the CDCI: thin wrappers around cdci.services. Names are pinned to where they were
first registered, so queued tasks survive the move of the CDCI out of reports."""

from celery import shared_task

from . import services


@shared_task(name="reports.tasks.compute_cdci_task", ignore_result=True, soft_time_limit=900, time_limit=960)
def compute_cdci_task(run_id: int) -> None:
    """Compute a queued CDCI run and store its draft. A run already taken, done or failed is left alone."""
    services.execute_run(run_id)
