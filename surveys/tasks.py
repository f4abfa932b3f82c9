"""Celery tasks of surveys: thin wrappers around services, taking ids, safe to run twice."""

from celery import shared_task

from .choices import CampaignStatus
from .models import Campaign
from .services.emails import EMAIL_BATCH_SIZE, send_invitations, send_reminders

# One run queues at most this many batches; the next run (or beat) picks up the rest.
MAX_BATCHES_PER_RUN = 20


@shared_task(name="surveys.tasks.send_invitations_task", ignore_result=True, soft_time_limit=300, time_limit=330)
def send_invitations_task(campaign_id: int) -> int:
    """Queue the invitation e-mails of a campaign in batches; only invitations never sent are taken."""
    queued = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        queued_now = send_invitations(campaign_id)
        queued += queued_now
        if queued_now < EMAIL_BATCH_SIZE:
            break
    return queued


@shared_task(name="surveys.tasks.send_reminders_task", ignore_result=True, soft_time_limit=300, time_limit=330)
def send_reminders_task(campaign_id: int | None = None) -> int:
    """Remind non-respondents of one campaign, or of every open campaign (daily by beat): at most two
    reminders each, at least REMINDER_INTERVAL_DAYS apart."""
    if campaign_id is None:
        campaign_ids = list(Campaign.objects.filter(status=CampaignStatus.OPEN).values_list("pk", flat=True))
    else:
        campaign_ids = [campaign_id]
    queued = 0
    for pk in campaign_ids:
        for _batch in range(MAX_BATCHES_PER_RUN):
            queued_now = send_reminders(pk)
            queued += queued_now
            if queued_now < EMAIL_BATCH_SIZE:
                break
    return queued
