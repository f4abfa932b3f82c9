"""Dialogue conferences: recorded by department staff, problems raised (an existing inquiry or a new one),
their resolution, and the yearly summary as the articles count it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from directory.models import AuditEvent
from inquiries import conferences
from inquiries.choices import ConferenceFormat, ConferenceLevel, InquiryChannel
from inquiries.models import DialogueConference, Inquiry

from .support import ask

pytestmark = pytest.mark.django_db


def record(cast, *, level=ConferenceLevel.BRANCH, format=ConferenceFormat.CONFERENCE, held_on=None, branch="a"):
    return conferences.record_conference(
        cast.users.staff,
        department=cast.department,
        level=level,
        format=format,
        held_on=held_on or datetime.date(2022, 6, 10),
        title="Hội nghị đối thoại doanh nghiệp",
        branch={"a": cast.branch_a, "b": cast.branch_b, None: None}[branch],
        businesses=[cast.business_x, cast.business_y],
    )


def test_a_problem_raised_becomes_an_inquiry_of_the_conference_unit(cast):
    conference = record(cast)
    problem = conferences.raise_problem(
        conference,
        cast.users.staff,
        business=cast.business_x,
        subject="Kiểm tra chuyên ngành chậm",
        question="Thời gian kiểm tra chuyên ngành kéo dài.",
        topic="inspection",
    )
    inquiry = problem.inquiry
    assert inquiry.channel == InquiryChannel.CONFERENCE and inquiry.branch == cast.branch_a
    assert inquiry.business == cast.business_x and inquiry.exchanges.count() == 1
    assert list(inquiry.events.values_list("action", flat=True)) == ["asked", "conference"]


def test_an_existing_inquiry_can_be_linked_once(cast):
    conference = record(cast)
    inquiry = ask(cast)
    conferences.raise_problem(conference, cast.users.staff, inquiry=inquiry)
    with pytest.raises(ValidationError) as error:
        conferences.raise_problem(conference, cast.users.staff, inquiry=inquiry)
    assert list(error.value.message_dict) == ["inquiry"]


def test_a_problem_needs_a_business_present_and_its_texts(cast):
    conference = conferences.record_conference(
        cast.users.staff,
        department=cast.department,
        level=ConferenceLevel.DEPARTMENT,
        format=ConferenceFormat.SYMPOSIUM,
        held_on=datetime.date(2022, 3, 1),
        title="Hội thảo",
        businesses=[cast.business_y],
    )
    with pytest.raises(ValidationError) as error:
        conferences.raise_problem(conference, cast.users.staff, business=cast.business_x, subject="", topic="x")
    assert set(error.value.message_dict) == {"business", "subject", "question", "topic"}
    assert not Inquiry.objects.exists()


def test_level_and_branch_must_agree(cast):
    with pytest.raises(ValidationError) as error:
        record(cast, level=ConferenceLevel.BRANCH, branch=None)
    assert list(error.value.message_dict) == ["branch"]
    with pytest.raises(ValidationError):
        record(cast, level=ConferenceLevel.DEPARTMENT, branch="a")


@pytest.mark.parametrize("who", ["leader", "business", "officer", "integration"])
def test_only_department_staff_record(cast, who):
    with pytest.raises(PermissionDenied):
        conferences.record_conference(
            getattr(cast.users, who),
            department=cast.department,
            level=ConferenceLevel.DEPARTMENT,
            format=ConferenceFormat.CONFERENCE,
            held_on=datetime.date(2022, 1, 5),
            title="x",
        )


def test_the_yearly_summary_counts_as_the_articles(cast, django_assert_max_num_queries):
    for _ in range(2):
        record(cast, level=ConferenceLevel.DEPARTMENT, format=ConferenceFormat.SYMPOSIUM, branch=None)
    for branch in ("a", "a", "b"):
        record(cast, branch=branch)
    delegation = record(cast, level=ConferenceLevel.DEPARTMENT, format=ConferenceFormat.DELEGATION, branch=None)
    record(cast, held_on=datetime.date(2023, 1, 10))  # another year
    solved = conferences.raise_problem(delegation, cast.users.staff, inquiry=ask(cast))
    conferences.raise_problem(delegation, cast.users.staff, inquiry=ask(cast, subject="Khác"))
    conferences.resolve_problem(solved, "Đã hướng dẫn áp mã.", cast.users.staff)
    with django_assert_max_num_queries(2):
        summary = conferences.yearly_summary(DialogueConference.objects.for_user(cast.users.staff), 2022)
    assert summary == {
        "year": 2022,
        "conferences": 6,
        "symposiums": 2,
        "delegations": 1,
        "department_conferences": 0,
        "branch_conferences": 3,
        "problems_raised": 2,
        "problems_solved": 1,
    }


def test_conference_pages_are_scoped(cast, client):
    conference_a = record(cast)
    client.force_login(cast.users.other_leader)
    assert client.get(f"/conferences/{conference_a.pk}/").status_code == 404
    client.force_login(cast.users.leader)
    assert client.get(f"/conferences/{conference_a.pk}/").status_code == 200
    client.force_login(cast.users.business)
    assert client.get("/conferences/").status_code == 403
    client.force_login(cast.users.staff)
    page = client.get("/conferences/?year=2022")
    assert page.status_code == 200 and page.context["summary"]["branch_conferences"] == 1
    assert client.get("/conferences/?year=abc").status_code == 400


def test_staff_record_a_conference_and_a_problem_through_the_pages(cast, client):
    client.force_login(cast.users.staff)
    response = client.post(
        "/conferences/new/",
        {
            "title": "Đối thoại Móng Cái",
            "held_on": "2022-05-20",
            "level": "branch",
            "format": "conference",
            "branch": cast.branch_a.pk,
            "businesses": [cast.business_x.pk],
        },
    )
    assert response.status_code == 302
    conference = DialogueConference.objects.get()
    response = client.post(
        f"/conferences/{conference.pk}/problems/",
        {"business": cast.business_x.pk, "topic": "tax", "subject": "Hoàn thuế", "question": "Hoàn thuế chậm."},
    )
    assert response.status_code == 302
    problem = conference.problems.get()
    response = client.post(
        f"/conferences/{conference.pk}/problems/{problem.pk}/resolve/", {f"p{problem.pk}-resolution": "Đã hoàn."}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.solved_at is not None
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "conference.recorded",
        "conference_problem.resolved",
    }
