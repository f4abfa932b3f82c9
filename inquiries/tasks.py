"""Celery tasks of inquiries: thin wrappers around the services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(
    name="inquiries.tasks.escalate_overdue_inquiries_task", ignore_result=True, soft_time_limit=300, time_limit=330
)
def escalate_overdue_inquiries_task() -> int:
    """Hourly: escalate open inquiries past their due date to the department. Each is claimed by a conditional
    UPDATE, so a second or concurrent run escalates nothing twice."""
    return services.escalate_overdue()
