"""One mechanism for every long job (CDCI runs, exports, survey mailings): a row that says what is to be
done and how far it got, a Celery task that takes its id, and a sweeper that sends again what was lost.

- The row commits first; its task is sent after the commit (`dispatch`). A broker that does not answer
  never fails the request: the row stays queued and the page says it waits for the job service.
- A task claims its row with one conditional UPDATE (`claim`): queued, or running with a heartbeat that
  stopped (its worker died). Two workers never both hold a job; a job taken `MAX_ATTEMPTS` times fails.
- While it works, the task beats (`beat`): progress and heartbeat in one UPDATE.
- Beat's sweeper (`sweep`, every minute) sends again the jobs still queued after `DISPATCH_GRACE` (the
  broker was down) and the running ones whose heartbeat stopped for `heartbeat_stale()` (the worker was
  killed); after MAX_ATTEMPTS it marks them failed.
- Staff may cancel a queued or running job and retry a failed or cancelled one.

Tasks are declared with acks_late and reject_on_worker_lost (settings), time limits and retries.
"""

import datetime
import logging
import threading

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A queued job not taken within this long is sent again (the first send may have met a broker outage).
DISPATCH_GRACE = datetime.timedelta(seconds=60)


def heartbeat_stale() -> datetime.timedelta:
    """A running job whose heartbeat is older than this lost its worker (JOB_HEARTBEAT_STALE_SECONDS)."""
    return datetime.timedelta(seconds=settings.JOB_HEARTBEAT_STALE_SECONDS)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
ENDED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class BackgroundJob(models.Model):
    """What every job row has: its state, progress, how often it was taken and its last sign of life."""

    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def waits_for_service(self) -> bool:
        """Queued and never taken for longer than the grace: the page tells the user why nothing moves."""
        created = getattr(self, "created_at", None)
        return (
            self.status == JobStatus.QUEUED
            and self.attempts == 0
            and created is not None
            and timezone.now() - created > DISPATCH_GRACE / 2
        )


def send(task, job_id: int) -> bool:
    """Send the job's task now; False when the broker did not take it (the sweeper tries again)."""
    if task.app.conf.task_always_eager:
        # No broker: run it in this process (apply_async, even eager, would ask the missing broker for a
        # producer). In the embedded mode (JOBS_IN_THREAD) in a thread of its own, so that the request
        # that started a long job answers at once and its page follows the progress like with a worker.
        if settings.JOBS_IN_THREAD:
            runner = threading.Thread(target=_run_here, args=(task, job_id), name=f"job {task.name} {job_id}")
            # A daemon: a server stopping does not wait for the job; the job row keeps what happened.
            runner.daemon = True
            runner.start()
        else:
            task.apply((job_id,))
        return True
    try:
        task.apply_async((job_id,), retry=False)
    except Exception:  # any broker failure: the job row is safe, the sweeper sends it again
        logger.warning("could not send %s for job %s; the sweeper will send it again", task.name, job_id, exc_info=True)
        return False
    return True


def _run_here(task, job_id: int) -> None:
    try:
        task.apply((job_id,), throw=False)  # a failure is on the job row (services record it)
    finally:
        connections.close_all()  # this thread's own connections


def dispatch(task, job_id: int) -> None:
    """Send the task once the job row is committed (call inside the transaction that creates it)."""
    transaction.on_commit(lambda: send(task, job_id), robust=True)


def claim(model: type[BackgroundJob], job_id: int) -> bool:
    """Take the job for this worker: one conditional UPDATE, so only one worker ever wins it."""
    now = timezone.now()
    takeable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - heartbeat_stale())
    return bool(
        model._default_manager.filter(takeable, pk=job_id, attempts__lt=MAX_ATTEMPTS).update(
            status=JobStatus.RUNNING, attempts=F("attempts") + 1, heartbeat_at=now, progress=0, error=""
        )
    )


def beat(model: type[BackgroundJob], job_id: int, progress: int | None = None) -> bool:
    """A sign of life, with the progress so far. False when the job was cancelled meanwhile (stop)."""
    fields: dict = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields["progress"] = max(0, min(99, progress))
    return bool(model._default_manager.filter(pk=job_id, status=JobStatus.RUNNING).update(**fields))


def finish(model: type[BackgroundJob], job_id: int, **fields) -> bool:
    """Mark a running job done with its results; False when it is no longer ours (cancelled)."""
    done = {"status": JobStatus.DONE, "progress": 100, "finished_at": timezone.now(), **fields}
    return bool(model._default_manager.filter(pk=job_id, status=JobStatus.RUNNING).update(**done))


def fail(model: type[BackgroundJob], job_id: int, message: str) -> None:
    model._default_manager.filter(pk=job_id, status__in=ACTIVE).update(
        status=JobStatus.FAILED, error=message[:4000], finished_at=timezone.now()
    )


def cancel(model: type[BackgroundJob], job_id: int) -> bool:
    """Stop a queued or running job: a running task sees it at its next beat and stops."""
    return bool(
        model._default_manager.filter(pk=job_id, status__in=ACTIVE).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now()
        )
    )


def retry(model: type[BackgroundJob], task, job_id: int) -> bool:
    """Queue a failed or cancelled job again, from scratch, and send it after the commit."""
    with transaction.atomic():
        again = model._default_manager.filter(pk=job_id, status__in=(JobStatus.FAILED, JobStatus.CANCELLED)).update(
            status=JobStatus.QUEUED, attempts=0, progress=0, error="", heartbeat_at=None, finished_at=None
        )
        if again:
            dispatch(task, job_id)
    return bool(again)


def sweep(model: type[BackgroundJob], task, *, created_field: str = "created_at") -> dict[str, int]:
    """Send again what was lost; fail what was lost too often. Safe to run at any time and twice."""
    now = timezone.now()
    lost = Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - heartbeat_stale())
    worn_out = model._default_manager.filter(lost, attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED,
        error=str(_("Stopped: the job lost its worker too many times.")),
        finished_at=now,
    )
    waiting = Q(status=JobStatus.QUEUED, **{f"{created_field}__lt": now - DISPATCH_GRACE})
    resent = sum(send(task, pk) for pk in model._default_manager.filter(lost | waiting).values_list("pk", flat=True))
    return {"resent": resent, "failed": worn_out}
