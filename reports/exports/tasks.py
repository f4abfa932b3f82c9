"""Celery tasks of big exports: thin wrappers around reports.exports.services. Names are pinned (the
export's to where it was first registered, so queued jobs survive the move; the beat schedule names the
other)."""

from celery import shared_task

from . import services


@shared_task(name="reports.tasks.export_ratings_task", ignore_result=True, soft_time_limit=1800, time_limit=1860)
def export_ratings_task(job_id: int) -> None:
    """Write the file of a big export of rating rows. A job already taken, done or failed is left alone."""
    services.run_export_job(job_id)


@shared_task(name="reports.tasks.delete_expired_exports_task", ignore_result=True, soft_time_limit=600, time_limit=660)
def delete_expired_exports_task() -> int:
    """Delete the files of exports finished more than settings.EXPORT_FILE_DAYS days ago."""
    return services.delete_expired_exports()
