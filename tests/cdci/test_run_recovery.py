"""A CDCI computation is a long job (core.jobs): started while the broker is down it waits and then runs;
staff cancel it; a cancelled run does nothing when its task arrives late.

Real PostgreSQL and Redis (its own DB) with a real Celery worker thread; nothing mocked.
"""

import datetime
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.urls import reverse

from cdci import services as cdci_services
from cdci.models import CdciRun
from cdci.tasks import sweep_cdci_runs_task
from core.jobs import JobStatus
from customs_portal.celery import app
from directory.models import AuditEvent

from .support import closed_campaign

YEAR = 2025
REDIS_URL = os.environ.get("TEST_CDCI_REDIS_URL", "redis://127.0.0.1:6379/10")
UNREACHABLE = "redis://127.0.0.1:1/10"


@pytest.fixture
def campaign(cast):
    return closed_campaign(cast, YEAR)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker thread needs a shared real database")
@pytest.mark.django_db(transaction=True)
def test_a_computation_started_during_a_broker_outage_runs_when_the_broker_is_back(client, cast, campaign, real_broker):
    real_broker(UNREACHABLE)
    client.force_login(cast.users.staff)

    response = client.post(reverse("cdci:cdci-run-start", args=[campaign.pk]))
    assert response.status_code == 302  # the request answers; the job waits
    run = CdciRun.objects.get(campaign=campaign)
    assert run.status == JobStatus.QUEUED
    CdciRun.objects.filter(pk=run.pk).update(created_at=run.created_at - datetime.timedelta(minutes=2))
    page = client.get(reverse("cdci:cdci-campaign", args=[campaign.pk])).content.decode()
    assert "waits for the job service" in page
    assert client.get(reverse("cdci:cdci-run-status", args=[run.pk])).json()["waiting"] is True
    # A second start is refused while this one waits: one computation per campaign.
    client.post(reverse("cdci:cdci-run-start", args=[campaign.pk]))
    assert CdciRun.objects.filter(campaign=campaign).count() == 1

    real_broker(REDIS_URL)
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert sweep_cdci_runs_task() == {"resent": 1, "failed": 0}
        deadline = time.monotonic() + 60
        while CdciRun.objects.get(pk=run.pk).status != JobStatus.DONE and time.monotonic() < deadline:
            time.sleep(0.2)

    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.attempts == 1 and run.result["units"]


def test_staff_cancel_a_computation_and_a_late_task_does_nothing(client, cast, campaign):
    run = cdci_services.start_run(campaign, actor=cast.users.staff)
    client.force_login(cast.users.leader)  # not department staff: nothing to see
    assert client.post(reverse("cdci:cdci-run-cancel", args=[run.pk])).status_code == 404

    client.force_login(cast.users.staff)
    client.post(reverse("cdci:cdci-run-cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED
    assert AuditEvent.objects.for_object(run).filter(action="cdci.run_cancelled", actor=cast.users.staff).exists()
    assert cdci_services.execute_run(run.pk) is None  # the task arrives after the cancel
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED and run.result is None
    # Cancelled, it no longer blocks a new computation.
    assert cdci_services.start_run(campaign, actor=cast.users.staff).status == JobStatus.QUEUED
