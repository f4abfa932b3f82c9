"""The feedback tasks keep the names queued messages and the beat schedule use, wherever their code lives."""

from django.conf import settings

from customs_portal.celery import app
from feedback import tasks


def test_task_names_are_pinned():
    assert {
        tasks.send_rating_reminders_task.name,
        tasks.escalate_overdue_cases_task.name,
        tasks.close_answered_cases_task.name,
        tasks.case_due_soon_task.name,
    } == {
        "feedback.tasks.send_rating_reminders_task",
        "feedback.tasks.escalate_overdue_cases_task",
        "feedback.tasks.close_answered_cases_task",
        "feedback.tasks.case_due_soon_task",
    }


def test_every_scheduled_feedback_task_is_registered():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    feedback_tasks = {name for name in scheduled if name.startswith("feedback.")}
    assert feedback_tasks and feedback_tasks <= set(app.tasks)
