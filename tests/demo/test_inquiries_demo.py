"""The demo shows inquiries in every state to the demo accounts, one FAQ entry and two dialogues; a rerun adds
nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from directory.models import OutboxMessage, User
from inquiries.models import ConferenceProblem, DialogueConference, FaqEntry, Inquiry

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--scale", "0.02", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_inquiries_in_every_state_for_the_demo_accounts(client):
    seed()
    business, leader, officer, staff = (
        User.objects.get(username=name) for name in ("business", "leader", "officer", "staff")
    )
    assert set(Inquiry.objects.for_user(business).values_list("status", flat=True)) == {
        "new",
        "assigned",
        "answered",
        "closed",
    }
    assert Inquiry.objects.for_user(leader).filter(escalated_at__isnull=False).exists()
    assert Inquiry.objects.for_user(officer).exists()
    assert Inquiry.objects.for_user(staff).filter(branch__isnull=True).exists()
    entry = FaqEntry.objects.published().get()
    body = client.get("/faq/").content.decode()
    assert entry.question in body and entry.inquiry.business.name not in body
    assert DialogueConference.objects.count() == 2
    assert ConferenceProblem.objects.filter(solved_at__isnull=False).count() == 1
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    before = Inquiry.objects.count()
    seed()
    assert Inquiry.objects.count() == before and DialogueConference.objects.count() == 2
