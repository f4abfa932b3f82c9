"""Celery tasks of big exports: thin wrappers around reports.exports.services. Names are pinned (the
export's to where it was first registered, so queued jobs survive the move; the beat schedule names the
other)."""

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


@shared_task(name="reports.tasks.delete_expired_exports_task", ignore_result=True, soft_time_limit=600, time_limit=660)
def delete_expired_exports_task() -> int:
    """Delete the files of exports finished more than settings.EXPORT_FILE_DAYS days ago."""
    return services.delete_expired_exports()
