"""The charter's written-reply commitment measured on the businesses' inquiries (charter.replies)."""

import datetime

import pytest

from charter import selectors
from charter.choices import Level
from charter.periods import CharterPeriod
from core import clock
from core.working_time import LOCAL_TZ
from directory.choices import CharterCode
from inquiries import services
from inquiries.choices import InquiryTopic
from inquiries.models import InquiryExchange

from ..inquiries.support import ask
from .test_compliance import figures_of

URL = "/api/v1/charter/compliance/"
EVALUATED = datetime.datetime(2026, 4, 1, 9, 0, tzinfo=LOCAL_TZ)


def local(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=LOCAL_TZ)


def answer_at(cast, inquiry, moment, officer=None):
    with clock.at(moment):
        services.assign_inquiry(inquiry, officer or cast.users.officer, cast.users.leader)
        return services.answer_inquiry(inquiry, "Doanh nghiệp nộp tờ khai và hợp đồng.", officer or cast.users.officer)


@pytest.fixture
def replies(cast):
    """Branch A: one answered on time, one answered late, one unanswered past its deadline, one still in its
    time; branch B (the rival's declaration): one on time; the department: one policy question on time."""
    with clock.at(local(2026, 3, 5, 10, 0)):  # Thursday: due Thursday 12 March
        on_time, late, forgotten = ask(cast), ask(cast), ask(cast)
        rival = ask(cast, user=cast.users.rival, declaration=cast.dy.number)
        policy = ask(cast, declaration=None, topic=InquiryTopic.POLICY)
    with clock.at(local(2026, 3, 30, 10, 0)):
        pending = ask(cast)
    answer_at(cast, on_time, local(2026, 3, 9, 15, 0))
    answer_at(cast, late, local(2026, 3, 20, 15, 0))
    with clock.at(local(2026, 3, 10, 9, 0)):
        services.answer_inquiry(rival, "Trả lời.", cast.users.staff)
        services.answer_inquiry(policy, "Trả lời chính sách.", cast.users.staff)
    return {"on_time": on_time, "late": late, "forgotten": forgotten, "pending": pending}


def days_of(inquiry) -> int:
    return InquiryExchange.objects.get(inquiry=inquiry).answer_working_days


def test_a_branch_counts_answered_and_overdue_replies_and_not_those_still_in_time(cast, replies):
    with clock.at(EVALUATED):
        branch = figures_of(Level.BRANCH, cast.branch_a, cast)[CharterCode.INQUIRY_REPLY]
    assert (branch.measured, branch.within, branch.unanswered_late) == (3, 1, 1)
    assert days_of(replies["on_time"]) < 5 < days_of(replies["late"])
    # Nearest rank over (on time, late, unanswered): the 2nd of 3 is the late answer; the 90th lies beyond it.
    assert branch.median_days == days_of(replies["late"])
    assert branch.p90_days is None


def test_the_department_counts_its_branches_and_its_own_policy_questions(cast, replies):
    with clock.at(EVALUATED):
        department = figures_of(Level.DEPARTMENT, cast.department, cast)[CharterCode.INQUIRY_REPLY]
        other_branch = figures_of(Level.BRANCH, cast.branch_b, cast)[CharterCode.INQUIRY_REPLY]
    assert (department.measured, department.within) == (5, 3)
    assert (other_branch.measured, other_branch.within) == (1, 1)


def test_a_reply_counts_in_the_month_it_was_asked(cast, replies):
    with clock.at(EVALUATED):
        february = selectors.unit_figures(
            Level.BRANCH, [cast.branch_a], cast.department.pk, CharterPeriod.parse("2026-02")
        )
        march = selectors.unit_figures(
            Level.BRANCH, [cast.branch_a], cast.department.pk, CharterPeriod.parse("2026-03")
        )
    reply = {f.code: f for f in february[cast.branch_a.pk]}[CharterCode.INQUIRY_REPLY]
    assert reply.measured == 0
    assert {f.code: f for f in march[cast.branch_a.pk]}[CharterCode.INQUIRY_REPLY].measured == 3


def test_the_api_reports_the_reply_commitment_in_working_days(cast, replies, api_client):
    api_client.force_authenticate(cast.users.staff)
    with clock.at(EVALUATED):
        body = api_client.get(URL, {"period": "2026"}).json()
    reply = next(c for c in body["unit"]["commitments"] if c["code"] == CharterCode.INQUIRY_REPLY)
    assert (reply["status"], reply["measured"], reply["within"], reply["unanswered_late"]) == ("measured", 5, 3, 1)
    assert reply["share_within"] == pytest.approx(0.6)
    assert reply["median_minutes"] is None and reply["median_working_days"] is not None


def test_the_public_page_shows_the_department_reply_commitment(cast, replies, client):
    with clock.at(EVALUATED):
        page = client.get("/charter/", {"year": "2026"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page.split(f'data-commitment="{CharterCode.INQUIRY_REPLY}"')[1].split("</tr>")[0]
    assert "60.0" in row and "working day" in row
