import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.choices import Role
from directory.models import Branch, Department
from surveys import selectors
from surveys.choices import Segment
from surveys.models import Invitation
from surveys.services import access, answering, invitations
from tests.conftest import make_user

from .conftest import declare, full_answers, make_businesses


@pytest.fixture
def answered(cast, open_campaign, surveyor):
    """Branch C is added. In-province: 6 businesses about A (5 valid, 1 incomplete), 5 about C (valid).
    Out-of-province: 5 about B, letters sent to 4, 3 opened, 2 answered (valid). Comments on two."""
    branch_c = Branch.objects.create(department=cast.department, code="CP", name="Cẩm Phả")
    open_campaign.units.add(branch_c)
    at_a = make_businesses(6, start=700)
    at_c = make_businesses(5, start=800)
    at_b = make_businesses(5, in_province=False, start=900)
    for businesses, branch in ((at_a, cast.branch_a), (at_c, branch_c), (at_b, cast.branch_b)):
        for business in businesses:
            declare(business, branch)
    codes = {item.invitation_id: item.code for item in invitations.build_invitations(open_campaign, actor=surveyor)}
    invitation_of = {inv.business_id: inv for inv in Invitation.objects.filter(campaign=open_campaign)}
    letters = [invitation_of[b.pk].pk for b in at_a + at_c + at_b[:4]]
    invitations.mark_letters_sent(open_campaign, letters, actor=surveyor)
    answers = full_answers(open_campaign)
    first_question = open_campaign.questions.order_by("pk").first()
    for index, business in enumerate(at_a + at_c + at_b[:2]):
        invitation = invitation_of[business.pk]
        unit = invitation.unit_links.get().branch
        given = {first_question.pk: 3} if index == 5 else answers  # the sixth at A answers one question
        answering.save_answers(invitation, unit, given, comment="Rất tốt" if index in (0, 6) else "")
        answering.submit(invitation)
    answering.mark_opened(invitation_of[at_b[2].pk])
    return {"branch_c": branch_c, "codes": codes, "at_a": at_a}


def test_suppress_small_hides_counts_below_five_and_the_complementary_cell():
    assert selectors.suppress_small({"a": 7, "b": 5, "c": 0}) == {"a": 7, "b": 5, "c": 0}
    assert selectors.suppress_small({"a": 7, "b": 4, "c": 0}) == {"a": None, "b": None, "c": 0}
    assert selectors.suppress_small({"a": 9, "b": 4, "c": 6}) == {"a": 9, "b": None, "c": None}
    assert selectors.suppress_small({"a": 1, "b": 2, "c": 8}) == {"a": None, "b": None, "c": 8}
    assert selectors.suppress_small({"a": 3}, minimum=3) == {"a": 3}


def test_campaign_progress_counts_by_segment_and_unit(cast, answered, open_campaign, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        progress = selectors.campaign_progress(open_campaign, user=cast.users.staff)

    assert progress["total"] == {"invited": 16, "sent": 15, "opened": 14, "answered": 13, "valid": 12}
    assert progress["by_segment"][Segment.IN_PROVINCE]["sent"] == 11
    assert progress["by_segment"][Segment.OUT_OF_PROVINCE]["sent"] == 4
    # 2 out-of-province answers are too few to show, and 11 in-province would reveal them from the total.
    assert progress["by_segment"][Segment.OUT_OF_PROVINCE]["answered"] is None
    assert progress["by_segment"][Segment.IN_PROVINCE]["answered"] is None
    assert str(progress["response_rate"]) == "0.8667"
    by_unit = {row["unit_code"]: row for row in progress["by_unit"]}
    assert (by_unit["MC"]["invited"], by_unit["MC"]["answered"]) == (6, 6)
    assert (by_unit["HG"]["invited"], by_unit["HG"]["sent"], by_unit["HG"]["opened"]) == (5, 4, 3)
    assert by_unit["HG"]["answered"] is None and by_unit["HG"]["valid"] is None
    assert by_unit["CP"]["answered"] is None  # complementary to HG's hidden count
    assert [by_unit["MC"]["valid"], by_unit["CP"]["valid"]].count(None) == 1
    assert selectors.progress_summary(progress) == "15 sent (11 in-province, 4 out-of-province), 12 valid"


@pytest.mark.parametrize("user", ["leader", "other_leader", "team_leader", "officer", "business", "integration"])
def test_users_of_rated_units_and_businesses_see_nothing_of_the_survey(cast, answered, open_campaign, user):
    user = getattr(cast.users, user)
    assert not selectors.campaigns_for(user).exists()
    assert not selectors.anonymous_responses(user, open_campaign).exists()
    assert not selectors.comments_for(user, open_campaign).exists()
    assert not selectors.invitations_for(user, open_campaign).exists()
    assert selectors.answers_for(user, open_campaign, open_campaign.responses.values("pk")) == {}
    with pytest.raises(PermissionDenied):
        selectors.campaign_progress(open_campaign, user=user)


def test_department_staff_see_answers_without_business_identity(cast, answered, open_campaign):
    staff = cast.users.staff
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.anonymous_responses(staff, open_campaign))
        answers = selectors.answers_for(staff, open_campaign, [row["id"] for row in rows])
        comments = list(selectors.comments_for(staff, open_campaign))

    assert len(rows) == 13
    assert set(rows[0]) == set(selectors.ANONYMOUS_RESPONSE_FIELDS)
    assert not any("invitation" in key or "business" in key for key in rows[0])
    assert len(answers) == 13 and len(answers[rows[0]["id"]]) in (1, 40)
    assert comments == [
        {"unit__name": "Chi cục Hải quan Móng Cái", "comment": "Rất tốt"},
        {"unit__name": "Cẩm Phả", "comment": "Rất tốt"},
    ]
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "surveys_invitation" not in sql and "directory_business" not in sql
    # Staff without the survey-administrator capability see no invitation, hence no business.
    assert not selectors.invitations_for(staff, open_campaign).exists()
    assert len(selectors.responses_to_review(staff, open_campaign)) == 0


def test_staff_of_another_department_see_nothing(cast, answered, open_campaign):
    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    stranger = make_user("stranger", Role.DEPARTMENT_STAFF, department=other)
    access.grant_survey_administrator(stranger, other, actor=cast.users.admin)
    assert not selectors.campaigns_for(stranger).filter(pk=open_campaign.pk).exists()
    assert not selectors.anonymous_responses(stranger, open_campaign).exists()
    assert not selectors.invitations_for(stranger, open_campaign).exists()
    with pytest.raises(PermissionDenied):
        selectors.campaign_progress(open_campaign, user=stranger)


def test_survey_administrator_sees_invitations_with_businesses(cast, answered, open_campaign, surveyor):
    visible = list(selectors.invitations_for(surveyor, open_campaign))
    assert len(visible) == 16
    assert {inv.business.tax_code for inv in visible} >= {b.tax_code for b in answered["at_a"]}


def test_survey_administrator_capability_lapses_outside_department_staff(cast, answered, open_campaign, surveyor):
    surveyor.role = Role.BRANCH_LEADER
    surveyor.branch = cast.branch_a
    surveyor.save()
    assert not selectors.invitations_for(surveyor, open_campaign).exists()
    assert not selectors.anonymous_responses(surveyor, open_campaign).exists()


def test_survey_administrator_is_granted_only_to_department_staff_by_an_administrator(cast):
    with pytest.raises(ValidationError):
        access.grant_survey_administrator(cast.users.leader, cast.department, actor=cast.users.admin)
    with pytest.raises(PermissionDenied):
        access.grant_survey_administrator(cast.users.staff, cast.department, actor=cast.users.staff)
