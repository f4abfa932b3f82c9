"""Celery task of big exports: a thin wrapper around reports.exports.services. Its name is pinned to where
it was first registered, so queued jobs survive the move."""

from celery import shared_task

from . import services


@shared_task(name="reports.tasks.export_ratings_task", ignore_result=True, soft_time_limit=1800, time_limit=1860)
def export_ratings_task(job_id: int) -> None:
    """Write the file of a big export of rating rows. A job already taken, done or failed is left alone."""
    services.run_export_job(job_id)
