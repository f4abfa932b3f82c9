"""The demo surveys (surveys/demo.py) at a small scale: deterministic, idempotent, and shaped like what
the services produce."""

import pytest
from django.utils import timezone

from demo import surveys as demo
from demo.directory import month_anchor
from surveys import selectors
from surveys.choices import CampaignStatus, InvalidReason, Segment
from surveys.models import Answer, Campaign, Invitation, Response, SurveyAdministrator
from surveys.services import answering, invitations
from tests.surveys.conftest import declare, make_businesses

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(cast):
    anchor = month_anchor()
    businesses = make_businesses(6, start=700) + make_businesses(4, in_province=False, start=800)
    for index, business in enumerate(businesses):
        declare(business, cast.branch_a, year=anchor.year - 1)
        if index % 2:
            declare(business, cast.branch_b, year=anchor.year - 1)
        declare(business, cast.branch_b if index % 3 else cast.branch_a, year=anchor.year, month=1)
    return anchor


def snapshot(department):
    return {
        "campaigns": list(Campaign.objects.filter(department=department).values_list("year", "status")),
        "invitations": list(
            Invitation.objects.order_by("code_hash").values_list("code_hash", "segment", "submitted_at")
        ),
        "responses": Response.objects.count(),
        "answers": Answer.objects.count(),
        "valid": Response.objects.filter(is_valid=True).count(),
    }


def test_demo_surveys_build_last_years_closed_campaign_and_this_years_open_one(cast, demo_world):
    built = demo.build_surveys(cast.department, staff=cast.users.staff, anchor=demo_world, scale=0.05)

    last, this = built.last_year, built.this_year
    assert (last.year, last.status) == (demo_world.year - 1, CampaignStatus.CLOSED)
    assert (this.year, this.status) == (demo_world.year, CampaignStatus.OPEN)
    assert this.accepts_answers_on(timezone.localdate())
    # 60 invitations: the 10 businesses of the declarations, the rest a panel added by staff.
    assert last.invitations.count() == 60
    assert last.invitations.filter(added_manually=False).count() == 10
    assert set(last.invitations.values_list("segment", flat=True)) == set(Segment.values)
    submitted = Response.objects.filter(campaign=last, submitted_at__isnull=False)
    assert submitted.count() == Response.objects.filter(campaign=last).count() > 10
    assert submitted.filter(is_valid=True).count() >= submitted.count() // 2
    # Judged by the services' own rule: every invalid one has its reasons, every valid one none.
    for response in submitted:
        assert response.is_valid == (not response.invalid_reasons)
        assert response.completion is not None
        if response.flagged_straight_lining:
            assert InvalidReason.STRAIGHT_LINING in response.invalid_reasons
    # This year's campaign: a few answered through the services.
    assert Invitation.objects.filter(campaign=this, submitted_at__isnull=False).exists()
    assert SurveyAdministrator.objects.filter(user=cast.users.staff, department=cast.department).exists()
    progress = selectors.campaign_progress(last, user=cast.users.staff)
    assert progress["total"]["sent"] == 60


def test_demo_surveys_run_twice_change_nothing(cast, demo_world):
    first = demo.build_surveys(cast.department, staff=cast.users.staff, anchor=demo_world, scale=0.05)
    before = snapshot(cast.department)

    second = demo.build_surveys(cast.department, staff=cast.users.staff, anchor=demo_world, scale=0.05)

    assert snapshot(cast.department) == before
    assert second.sample_code == first.sample_code


def test_demo_sample_code_opens_an_unanswered_questionnaire(client, cast, demo_world):
    built = demo.build_surveys(cast.department, staff=cast.users.staff, anchor=demo_world, scale=0.05)

    invitation = answering.invitation_for_code(built.sample_code)

    assert invitation.campaign == built.this_year
    assert invitation.submitted_at is None and not invitation.responses.exists()
    assert client.get(invitations.answer_url(built.sample_code).split("8000", 1)[-1]).status_code == 200
