import datetime
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import lazy

from directory import outbox
from directory.models import OutboxMessage
from directory.tasks import send_outbox_task


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection refused")


@pytest.fixture
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def recipient(cast):
    user = cast.users.business
    user.email = "ketoan@congty-x.vn"
    user.save(update_fields=["email"])
    return user


def test_enqueue_in_a_transaction_that_rolls_back_keeps_nothing(recipient):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(recipient, "test", "Chủ đề", "Nội dung")
        raise RuntimeError("the cause failed")

    assert not OutboxMessage.objects.exists()


def test_enqueue_renders_text_in_the_recipients_language(recipient):
    current_language = lazy(translation.get_language, str)
    recipient.language = "en"

    message = outbox.enqueue(recipient, "test", current_language(), current_language())

    assert (message.subject, message.body, message.language) == ("en", "en", "en")


def test_enqueue_without_email_or_with_a_queued_dedup_key_adds_nothing(cast, recipient):
    assert outbox.enqueue(cast.users.rival, "test", "s", "b") is None  # the rival has no address
    assert outbox.enqueue(recipient, "test", "s", "b", dedup_key="k") is not None
    assert outbox.enqueue(recipient, "test", "s", "b", dedup_key="k") is None
    assert OutboxMessage.objects.count() == 1


def test_send_pending_sends_and_marks_sent(recipient, locmem_mail):
    outbox.enqueue(recipient, "test", "Tờ khai đã thông quan", "Nội dung")

    assert outbox.send_pending() == 1

    assert [(m.subject, m.to) for m in locmem_mail] == [("Tờ khai đã thông quan", ["ketoan@congty-x.vn"])]
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.attempts == 1
    assert outbox.send_pending() == 0  # a second run sends nothing again
    assert len(locmem_mail) == 1


def test_failed_send_stays_pending_and_goes_on_a_later_run(recipient, settings, locmem_mail):
    outbox.enqueue(recipient, "test", "s", "b")
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"

    assert outbox.send_pending() == 0

    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1
    assert "SMTPServerDisconnected" in message.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.send_pending() == 0  # not due yet: the retry waits
    later = timezone.now() + datetime.timedelta(minutes=2)

    assert outbox.send_pending(now=later) == 1

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2 and message.last_error == ""
    assert len(locmem_mail) == 1


def test_retry_delay_grows_and_is_capped():
    assert outbox.retry_delay(1) == datetime.timedelta(minutes=1)
    assert outbox.retry_delay(3) == datetime.timedelta(minutes=4)
    assert outbox.retry_delay(30) == datetime.timedelta(hours=6)


def test_send_outbox_task_drains_more_than_one_batch(recipient, locmem_mail, monkeypatch):
    monkeypatch.setattr(outbox, "BATCH_SIZE", 2)
    for i in range(5):
        outbox.enqueue(recipient, "test", f"s{i}", "b")

    assert send_outbox_task() == 5
    assert not OutboxMessage.objects.pending().exists()


def test_enqueue_kicks_the_sender_after_commit(recipient, locmem_mail, django_capture_on_commit_callbacks):
    from customs_portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(recipient, "test", "s", "b")
            assert locmem_mail == []  # nothing leaves before the commit
    finally:
        app.conf.task_always_eager = eager

    assert len(locmem_mail) == 1
