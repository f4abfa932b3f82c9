"""Celery tasks of the directory. The outbox's sender lives beside the outbox (directory.outbox); it is
named here so that Celery's discovery of each app's tasks module registers it."""

from .outbox import send_outbox_task  # noqa: F401
