"""Celery tasks of feedback: thin wrappers around services, safe to run twice.

Each task's `name=` is pinned to the name it had when the code lived in one module, so tasks already
queued and the beat schedule (settings.CELERY_BEAT_SCHEDULE) keep finding them wherever the code moves.
"""

from celery import shared_task

from .cases import jobs
from .ratings import services as rating_services


@shared_task(name="feedback.tasks.send_rating_reminders_task", ignore_result=True, soft_time_limit=300, time_limit=330)
def send_rating_reminders_task() -> int:
    """The daily digest of declarations to rate; a second run the same day queues nothing new."""
    return rating_services.send_rating_reminders()


@shared_task(name="feedback.tasks.escalate_overdue_cases_task", ignore_result=True, soft_time_limit=300, time_limit=330)
def escalate_overdue_cases_task() -> int:
    """Hourly: escalate open cases past their due date. Each case is claimed by a conditional UPDATE,
    so a second or concurrent run escalates nothing twice."""
    return jobs.escalate_overdue()


@shared_task(name="feedback.tasks.close_answered_cases_task", ignore_result=True, soft_time_limit=300, time_limit=330)
def close_answered_cases_task() -> int:
    """Daily: close cases answered CASE_DISPUTE_DAYS ago and neither accepted nor disputed."""
    return jobs.close_answered_cases()


@shared_task(name="feedback.tasks.case_due_soon_task", ignore_result=True, soft_time_limit=300, time_limit=330)
def case_due_soon_task() -> int:
    """Daily 07:30: remind leaders of cases due within two working days, once per case."""
    return jobs.send_due_soon_reminders()
