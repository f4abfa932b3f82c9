"""The e-mail outbox: write messages in the caller's transaction, send them later from a task.

`enqueue` only inserts a row, so a rollback of the cause drops the mail with it, and a broker or
mail outage only delays it: `send_pending` (run after each commit and every minute by beat) retries
failed rows with a growing delay.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .models import OutboxMessage, User

logger = logging.getLogger(__name__)

# Retry delays grow 1, 2, 4 ... minutes and stop growing at six hours; a row is never given up.
FIRST_RETRY_DELAY = datetime.timedelta(minutes=1)
MAX_RETRY_DELAY = datetime.timedelta(hours=6)
BATCH_SIZE = 100


@dataclass(frozen=True)
class Draft:
    """One message to enqueue; `subject` and `body` may be lazy strings, rendered in the recipient's language."""

    user: User
    kind: str
    subject: str
    body: str
    dedup_key: str | None = None


def enqueue(user: User, kind: str, subject, body, *, dedup_key: str | None = None) -> OutboxMessage | None:
    """Queue one e-mail to `user`; call it inside the transaction of its cause.

    Returns None when the user has no e-mail address or `dedup_key` is already queued.
    """
    message = _build(Draft(user, kind, subject, body, dedup_key))
    if message is None:
        return None
    try:
        # A savepoint, so that a duplicate dedup_key leaves the caller's transaction usable.
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedup_key and OutboxMessage.objects.filter(dedup_key=dedup_key).exists():
            return None
        raise
    transaction.on_commit(kick_sender, robust=True)
    return message


def enqueue_many(drafts: Iterable[Draft]) -> int:
    """Queue many e-mails in one INSERT; drafts whose `dedup_key` is already queued are dropped by the
    UNIQUE constraint (even between two concurrent runs). Returns how many drafts were offered."""
    messages = [message for message in map(_build, drafts) if message is not None]
    if messages:
        OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
        transaction.on_commit(kick_sender, robust=True)
    return len(messages)


def _build(draft: Draft) -> OutboxMessage | None:
    if not draft.user.email:
        return None
    language = draft.user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject, body = str(draft.subject), str(draft.body)
    return OutboxMessage(
        recipient=draft.user,
        to_email=draft.user.email,
        language=language,
        kind=draft.kind,
        # A subject is one line: a newline in it would make EmailMessage refuse the header.
        subject=" ".join(subject.split())[:255],
        body=body,
        dedup_key=draft.dedup_key,
    )


def kick_sender() -> None:
    """Ask a worker to send the outbox now; called on commit (robust) by whoever wrote to it.

    A broker outage must not fail, nor hold up, the request whose transaction already committed: beat
    sends the rows within a minute anyway. So no publish retries: Celery's default policy tries four
    times, and against a broker that does not answer each try waits out the connection timeout.
    """
    if send_outbox_task.app.conf.task_always_eager:
        # Embedded mode: run it here. apply_async, even eager, takes a producer from the broker pool, and with
        # no broker configured kombu logs a warning into seed_demo's output and the server log.
        send_outbox_task.apply()
        return
    send_outbox_task.apply_async(retry=False)


def retry_delay(attempts: int) -> datetime.timedelta:
    return min(FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def send_pending(batch: int = BATCH_SIZE, *, now: datetime.datetime | None = None) -> int:
    """Send up to `batch` due messages; returns how many were sent. Safe to run in parallel.

    The rows stay locked (FOR UPDATE SKIP LOCKED) while they are sent, so two workers never send the
    same row; a crash mid-batch rolls the marks back and the batch is sent again (at least once).
    """
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        messages = list(OutboxMessage.objects.due(now).select_for_update(skip_locked=True).order_by("id")[:batch])
        if not messages:
            return 0
        connection = get_connection(fail_silently=False)
        try:
            for message in messages:
                message.attempts += 1
                try:
                    EmailMessage(
                        message.subject,
                        message.body,
                        settings.DEFAULT_FROM_EMAIL,
                        [message.to_email],
                        connection=connection,
                    ).send()
                except Exception as exc:  # any failure of the mail system: keep the row, try later
                    logger.warning("outbox message %s not sent: %s", message.pk, exc)
                    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    message.next_attempt_at = now + retry_delay(message.attempts)
                else:
                    message.sent_at = timezone.now()
                    message.last_error = ""
                    sent += 1
        finally:
            try:
                connection.close()
            except Exception:  # closing a broken SMTP connection must not lose the marks below
                logger.warning("closing the mail connection failed", exc_info=True)
        OutboxMessage.objects.bulk_update(messages, ["attempts", "sent_at", "last_error", "next_attempt_at"])
    return sent


# One run drains at most this many batches, so a backlog cannot hold a worker for long; beat comes back.
MAX_BATCHES_PER_RUN = 20


# The task lives beside the outbox it drains, so kick_sender needs no import of the tasks module (which
# re-exports it for Celery's discovery); its registered name is the one beat and queued messages use.
@shared_task(name="directory.tasks.send_outbox_task", ignore_result=True, soft_time_limit=120, time_limit=150)
def send_outbox_task() -> int:
    """Send due outbox e-mails. Rows are claimed with SKIP LOCKED, so overlapping runs never double-send."""
    sent = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        sent_now = send_pending(batch=BATCH_SIZE)
        sent += sent_now
        if sent_now < BATCH_SIZE:
            break
    return sent
