"""Celery tasks of feedback: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import rating_services


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=330)
def send_rating_reminders_task() -> int:
    """The daily digest of declarations to rate; a second run the same day queues nothing new."""
    return rating_services.send_rating_reminders()
