"""Survey mailings are long jobs (core.jobs): asked for while the broker is down they wait and then run;
staff cancel and send again; only survey administrators of the campaign's department reach them.

Real PostgreSQL and Redis (its own DB) with a real Celery worker thread; nothing mocked.
"""

import datetime
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.urls import reverse

from core.jobs import JobStatus
from customs_portal.celery import app
from directory.models import AuditEvent, OutboxMessage
from surveys.models import Mailing, MailingKind
from surveys.services import emails
from surveys.tasks import sweep_mailings_task
from tests.conftest import make_user

REDIS_URL = os.environ.get("TEST_MAILINGS_REDIS_URL", "redis://127.0.0.1:6379/11")
UNREACHABLE = "redis://127.0.0.1:1/11"


def send_url(campaign, action="send"):
    return reverse("surveys:invitation-action", kwargs={"pk": campaign.pk, "action": action})


def with_email(business, address):
    business.email = address
    business.save(update_fields=["email"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker thread needs a shared real database")
@pytest.mark.django_db(transaction=True)
def test_invitations_asked_for_during_a_broker_outage_go_out_when_it_is_back(
    client, cast, invited, open_campaign, surveyor, real_broker
):
    with_email(cast.business_x, "xnk@example.vn")
    real_broker(UNREACHABLE)
    client.force_login(surveyor)

    response = client.post(send_url(open_campaign), follow=True)
    assert response.status_code == 200
    mailing = Mailing.objects.get()
    assert mailing.status == JobStatus.QUEUED and mailing.kind == MailingKind.INVITATIONS
    assert AuditEvent.objects.for_object(open_campaign).filter(action="survey.mailing_started").exists()
    Mailing.objects.filter(pk=mailing.pk).update(created_at=mailing.created_at - datetime.timedelta(minutes=2))
    page = client.get(reverse("surveys:invitation-list", kwargs={"pk": open_campaign.pk})).content.decode()
    assert "waits for the job service" in page
    assert not OutboxMessage.objects.filter(kind=emails.INVITATION_KIND).exists()

    real_broker(REDIS_URL)
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert sweep_mailings_task() == {"resent": 1, "failed": 0}
        deadline = time.monotonic() + 30
        while Mailing.objects.get().status != JobStatus.DONE and time.monotonic() < deadline:
            time.sleep(0.2)

    mailing.refresh_from_db()
    assert mailing.status == JobStatus.DONE and mailing.queued == 1
    assert list(OutboxMessage.objects.filter(kind=emails.INVITATION_KIND).values_list("to_email", flat=True)) == [
        "xnk@example.vn"
    ]


def test_a_mailing_taken_twice_mails_nobody_twice(cast, invited, open_campaign, surveyor):
    with_email(cast.business_x, "xnk@example.vn")
    mailing = emails.start_mailing(open_campaign, MailingKind.INVITATIONS, actor=surveyor)
    emails.run_mailing(mailing.pk)
    # A worker died after queuing: the job is taken again (as after a stale heartbeat) and finds nothing due.
    Mailing.objects.filter(pk=mailing.pk).update(status=JobStatus.QUEUED)
    emails.run_mailing(mailing.pk)
    mailing.refresh_from_db()
    assert mailing.status == JobStatus.DONE and mailing.attempts == 2 and mailing.queued == 1
    assert OutboxMessage.objects.filter(kind=emails.INVITATION_KIND).count() == 1


def test_staff_cancel_a_queued_mailing_and_send_it_again(
    client, cast, invited, open_campaign, surveyor, django_capture_on_commit_callbacks
):
    with_email(cast.business_x, "xnk@example.vn")
    mailing = emails.start_mailing(open_campaign, MailingKind.INVITATIONS, actor=surveyor)
    client.force_login(surveyor)
    action = "surveys:mailing-action"

    client.post(reverse(action, kwargs={"pk": open_campaign.pk, "mailing_id": mailing.pk, "action": "cancel"}))
    mailing.refresh_from_db()
    assert mailing.status == JobStatus.CANCELLED
    emails.run_mailing(mailing.pk)  # a task already on its way does nothing
    assert not OutboxMessage.objects.filter(kind=emails.INVITATION_KIND).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(action, kwargs={"pk": open_campaign.pk, "mailing_id": mailing.pk, "action": "retry"}))
    mailing.refresh_from_db()
    assert mailing.status == JobStatus.DONE  # eager here: sent at once
    assert OutboxMessage.objects.filter(kind=emails.INVITATION_KIND).count() == 1


def test_only_survey_administrators_touch_mailings(client, cast, invited, open_campaign, surveyor):
    mailing = emails.start_mailing(open_campaign, MailingKind.REMINDERS, actor=surveyor)
    cancel = reverse(
        "surveys:mailing-action", kwargs={"pk": open_campaign.pk, "mailing_id": mailing.pk, "action": "cancel"}
    )
    plain_staff = make_user("plainstaff", "department_staff", department=cast.department)
    for user in (cast.users.leader, cast.users.business, plain_staff):
        client.force_login(user)
        assert client.post(cancel).status_code in (403, 404)
    mailing.refresh_from_db()
    assert mailing.status == JobStatus.QUEUED


def test_a_mailing_of_a_closed_campaign_is_refused_with_a_reason(cast, campaign, surveyor):
    with pytest.raises(Exception, match="only while the campaign is open"):
        emails.start_mailing(campaign, MailingKind.INVITATIONS, actor=surveyor)
    assert not Mailing.objects.exists()
