"""Celery tasks of the directory: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import outbox

# One run drains at most this many batches, so a backlog cannot hold a worker for long; beat comes back.
MAX_BATCHES_PER_RUN = 20


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def send_outbox_task() -> int:
    """Send due outbox e-mails. Rows are claimed with SKIP LOCKED, so overlapping runs never double-send."""
    sent = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        sent_now = outbox.send_pending(batch=outbox.BATCH_SIZE)
        sent += sent_now
        if sent_now < outbox.BATCH_SIZE:
            break
    return sent
