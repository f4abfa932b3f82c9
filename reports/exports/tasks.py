"""Celery task of big exports: a thin wrapper around reports.exports.services. Its name is pinned to where
it was first registered, so queued jobs survive the move."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core import jobs

from . import services
from .models import ExportJob


@shared_task(
    name="reports.tasks.export_ratings_task",
    ignore_result=True,
    soft_time_limit=1800,
    time_limit=1860,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def export_ratings_task(job_id: int) -> None:
    """Write the file of a big export of rating rows. A job already taken, done or failed is left alone."""
    services.run_export_job(job_id)


@shared_task(name="reports.tasks.sweep_export_jobs_task", ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_export_jobs_task() -> dict:
    """Every minute: send again the export jobs a broker outage or a killed worker left behind."""
    return jobs.sweep(ExportJob, export_ratings_task)
