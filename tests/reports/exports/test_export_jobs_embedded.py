"""The embedded mode (no broker, JOBS_IN_THREAD): a big export runs in a thread of the server process, so the
request that asks for it answers at once and the job page follows the progress, as with a worker.

Real database, committed rows (the job's thread has its own connection); nothing mocked but a gate that
holds the job until the request has answered.
"""

import random
import threading

import pytest
from django.urls import reverse

from core.jobs import JobStatus
from reports.exports import services
from reports.exports.models import ExportJob
from tests.reports.support import add_declarations, add_ratings

PERIOD = "2025-01..2025-06"
RATINGS = reverse("reports:dashboard-ratings")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rated(cast):
    rng = random.Random(7)
    declarations = add_declarations(cast, 40, rng, businesses=[cast.business_x, cast.business_y])
    return add_ratings(cast, declarations, rng, share=1.0)


def job_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("job reports.tasks.export_ratings")]


def test_big_export_in_the_embedded_mode_answers_before_its_job_runs(
    client, cast, rated, settings, monkeypatch, tmp_path
):
    settings.JOBS_IN_THREAD = True
    settings.EXPORT_SYNC_MAX_XLSX_ROWS = 10
    settings.MEDIA_ROOT = tmp_path
    released = threading.Event()
    run_export_job = services.run_export_job

    def gated(job_id: int) -> None:
        released.wait(30)  # were the job run inside the request, the request would wait here
        run_export_job(job_id)

    monkeypatch.setattr(services, "run_export_job", gated)
    client.force_login(cast.users.staff)

    response = client.get(RATINGS, {"level": "department", "code": "QN", "period": PERIOD, "format": "xlsx"})

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export-job", args=[job.pk])
    assert job.status == JobStatus.QUEUED and not released.is_set()
    page = client.get(response["Location"])
    assert b"being written in the background" in page.content
    (runner,) = job_threads()
    released.set()
    runner.join(30)
    assert not runner.is_alive()
    job.refresh_from_db()
    in_period = services.ratings_for(cast.users.staff, services.RatingExport.from_params(job.params)).count()
    assert job.status == JobStatus.DONE and job.row_count == in_period > 10 and (tmp_path / job.file.name).exists()
    status = client.get(reverse("reports:export-job-status", args=[job.pk])).json()
    assert status["done"] and status["download_url"] and status["expires_at"]


def test_a_failing_job_in_a_thread_is_marked_failed(cast, rated, settings, tmp_path):
    from core import jobs
    from reports.exports.tasks import export_ratings_task
    from reports.measures import Period
    from reports.models import UnitKind

    settings.JOBS_IN_THREAD = True
    settings.MEDIA_ROOT = tmp_path
    # Out of the user's scope: the service fails the job (as a worker would record it).
    export = services.RatingExport(UnitKind.BRANCH, cast.branch_a.pk, Period.parse(PERIOD), None, "csv")
    job = ExportJob.objects.create(user=cast.users.other_leader, kind="ratings", params=export.as_params())
    assert jobs.send(export_ratings_task, job.pk)
    for runner in job_threads():
        runner.join(30)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.file
