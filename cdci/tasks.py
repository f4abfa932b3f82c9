"""Celery tasks of the CDCI: thin wrappers around cdci.services. Names are pinned to where they were
first registered, so queued tasks survive the move of the CDCI out of reports."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core import jobs

from . import services
from .models import CdciRun


@shared_task(
    name="reports.tasks.compute_cdci_task",
    ignore_result=True,
    soft_time_limit=900,
    time_limit=960,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def compute_cdci_task(run_id: int) -> None:
    """Compute a CDCI run and store its draft. A run already taken by a live worker, done, failed or
    cancelled is left alone (core.jobs.claim)."""
    services.execute_run(run_id)


@shared_task(name="cdci.tasks.sweep_cdci_runs_task", ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_cdci_runs_task() -> dict:
    """Every minute: send again the runs a broker outage or a killed worker left behind."""
    return jobs.sweep(CdciRun, compute_cdci_task)
