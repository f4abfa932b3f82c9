"""A small closed CDCI campaign built through the survey services, the way businesses answer it:
three branches of the cast's department (Móng Cái, Hòn Gai and a third, Cái Lân), businesses in and out
of the province invited from their declarations, each answering about its one or two units with
answers drawn from the unit's quality (demo.surveys.demo_value), then the campaign closed."""

import datetime
import random

from django.utils import timezone

from demo.surveys import demo_value
from directory.models import Branch
from surveys.models import Campaign
from surveys.services import answering, campaigns, invitations
from tests.surveys.conftest import declare, make_businesses

QUALITY = {"MC": 0.55, "HG": 0.05, "CL": -0.45}


def third_branch(cast) -> Branch:
    return Branch.objects.get_or_create(
        department=cast.department, code="CL", defaults={"name": "Chi cục Hải quan Cái Lân"}
    )[0]


def closed_campaign(cast, year: int, *, per_segment: int = 12, quality=None, weight_by_segment=False) -> Campaign:
    """A closed campaign of `year` with about 2 x per_segment businesses answering about 1-2 units each."""
    quality = quality or QUALITY
    units = [cast.branch_a, cast.branch_b, third_branch(cast)]
    rng = random.Random(f"cdci-{year}")
    start = 600 + (year % 100) * 40
    businesses = make_businesses(per_segment, in_province=True, start=start, email=False)
    businesses += make_businesses(per_segment, in_province=False, start=start, email=False)
    for index, business in enumerate(businesses):
        first = units[index % len(units)]
        declare(business, first, year=year)
        declare(business, first, year=year)
        if index % 2 == 0:
            declare(business, units[(index + 1) % len(units)], year=year)
    today = timezone.localdate()
    campaign = campaigns.create_campaign(
        cast.department,
        year,
        actor=None,
        open_on=today - datetime.timedelta(days=10),
        close_on=today + datetime.timedelta(days=20),
    )
    if weight_by_segment:
        Campaign.objects.filter(pk=campaign.pk).update(weight_by_segment=True)
        campaign.refresh_from_db()
    campaign = campaigns.open_campaign(campaign, actor=None)
    invitations.build_invitations(campaign, actor=None)
    questions = list(campaign.questions.order_by("component__position", "position"))
    for invitation in campaign.invitations.order_by("business__tax_code"):
        generosity = rng.gauss(0, 0.3)
        for link in invitation.unit_links.select_related("branch").order_by("rank"):
            level = quality.get(link.branch.code, 0.0)
            answers = {question.pk: demo_value(rng, question, level, generosity) for question in questions}
            answering.save_answers(invitation, link.branch, answers)
        answering.submit(invitation)
    return campaigns.close_campaign(campaign, actor=None, reason="Đủ số phản hồi cho thử nghiệm")


def publish(run, **kwargs):
    """publish_draft by a publisher who read the checklist and accepts its warnings (until the method's
    coverage study has passed, every draft carries that warning)."""
    from cdci import services as cdci_services

    return cdci_services.publish_draft(run, confirmed=True, despite_warnings=True, **kwargs)
