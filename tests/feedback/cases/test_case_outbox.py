"""Case e-mails survive a broker outage: written in the case's transaction, sent once the broker is back.

Real PostgreSQL, real Redis (DB 13), a real Celery worker thread and the real outbox; nothing mocked.
"""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection

from customs_portal.celery import app
from directory.models import OutboxMessage
from feedback.models import DissatisfactionCase
from tests.feedback.cases.support import complain

REDIS_URL = os.environ.get("TEST_CASES_REDIS_URL", "redis://127.0.0.1:6379/13")
UNREACHABLE = "redis://127.0.0.1:1/13"  # nothing listens on port 1


@pytest.fixture
def real_broker(settings):
    """Celery not eager, on a broker URL the test switches; the app's connection pool follows each switch."""
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.result_backend = None

    def use(url: str) -> None:
        # Drop the pooled connections to the previous broker (what Celery itself does after a fork).
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = url

    yield use
    use(saved[1])
    app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend = saved


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker thread needs a shared real database")
@pytest.mark.django_db(transaction=True)
def test_case_mail_written_during_a_broker_outage_is_sent_after_it_returns(case_cast, real_broker):
    cast = case_cast
    mail.outbox = []
    real_broker(UNREACHABLE)

    # The business's rating, the case and the leader's e-mail row commit; the kick to the sender fails
    # (on_commit robust) and does not fail the request.
    case = complain(cast)
    assert DissatisfactionCase.objects.filter(pk=case.pk).exists()
    assert list(OutboxMessage.objects.pending().values_list("kind", "to_email")) == [
        ("case_opened", "lanhdao.mc@customs.gov.vn")
    ]
    assert mail.outbox == []

    # The broker is back: beat's next tick queues send_outbox_task, a worker runs it.
    real_broker(REDIS_URL)
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # DB 13 is this test's own
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        from directory.tasks import send_outbox_task

        send_outbox_task.delay()
        deadline = time.monotonic() + 30
        while OutboxMessage.objects.pending().exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    assert not OutboxMessage.objects.pending().exists()
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["lanhdao.mc@customs.gov.vn"], "New complaint on declaration 101234567890")
    ]
