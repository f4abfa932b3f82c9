"""Long jobs survive a broker outage and a killed worker (core.jobs), shown on the export job.

Real PostgreSQL, real Redis (its own DB), real Celery workers: a thread for the outage, separate worker
processes for the kill (SIGKILL mid-job). Nothing mocked.
"""

import datetime
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.urls import reverse

from core.jobs import JobStatus
from customs_portal.celery import app
from reports.exports.models import ExportJob
from reports.exports.services import RatingExport
from reports.exports.tasks import export_ratings_task, sweep_export_jobs_task
from reports.measures import Period
from reports.models import UnitKind
from tests.reports.support import add_declarations, add_ratings

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/12")
UNREACHABLE = "redis://127.0.0.1:1/12"  # nothing listens on port 1
PERIOD = "2025-01..2025-06"

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers need a shared real database"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def rated(cast):
    rng = random.Random(5)
    declarations = add_declarations(cast, 60, rng, businesses=[cast.business_x, cast.business_y])
    return add_ratings(cast, declarations, rng, share=1.0)


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def job_status(pk: int) -> str:
    return ExportJob.objects.values_list("status", flat=True).get(pk=pk)


def age(job: ExportJob, seconds: int) -> None:
    """Make the job look older, as it will be when the sweeper's next minute comes."""
    past = datetime.timedelta(seconds=seconds)
    ExportJob.objects.filter(pk=job.pk).update(created_at=job.created_at - past)


def flush(url: str) -> None:
    with app.connection_for_write(url) as conn:
        conn.default_channel.client.flushdb()


def test_an_export_asked_for_during_a_broker_outage_runs_when_the_broker_is_back(
    client, cast, rated, settings, tmp_path, real_broker
):
    settings.EXPORT_SYNC_MAX_ROWS = settings.EXPORT_SYNC_MAX_XLSX_ROWS = 10
    settings.MEDIA_ROOT = tmp_path
    real_broker(UNREACHABLE)
    client.force_login(cast.users.staff)

    # The request commits the job and answers; the failed send is not the user's problem.
    response = client.get(reverse("reports:dashboard-ratings"), {"level": "department", "code": "QN", "period": PERIOD})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.QUEUED and job.attempts == 0
    age(job, 120)
    page = client.get(response["Location"])
    assert "waits for the job service" in page.content.decode()
    assert client.get(reverse("reports:export-job-status", args=[job.pk])).json()["waiting"] is True

    # The broker is back: beat's sweeper sends the job again and a worker writes the file.
    real_broker(REDIS_URL)
    flush(REDIS_URL)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert sweep_export_jobs_task() == {"resent": 1, "failed": 0}
        assert wait_for(lambda: job_status(job.pk) == JobStatus.DONE)

    job.refresh_from_db()
    assert job.attempts == 1 and job.row_count == len(rated) and (tmp_path / job.file.name).exists()


def start_worker_process(media_root: Path) -> subprocess.Popen:
    """A real `celery worker` process on the test database and the test broker."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_BROKER_URL": REDIS_URL,
        "MEDIA_ROOT": str(media_root),
        "JOB_HEARTBEAT_STALE_SECONDS": "2",
        "DJANGO_SETTINGS_MODULE": "customs_portal.settings",
    }
    command = [sys.executable, "-m", "celery", "-A", "customs_portal", "worker", "--pool=solo", "--loglevel=WARNING"]
    command += ["--without-heartbeat", "--without-mingle", "--without-gossip"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def stop(worker: subprocess.Popen, how=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, how)
        worker.wait(timeout=30)


def test_a_job_whose_worker_is_killed_mid_job_completes_once_on_a_new_worker(
    cast, rated, settings, tmp_path, real_broker
):
    settings.MEDIA_ROOT = tmp_path
    settings.JOB_HEARTBEAT_STALE_SECONDS = 2
    real_broker(REDIS_URL)
    flush(REDIS_URL)
    export = RatingExport(UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD), None, "csv")
    job = ExportJob.objects.create(user=cast.users.staff, kind="ratings", params=export.as_params())

    # Hold the ratings table: the worker claims the job, then waits on its first read of ratings.
    database = connection.settings_dict
    holder = psycopg2.connect(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"]
    )
    holder.cursor().execute("LOCK TABLE feedback_rating IN ACCESS EXCLUSIVE MODE")
    first = start_worker_process(tmp_path)
    try:
        export_ratings_task.delay(job.pk)
        assert wait_for(lambda: job_status(job.pk) == JobStatus.RUNNING)
        stop(first, signal.SIGKILL)  # mid-job: claimed, nothing written
    finally:
        holder.rollback()
        holder.close()
        stop(first, signal.SIGKILL)

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1 and not job.file
    time.sleep(2.5)  # its heartbeat goes stale

    second = start_worker_process(tmp_path)
    try:
        assert sweep_export_jobs_task() == {"resent": 1, "failed": 0}
        assert wait_for(lambda: job_status(job.pk) == JobStatus.DONE)
    finally:
        stop(second)

    job.refresh_from_db()
    assert job.attempts == 2 and job.row_count == len(rated)
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written == [tmp_path / job.file.name]  # one file: the killed attempt left none
    # A late second delivery of the first message finds the job done and changes nothing.
    export_ratings_task.apply(args=[job.pk])
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == written


def test_staff_cancel_a_running_export_and_try_it_again(client, cast, rated, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    export = RatingExport(UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD), None, "xlsx")
    job = ExportJob.objects.create(user=cast.users.staff, kind="ratings", params=export.as_params())
    client.force_login(cast.users.staff)

    client.post(reverse("reports:export-job-cancel", args=[job.pk]))
    assert job_status(job.pk) == JobStatus.CANCELLED
    export_ratings_task.apply(args=[job.pk])  # a task already on its way does nothing
    assert job_status(job.pk) == JobStatus.CANCELLED

    client.post(reverse("reports:export-job-retry", args=[job.pk]))  # eager here: runs at once
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1 and job.file

    client.force_login(cast.users.leader)  # somebody else's job: not found
    assert client.post(reverse("reports:export-job-cancel", args=[job.pk])).status_code == 404


def test_a_job_lost_too_often_fails_with_a_reason(cast, settings):
    settings.JOB_HEARTBEAT_STALE_SECONDS = 2
    export = RatingExport(UnitKind.DEPARTMENT, cast.department.pk, Period.parse(PERIOD), None, "csv")
    job = ExportJob.objects.create(
        user=cast.users.staff,
        kind="ratings",
        params=export.as_params(),
        status=JobStatus.RUNNING,
        attempts=3,
        heartbeat_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )
    assert sweep_export_jobs_task() == {"resent": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "too many times" in job.error
