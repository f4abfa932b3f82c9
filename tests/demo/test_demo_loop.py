"""The demo shows the core loop: `business` rates at Móng Cái what `officer` handled, `leader` works the case,
`teamleader` leads the officer's team; survey invitees have demo e-mail addresses."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from demo.directory import BRANCHES, BUSINESS_EMAIL_DOMAIN
from demo.feedback import LOOP_DAYS
from directory.choices import Role
from directory.models import TeamMembership, User
from feedback.cases.services import assign
from feedback.choices import CaseStatus, Level, Reason, SubmissionChannel
from feedback.models import Declaration, DissatisfactionCase, Rating, RatingOfficer
from feedback.ratings.services import submit_rating
from feedback.ratings.window import open_for_rating
from surveys.models import Invitation

SCALE = "0.02"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--scale", SCALE, stdout=out)
    return out.getvalue()


def loop_declarations(business: User, officer: User):
    """What `business` has to rate at Móng Cái, handled by `officer`'s officer."""
    return open_for_rating(Declaration.objects.for_user(business)).filter(
        branch__code=BRANCHES[0][0], pk__in=Declaration.objects.for_user(officer).values("pk")
    )


@pytest.mark.django_db
def test_demo_business_has_declarations_to_rate_at_mong_cai_handled_by_the_officer(settings):
    seed()
    business, officer = User.objects.get(username="business"), User.objects.get(username="officer")

    pending = loop_declarations(business, officer)

    assert pending.count() >= LOOP_DAYS
    assert not Rating.objects.filter(declaration__in=pending).exists()
    # The business's rating page opens for them.
    settings.DEBUG = True  # demo accounts are refused otherwise
    client = Client()
    client.force_login(business)
    number = pending.order_by("-cleared_at").first().number
    assert client.get(reverse("feedback:declaration-rate", args=[number])).status_code == 200


@pytest.mark.django_db
def test_a_dissatisfied_rating_of_the_loop_opens_a_case_the_leader_sees_and_works(settings):
    seed()
    business, officer = User.objects.get(username="business"), User.objects.get(username="officer")
    leader, teamleader = User.objects.get(username="leader"), User.objects.get(username="teamleader")
    declaration = loop_declarations(business, officer).order_by("-cleared_at").first()

    rating = submit_rating(
        declaration,
        business,
        channel=SubmissionChannel.WEB,
        branch_level=Level.DISSATISFIED,
        branch_reasons=[Reason.DELAY],
        officers=[{"code": officer.officer.code, "level": Level.DISSATISFIED, "reasons": [Reason.ATTITUDE]}],
    )

    case = DissatisfactionCase.objects.get(rating=rating)
    assert DissatisfactionCase.objects.for_user(leader).filter(pk=case.pk).exists()
    settings.DEBUG = True  # demo accounts are refused otherwise
    client = Client()
    client.force_login(leader)
    assert client.get(reverse("feedback:case-detail", args=[case.pk])).status_code == 200
    assign(case, teamleader, leader)
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    # The officer sees where they were rated.
    assert RatingOfficer.objects.filter(rating=rating, officer=officer.officer, level=Level.DISSATISFIED).exists()
    assert Declaration.objects.for_user(officer).filter(pk=declaration.pk).exists()


@pytest.mark.django_db
def test_demo_team_leader_leads_the_officers_team_at_mong_cai(settings):
    seed()
    teamleader, officer = User.objects.get(username="teamleader"), User.objects.get(username="officer")

    assert teamleader.is_demo and teamleader.role == Role.TEAM_LEADER
    officer_team = TeamMembership.objects.get(officer=officer.officer, ended_on__isnull=True).team
    assert teamleader.team == officer_team and officer_team.branch.code == BRANCHES[0][0]
    assert Declaration.objects.for_user(teamleader).exists()
    settings.DEBUG = True
    assert Client().login(username="teamleader", password="demo")


@pytest.mark.django_db
def test_survey_invitees_have_demo_email_addresses():
    seed()
    invitations = Invitation.objects.select_related("business")

    assert invitations.exists()
    assert all(i.business.email == f"{i.business.tax_code}@{BUSINESS_EMAIL_DOMAIN}" for i in invitations)
    assert BUSINESS_EMAIL_DOMAIN.endswith(".example")  # reserved: never delivered to anyone
