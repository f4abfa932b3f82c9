import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from directory.models import Branch, OutboxMessage
from surveys import codes, tasks
from surveys.choices import Segment
from surveys.models import Invitation, InvitationUnit
from surveys.services import answering, emails, invitations

from .conftest import YEAR, declare, full_answers, make_businesses


def _units(invitation):
    return [(link.branch_id, link.rank, link.declaration_count) for link in invitation.unit_links.order_by("rank")]


def test_build_invitations_keeps_top_two_units_and_segments(
    cast, open_campaign, surveyor, django_assert_max_num_queries
):
    branch_c = Branch.objects.create(department=cast.department, code="CP", name="Cẩm Phả")
    open_campaign.units.add(branch_c)
    for _ in range(3):
        declare(cast.business_x, cast.branch_b)
    for _ in range(2):
        declare(cast.business_x, branch_c)
    declare(cast.business_x, cast.branch_a)
    [outsider] = make_businesses(1, in_province=False)
    declare(outsider, cast.branch_a)
    declare(outsider, cast.branch_a, year=YEAR - 1)  # another year: not counted
    declare(cast.business_y, cast.branch_b, cleared=False)  # never cleared: Y is not asked

    with django_assert_max_num_queries(12):
        issued = invitations.build_invitations(open_campaign, actor=surveyor)

    assert len(issued) == 2
    x = Invitation.objects.get(campaign=open_campaign, business=cast.business_x)
    assert x.segment == Segment.IN_PROVINCE
    assert _units(x) == [(cast.branch_b.pk, 1, 3), (branch_c.pk, 2, 2)]
    out = Invitation.objects.get(campaign=open_campaign, business=outsider)
    assert out.segment == Segment.OUT_OF_PROVINCE
    assert _units(out) == [(cast.branch_a.pk, 1, 1)]
    assert not Invitation.objects.filter(business=cast.business_y).exists()


def test_build_invitations_ignores_units_outside_the_campaign(cast, open_campaign, surveyor):
    open_campaign.units.remove(cast.branch_b)
    declare(cast.business_y, cast.branch_b)
    assert invitations.build_invitations(open_campaign, actor=surveyor) == []


def test_build_invitations_again_adds_only_new_businesses(cast, open_campaign, surveyor):
    declare(cast.business_x, cast.branch_a)
    first = invitations.build_invitations(open_campaign, actor=surveyor)
    assert invitations.build_invitations(open_campaign, actor=surveyor) == []
    declare(cast.business_y, cast.branch_b)
    declare(cast.business_x, cast.branch_b)  # X is invited already: its units stay as they were
    second = invitations.build_invitations(open_campaign, actor=surveyor)

    assert len(first) == 1 and len(second) == 1
    assert Invitation.objects.filter(campaign=open_campaign).count() == 2
    x = Invitation.objects.get(campaign=open_campaign, business=cast.business_x)
    assert _units(x) == [(cast.branch_a.pk, 1, 1)]


def test_build_invitations_needs_the_survey_administrator(cast, open_campaign):
    declare(cast.business_x, cast.branch_a)
    for user in (cast.users.staff, cast.users.leader, cast.users.officer):
        with pytest.raises(PermissionDenied):
            invitations.build_invitations(open_campaign, actor=user)
    assert not Invitation.objects.exists()


def test_codes_are_stored_only_as_a_hash_and_found_by_it(cast, invited):
    invitation = Invitation.objects.get(pk=invited.x.pk)
    stored = [str(getattr(invitation, field.attname)) for field in Invitation._meta.concrete_fields]
    assert all(invited.code_x not in value for value in stored)
    assert invitation.code_hash == hashlib.sha256(invited.code_x.encode()).hexdigest()
    assert len(invited.code_x) == codes.CODE_LENGTH
    assert answering.invitation_for_code(invited.code_x) == invitation
    # Letters print it in groups; people type it in lower case.
    assert answering.invitation_for_code(codes.format_code(invited.code_x).lower()) == invitation
    assert invitations.invitation_code(invitation) == invited.code_x


@pytest.mark.parametrize("code", ["", "ABCD", "0" * codes.CODE_LENGTH, None])
def test_invitation_for_unknown_code_is_none(invited, code):
    assert answering.invitation_for_code(code) is None


def test_regenerate_code_invalidates_the_old_one(cast, invited, surveyor):
    new = invitations.regenerate_code(invited.x, actor=surveyor)
    assert new != invited.code_x
    assert answering.invitation_for_code(invited.code_x) is None
    assert answering.invitation_for_code(new).pk == invited.x.pk


def test_add_and_remove_invitation_by_survey_administrator(cast, open_campaign, surveyor):
    [extra] = make_businesses(1, in_province=False)
    invitation, code = invitations.add_invitation(open_campaign, extra, [cast.branch_b, cast.branch_a], actor=surveyor)
    assert invitation.added_manually and invitation.segment == Segment.OUT_OF_PROVINCE
    assert [link.branch for link in invitation.unit_links.order_by("rank")] == [cast.branch_b, cast.branch_a]
    assert answering.invitation_for_code(code) == invitation
    with pytest.raises(ValidationError):
        invitations.add_invitation(open_campaign, extra, [cast.branch_a], actor=surveyor)

    invitations.remove_invitation(invitation, actor=surveyor)
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert not InvitationUnit.objects.filter(invitation_id=invitation.pk).exists()


def test_add_invitation_with_foreign_or_too_many_units_is_refused(cast, open_campaign, surveyor):
    other = Branch.objects.create(department=cast.department, code="VG", name="Vạn Gia")  # not rated
    with pytest.raises(ValidationError):
        invitations.add_invitation(open_campaign, cast.business_x, [other], actor=surveyor)
    with pytest.raises(ValidationError):
        invitations.add_invitation(open_campaign, cast.business_x, [], actor=surveyor)


def test_remove_invitation_with_answers_is_refused(cast, invited, surveyor, open_campaign):
    answering.save_answers(invited.x, cast.branch_a, full_answers(open_campaign))
    with pytest.raises(ValidationError):
        invitations.remove_invitation(invited.x, actor=surveyor)


def _with_email(cast):
    cast.business_x.email = "x@example.vn"
    cast.business_x.save()


def test_send_invitations_task_queues_each_email_once_with_the_code(cast, invited):
    _with_email(cast)  # Y has no address: it gets a letter
    assert tasks.send_invitations_task(invited.x.campaign_id) == 1
    assert tasks.send_invitations_task(invited.x.campaign_id) == 0

    [message] = OutboxMessage.objects.filter(kind=emails.INVITATION_KIND)
    assert message.to_email == "x@example.vn"
    assert codes.format_code(invited.code_x) in message.body
    assert "Khảo sát" in message.subject or "CDCI" in message.subject
    invited.x.refresh_from_db()
    invited.y.refresh_from_db()
    assert invited.x.sent_at is not None and invited.y.sent_at is None


def test_send_invitations_of_a_draft_campaign_sends_nothing(cast, campaign, surveyor):
    _with_email(cast)
    declare(cast.business_x, cast.branch_a)
    invitations.build_invitations(campaign, actor=surveyor)
    assert tasks.send_invitations_task(campaign.pk) == 0


def test_reminders_at_most_two_spaced_and_only_to_non_respondents(cast, invited, open_campaign):
    _with_email(cast)
    cast.business_y.email = "y@example.vn"
    cast.business_y.save()
    tasks.send_invitations_task(open_campaign.pk)
    answering.save_answers(invited.y, cast.branch_b, full_answers(open_campaign))
    answering.submit(invited.y)
    sent = timezone.now()

    def remind(days):
        return emails.send_reminders(open_campaign.pk, now=sent + datetime.timedelta(days=days, minutes=1))

    assert remind(3) == 0  # too early
    assert remind(7) == 1  # X only: Y answered
    assert remind(10) == 0  # three days after the first reminder
    assert remind(14) == 1
    assert remind(21) == 0  # two reminders at most
    invited.x.refresh_from_db()
    assert invited.x.reminder_count == 2
    assert OutboxMessage.objects.filter(kind=emails.REMINDER_KIND, to_email="x@example.vn").count() == 2
    assert not OutboxMessage.objects.filter(kind=emails.REMINDER_KIND, to_email="y@example.vn").exists()


def test_tasks_keep_their_registered_names():
    """Queued tasks and the beat schedule find the tasks by these names, wherever the code lives."""
    assert tasks.send_invitations_task.name == "surveys.tasks.send_invitations_task"
    assert tasks.send_reminders_task.name == "surveys.tasks.send_reminders_task"
