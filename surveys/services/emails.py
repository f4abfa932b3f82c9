"""The invitation and reminder e-mails, queued in the outbox in batches (Celery tasks call these)."""

import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import OutboxMessage
from directory.outbox import kick_sender

from .. import codes
from ..choices import CampaignStatus
from ..models import MAX_REMINDERS, Campaign, Invitation
from .invitations import answer_url, invitation_code

# A reminder goes at least this many days after the invitation or the previous reminder.
REMINDER_INTERVAL_DAYS = 7
EMAIL_BATCH_SIZE = 500
INVITATION_KIND = "survey_invitation"
REMINDER_KIND = "survey_reminder"


def _invitation_email(campaign: Campaign, code: str, *, reminder: bool) -> tuple[str, str]:
    """Subject and body in Vietnamese then English: a business's language is not known."""
    subjects, bodies = [], []
    values = {
        "year": campaign.year,
        "department": campaign.department.name,
        "close_on": campaign.close_on.strftime("%d/%m/%Y"),
        "code": codes.format_code(code),
        "url": answer_url(code),
    }
    for language in ("vi", "en"):
        with translation.override(language):
            if reminder:
                subjects.append(_("Reminder: CDCI survey %(year)s") % values)
                first = _("We have not yet received your answers to the %(year)s survey of %(department)s.") % values
            else:
                subjects.append(_("CDCI survey %(year)s") % values)
                first = (
                    _("%(department)s invites your business to rate the customs units you dealt with in %(year)s.")
                    % values
                )
            bodies.append(
                "\n\n".join(
                    [
                        first,
                        _("Answer at %(url)s before %(close_on)s. Your code: %(code)s") % values,
                        _(
                            "This code is personal to your business: do not share it. Answers are anonymous and "
                            "published only in aggregate; the units rated never learn who answered."
                        ),
                    ]
                )
            )
    return " / ".join(subjects), "\n\n----------\n\n".join(bodies)


def _queue_survey_emails(invitations: list[Invitation], *, kind: str, reminder_number: int = 0) -> int:
    messages = []
    for invitation in invitations:
        subject, body = _invitation_email(
            invitation.campaign, invitation_code(invitation), reminder=reminder_number > 0
        )
        messages.append(
            OutboxMessage(
                recipient=None,
                to_email=invitation.business.email,
                language="vi",
                kind=kind,
                subject=subject[:255],
                body=body,
                dedup_key=f"{kind}:{invitation.pk}:{reminder_number}",
            )
        )
    if messages:
        OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
        transaction.on_commit(kick_sender, robust=True)
    return len(messages)


def send_invitations(campaign_id: int, *, batch: int = EMAIL_BATCH_SIZE) -> int:
    """Queue the invitation e-mail of up to `batch` invitations never sent (by e-mail or letter) whose
    business has an e-mail address; returns how many. Safe to run twice: rows are claimed under lock
    and the outbox's dedup key drops a second copy."""
    with transaction.atomic():
        campaign = Campaign.objects.select_related("department").get(pk=campaign_id)
        if campaign.status != CampaignStatus.OPEN:
            return 0
        invitations = list(
            Invitation.objects.filter(campaign=campaign, sent_at__isnull=True, submitted_at__isnull=True)
            .exclude(business__email="")
            .select_related("business")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")[:batch]
        )
        for invitation in invitations:
            invitation.campaign = campaign
        queued = _queue_survey_emails(invitations, kind=INVITATION_KIND)
        Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(sent_at=timezone.now())
    return queued


def send_reminders(campaign_id: int, *, now: datetime.datetime | None = None, batch: int = EMAIL_BATCH_SIZE) -> int:
    """Remind up to `batch` invitations that have not answered: at most MAX_REMINDERS each, the first
    REMINDER_INTERVAL_DAYS after the invitation, the next as long after the previous reminder."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=REMINDER_INTERVAL_DAYS)
    with transaction.atomic():
        campaign = Campaign.objects.select_related("department").get(pk=campaign_id)
        if not campaign.accepts_answers_on(timezone.localdate(now)):
            return 0
        invitations = list(
            Invitation.objects.filter(
                Q(last_reminded_at__isnull=True, sent_at__lte=cutoff) | Q(last_reminded_at__lte=cutoff),
                campaign=campaign,
                submitted_at__isnull=True,
                reminder_count__lt=MAX_REMINDERS,
            )
            .exclude(business__email="")
            .select_related("business")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")[:batch]
        )
        queued = 0
        for number in range(1, MAX_REMINDERS + 1):
            group = [i for i in invitations if i.reminder_count + 1 == number]
            for invitation in group:
                invitation.campaign = campaign
            queued += _queue_survey_emails(group, kind=REMINDER_KIND, reminder_number=number)
        Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(
            reminder_count=F("reminder_count") + 1, last_reminded_at=now
        )
    return queued
