"""Survey fixtures on top of the shared cast: a campaign for YEAR (declarations are dated in it, so
tests do not depend on today's date), open today, and a survey administrator `surveyor`."""

import datetime
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from directory.choices import Role
from directory.models import Business
from directory.taxcode import make_tax_codes
from feedback.models import Declaration
from surveys.choices import QuestionKind
from surveys.services import access, campaigns, invitations
from tests.conftest import make_user

YEAR = 2025
_numbers = itertools.count(102000000000)


def declare(business, branch, *, month=6, cleared=True, year=YEAR):
    """A declaration of `business` cleared through `branch` in `year` (local time)."""
    registered_at = datetime.datetime(year, month, 10, 9, tzinfo=timezone.get_current_timezone())
    return Declaration.objects.create(
        number=str(next(_numbers)),
        type_code="A11",
        channel="green",
        business=business,
        branch=branch,
        registered_at=registered_at,
        cleared_at=registered_at + datetime.timedelta(hours=2) if cleared else None,
    )


def make_businesses(count, *, in_province=True, start=500, email=True):
    province = 57 if in_province else 1
    return [
        Business.objects.create(
            tax_code=code,
            name=f"Doanh nghiệp {code}",
            is_in_province=in_province,
            email=f"dn{code}@example.vn" if email else "",
        )
        for code in make_tax_codes(province, count, start=start)
    ]


@pytest.fixture
def surveyor(cast):
    user = make_user("surveyor", Role.DEPARTMENT_STAFF, department=cast.department, is_staff=True)
    access.grant_survey_administrator(user, cast.department, actor=cast.users.admin)
    return user


@pytest.fixture
def campaign(cast):
    """A draft campaign of the default questionnaire, dated so that it accepts answers today."""
    today = timezone.localdate()
    return campaigns.create_campaign(
        cast.department,
        YEAR,
        actor=cast.users.staff,
        open_on=today - datetime.timedelta(days=10),
        close_on=today + datetime.timedelta(days=20),
    )


@pytest.fixture
def open_campaign(campaign, cast):
    return campaigns.open_campaign(campaign, actor=cast.users.staff)


def questions_by_kind(campaign):
    grouped = {}
    for question in campaign.questions.order_by("component__position", "position"):
        grouped.setdefault(question.kind, []).append(question)
    return SimpleNamespace(
        agreement=grouped[QuestionKind.AGREEMENT_5],
        yes_no=grouped[QuestionKind.YES_NO],
        number=grouped[QuestionKind.NUMBER],
        choice=grouped[QuestionKind.SINGLE_CHOICE],
    )


def full_answers(campaign, *, varied=True):
    """A valid answer to every question; agreement levels vary unless `varied` is False."""
    answers = {}
    for index, question in enumerate(campaign.questions.all()):
        if question.kind == QuestionKind.AGREEMENT_5:
            answers[question.pk] = (index % 5) + 1 if varied else 4
        elif question.kind == QuestionKind.YES_NO:
            answers[question.pk] = 1
        elif question.kind == QuestionKind.NUMBER:
            answers[question.pk] = "2,5"
        else:
            answers[question.pk] = question.choices[0]["value"]
    return answers


@pytest.fixture
def invited(cast, open_campaign, surveyor):
    """Business X invited about branch A (and B), Y about B; returns the clear codes by business."""
    declare(cast.business_x, cast.branch_a)
    declare(cast.business_x, cast.branch_a)
    declare(cast.business_x, cast.branch_b)
    declare(cast.business_y, cast.branch_b)
    issued = invitations.build_invitations(open_campaign, actor=surveyor)
    by_id = {item.invitation_id: item.code for item in issued}
    by_business = {inv.business_id: inv for inv in open_campaign.invitations.all()}
    return SimpleNamespace(
        x=by_business[cast.business_x.pk],
        y=by_business[cast.business_y.pk],
        code_x=by_id[by_business[cast.business_x.pk].pk],
        code_y=by_id[by_business[cast.business_y.pk].pk],
    )
