"""The case pages: the inbox (/cases/) and one case (/cases/<id>/) for each role, with the workflow forms."""

import datetime

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.cases import jobs, services
from feedback.models import DepartmentCasePolicy, DissatisfactionCase
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to

FINDINGS = "Hồ sơ xử lý chậm 2 ngày."
INTERNAL_NOTE = "Ghi chú nội bộ: đã kỷ luật."
CORRECTIVE = "Nhắc nhở công chức."
ANSWER = "Chi cục xin lỗi doanh nghiệp."
EXPLANATION = "Hệ thống VNACCS gián đoạn trong buổi sáng."


def page(response):
    return lxml.html.fromstring(response.content.decode())


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def step_forms(response) -> set[str]:
    return {
        form.get("class").split("step-")[-1] for form in page(response).xpath("//form[contains(@class,'step-form')]")
    }


def url(case, action="") -> str:
    return f"/cases/{case.pk}/{action + '/' if action else ''}"


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def case(case_cast):
    return complain(case_cast)


def make_overdue(case, days: int = 3) -> None:
    opened = timezone.now() - datetime.timedelta(days=days + 10)
    DissatisfactionCase.objects.filter(pk=case.pk).update(
        opened_at=opened, due_at=timezone.now() - datetime.timedelta(days=days)
    )


# --- the inbox -----------------------------------------------------------------------------------------


def test_leader_inbox_lists_the_case_with_its_badge_levels_and_counts(case_cast, case, as_user):
    response = as_user(case_cast.users.leader).get("/cases/")

    assert response.status_code == 200
    rows = page(response).xpath("//tr[contains(@class,'case-row')]")
    assert len(rows) == 1
    row = text_of(rows[0])
    assert case_cast.dx.number in row and "Chi cục Hải quan Móng Cái" in row
    assert "New" in row
    assert "Due in 5 working days" in row  # opened today: the department's five working days
    assert "Nguyễn Văn An" in row  # OA1 rated 1
    assert "Customs branch" in row  # the branch rated 2
    counts = text_of(page(response).xpath("//ul[contains(@class,'case-counts')]")[0])
    assert "1 New" in counts and "0 In progress" in counts and "0 Overdue" in counts


def test_overdue_case_shows_by_how_many_days_and_the_overdue_filter_finds_it(case_cast, case, as_user):
    other = complain(case_cast, make_declaration("101234567899", case_cast.business_x, case_cast.branch_a, None))
    make_overdue(case, days=3)
    client = as_user(case_cast.users.leader)

    response = client.get("/cases/")
    assert "Overdue by 3 days" in text_of(page(response).xpath(f"//tr[.//a[@href='/cases/{case.pk}/']]")[0])
    assert "1 Overdue" in text_of(page(response).xpath("//ul[contains(@class,'case-counts')]")[0])

    overdue = client.get("/cases/?overdue=true")
    assert [a.get("href") for a in page(overdue).xpath("//tr//a")] == [f"/cases/{case.pk}/"]
    not_overdue = client.get("/cases/?overdue=false")
    assert [a.get("href") for a in page(not_overdue).xpath("//tr//a")] == [f"/cases/{other.pk}/"]


def test_status_filter_and_sort_by_due_date(case_cast, case, as_user):
    second = complain(case_cast, make_declaration("101234567899", case_cast.business_x, case_cast.branch_a, None))
    walk_to(second, "assigned", case_cast)
    DissatisfactionCase.objects.filter(pk=second.pk).update(due_at=case.due_at + datetime.timedelta(days=1))
    client = as_user(case_cast.users.leader)

    assigned = client.get("/cases/?status=assigned")
    assert [a.get("href") for a in page(assigned).xpath("//tr//a")] == [f"/cases/{second.pk}/"]
    latest_first = client.get("/cases/?ordering=-due_at")
    assert [a.get("href") for a in page(latest_first).xpath("//tr//a")] == [
        f"/cases/{second.pk}/",
        f"/cases/{case.pk}/",
    ]
    earliest_first = client.get("/cases/?ordering=due_at")
    assert [a.get("href") for a in page(earliest_first).xpath("//tr//a")] == [
        f"/cases/{case.pk}/",
        f"/cases/{second.pk}/",
    ]


def test_officer_filter_finds_the_cases_naming_that_officer(case_cast, case, as_user):
    client = as_user(case_cast.users.leader)

    assert len(page(client.get("/cases/?officer=oa1")).xpath("//tr[contains(@class,'case-row')]")) == 1
    assert len(page(client.get("/cases/?officer=OA2")).xpath("//tr[contains(@class,'case-row')]")) == 0


def test_other_branch_leader_and_rival_business_see_an_empty_inbox(case_cast, case, as_user):
    for user in (case_cast.users.other_leader, case_cast.users.rival, case_cast.users.outsider):
        response = as_user(user).get("/cases/")
        assert response.status_code == 200
        assert not page(response).xpath("//tr[contains(@class,'case-row')]")


def test_department_staff_see_escalated_cases_first(case_cast, case, as_user):
    later = complain(case_cast, make_declaration("101234567899", case_cast.business_x, case_cast.branch_a, None))
    make_overdue(later, days=1)
    DissatisfactionCase.objects.filter(pk=case.pk).update(due_at=later.due_at - datetime.timedelta(hours=1))
    DissatisfactionCase.objects.filter(pk=case.pk).update(opened_at=later.due_at - datetime.timedelta(days=5))
    jobs.escalate_overdue()  # both overdue now; make only `later` escalated
    DissatisfactionCase.objects.filter(pk=case.pk).update(escalated_at=None)

    staff = case_cast.users.staff
    staff.language = "en"  # the cast's staff reads Vietnamese
    staff.save(update_fields=["language"])
    response = as_user(staff).get("/cases/")

    hrefs = [a.get("href") for a in page(response).xpath("//tr//a")]
    assert hrefs == [f"/cases/{later.pk}/", f"/cases/{case.pk}/"]
    assert "Escalated" in text_of(page(response).xpath("//tr[contains(@class,'case-row')]")[0])


def test_business_inbox_shows_its_case_without_escalation(case_cast, case, as_user):
    make_overdue(case)
    jobs.escalate_overdue()

    response = as_user(case_cast.users.business).get("/cases/")

    row = text_of(page(response).xpath("//tr[contains(@class,'case-row')]")[0])
    assert case_cast.dx.number in row
    assert "Escalated" not in response.content.decode()
    assert not page(response).xpath("//ul[contains(@class,'case-counts')]")
    # A business is offered the status filter only.
    assert page(response).xpath("//select[@name='status']") and not page(response).xpath("//input[@name='officer']")


def inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cases/").status_code == 200
    return len(queries)


def test_inbox_query_count_does_not_grow_with_the_cases(case_cast, as_user):
    def add_cases(first: int, count: int) -> None:
        for n in range(first, first + count):
            declaration = make_declaration(
                f"1012345{n:05d}",
                case_cast.business_x,
                case_cast.branch_a,
                case_cast.team_a1,
                [(case_cast.officers.oa1, "reception")],
            )
            complain(case_cast, declaration)

    client = as_user(case_cast.users.leader)
    add_cases(0, 5)
    few = inbox_queries(client)
    add_cases(5, 25)
    many = inbox_queries(client)

    assert few == many


# --- one case: the leader's workflow -------------------------------------------------------------------


def test_leader_works_a_case_through_the_pages(case_cast, case, as_user):
    users = case_cast.users
    client = as_user(users.leader)

    response = client.get(url(case))
    assert response.status_code == 200
    assert step_forms(response) == {"assign", "findings", "message", "note"}
    options = page(response).xpath("//select[@name='verifier']/option/@value")
    assert str(users.team_leader.pk) in options and str(users.officer.pk) not in options

    response = client.post(url(case, "assign"), {"verifier": users.team_leader.pk})
    assert response.status_code == 302 and response["Location"] == url(case)
    response = client.post(url(case, "findings"), {"findings": FINDINGS})
    assert response.status_code == 302
    assert step_forms(client.get(url(case))) == {"assign", "findings", "conclude", "message", "note"}
    response = client.post(
        url(case, "conclude"),
        {"conclusion": "partly", "corrective_action": CORRECTIVE, "internal_note": INTERNAL_NOTE},
    )
    assert response.status_code == 302
    response = client.post(url(case, "answer"), {"answer": ANSWER})
    assert response.status_code == 302

    case.refresh_from_db()
    assert case.status == "answered" and case.answer == ANSWER and case.assigned_to == users.team_leader
    html = client.get(url(case)).content.decode()
    for text in (FINDINGS, INTERNAL_NOTE, CORRECTIVE, ANSWER, "Partly substantiated"):
        assert text in html
    events = page(client.get(url(case))).xpath("//ol[@class='timeline']/li")
    actions = [text_of(event.xpath(".//strong[@class='event-action']")[0]) for event in events]
    assert actions == ["Opened", "Assigned", "Findings recorded", "Concluded", "Answered"]
    assert "Branch leader" in text_of(events[1])


def test_service_messages_appear_next_to_the_field(case_cast, case, as_user):
    walk_to(case, "verifying", case_cast)
    client = as_user(case_cast.users.leader)

    response = client.post(url(case, "conclude"), {"conclusion": "substantiated", "corrective_action": ""})

    assert response.status_code == 400
    group = page(response).xpath("//form[contains(@class,'step-conclude')]//div[contains(@class,'has-error')]")
    assert group and "Say what is done about a substantiated complaint." in text_of(group[0])
    assert 'aria-invalid="true"' in lxml.html.tostring(group[0]).decode()
    response = client.post(url(case, "conclude"), {"conclusion": ""})
    assert "Choose the conclusion." in response.content.decode()
    case.refresh_from_db()
    assert case.status == "verifying"


def test_answer_is_required(case_cast, case, as_user):
    walk_to(case, "concluded", case_cast)

    response = as_user(case_cast.users.leader).post(url(case, "answer"), {"answer": "   "})

    assert response.status_code == 400
    assert "Write the answer to the business." in text_of(
        page(response).xpath("//form[contains(@class,'step-answer')]")[0]
    )


def test_a_step_the_case_has_passed_is_refused_with_its_message(case_cast, case, as_user):
    walk_to(case, "answered", case_cast)

    response = as_user(case_cast.users.leader).post(url(case, "findings"), {"findings": "late"})

    assert response.status_code == 409
    assert "Findings can be recorded only before the case is concluded." in response.content.decode()


def test_unknown_step_is_404(case_cast, case, as_user):
    assert as_user(case_cast.users.leader).post(url(case, "delete"), {}).status_code == 404


def test_team_leader_verifies_but_cannot_conclude(case_cast, case, as_user):
    walk_to(case, "assigned", case_cast)
    client = as_user(case_cast.users.team_leader)

    # The verifier also talks with the business and writes internal notes.
    assert step_forms(client.get(url(case))) == {"findings", "message", "note"}
    assert client.post(url(case, "findings"), {"findings": FINDINGS}).status_code == 302
    response = client.post(url(case, "conclude"), {"conclusion": "not_substantiated"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "verifying"


# --- one case: negative cases per role -------------------------------------------------------------------


def test_leader_of_another_branch_and_rival_business_get_404(case_cast, case, as_user):
    for user in (case_cast.users.other_leader, case_cast.users.rival, case_cast.users.outsider):
        client = as_user(user)
        assert client.get(url(case)).status_code == 404
        assert client.post(url(case, "answer"), {"answer": "x"}).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(case):
    from django.test import Client

    response = Client().get(url(case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_rated_officer_explains_but_never_sees_the_conclude_form_and_cannot_conclude(case_cast, case, as_user):
    walk_to(case, "verifying", case_cast)
    client = as_user(case_cast.users.officer)

    response = client.get(url(case))
    assert response.status_code == 200
    assert step_forms(response) == {"explanation"}
    assert FINDINGS not in response.content.decode()

    refused = client.post(url(case, "conclude"), {"conclusion": "not_substantiated", "internal_note": "x"})
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.status == "verifying" and case.internal_note == ""

    assert client.post(url(case, "explanation"), {"explanation": EXPLANATION}).status_code == 302
    after = client.get(url(case))
    assert EXPLANATION in after.content.decode() and step_forms(after) == set()
    # The leader reads it.
    assert EXPLANATION in as_user(case_cast.users.leader).get(url(case)).content.decode()


def test_business_sees_status_conclusion_and_answer_never_the_internal_parts(case_cast, case, as_user):
    users = case_cast.users
    walk_to(case, "verifying", case_cast)
    services.add_officer_explanation(case, EXPLANATION, users.officer)
    services.conclude(case, "partly", CORRECTIVE, INTERNAL_NOTE, users.leader)
    services.answer(case, ANSWER, users.leader)
    client = as_user(users.business)

    response = client.get(url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert ANSWER in html and "Partly substantiated" in html and "Answered" in html
    for secret in (INTERNAL_NOTE, FINDINGS, EXPLANATION, CORRECTIVE, users.team_leader.username, "Escalated"):
        assert secret not in html
    assert step_forms(response) == {"rate_handling", "accept", "dispute", "message"}
    events = [text_of(e) for e in page(response).xpath("//ol[@class='timeline']/li//strong")]
    assert events == ["Opened", "Answered"]


def test_business_accepts_and_the_case_closes(case_cast, case, as_user):
    walk_to(case, "answered", case_cast)
    client = as_user(case_cast.users.business)

    assert client.post(url(case, "accept"), {}).status_code == 302

    response = client.get(url(case))
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_how == "accepted"
    assert "Closed" in text_of(page(response).xpath("//dl[contains(@class,'case-summary')]")[0])
    assert step_forms(response) == set()


def test_business_disputes_once_with_a_reason(case_cast, case, as_user):
    walk_to(case, "answered", case_cast)
    client = as_user(case_cast.users.business)

    empty = client.post(url(case, "dispute"), {"reason": ""})
    assert empty.status_code == 400 and "Say why you dispute the answer." in empty.content.decode()
    assert client.post(url(case, "dispute"), {"reason": "Chưa thỏa đáng."}).status_code == 302

    case.refresh_from_db()
    assert case.status == "verifying" and case.escalated_at is not None
    response = client.get(url(case))
    # While the department reviews, the business can still write; nothing else is its to do.
    assert "Chưa thỏa đáng." in response.content.decode() and step_forms(response) == {"message"}
    assert "Escalated" not in response.content.decode()


def test_business_cannot_take_the_leaders_steps(case_cast, case, as_user):
    client = as_user(case_cast.users.business)

    assert client.post(url(case, "assign"), {"verifier": case_cast.users.team_leader.pk}).status_code == 403
    assert client.post(url(case, "findings"), {"findings": "x"}).status_code in (400, 403)
    case.refresh_from_db()
    assert case.status == "new"


# --- the declaration page links to the case -----------------------------------------------------------------


def test_declaration_page_links_to_the_case_and_tells_the_department_deadline(case_cast, case, as_user):
    DepartmentCasePolicy.objects.create(department=case_cast.department, due_working_days=3)

    response = as_user(case_cast.users.business).get(f"/declarations/{case_cast.dx.number}/")

    html = response.content.decode()
    assert "within 3 working days" in html
    assert page(response).xpath(f"//p[@class='case-link']/a[@href='/cases/{case.pk}/']")


def test_rated_officers_case_page_shows_no_more_than_their_api_view(case_cast, case, as_user, api_client, token_for):
    """The API hides the complaining business from the rated officer; the page hides it too."""
    officer = case_cast.users.officer
    api_client.credentials(HTTP_AUTHORIZATION=token_for(officer))
    api_view = api_client.get(f"/api/v1/cases/{case.pk}/").json()
    assert "business" not in api_view

    html = as_user(officer).get(url(case)).content.decode()

    business = case.rating.declaration.business
    for hidden in (business.name, business.tax_code, case.rating.declaration.type_code):
        assert hidden not in html
    facts = page(as_user(officer).get(url(case))).xpath("//section[@aria-labelledby='declaration-heading']//dt")
    assert len(facts) == 2  # the number and the branch
    assert api_view["declaration"] in html and api_view["branch"]["name"] in html
    # Leaders still see the business.
    assert business.name in as_user(case_cast.users.leader).get(url(case)).content.decode()


@pytest.mark.parametrize("who", ["leader", "staff", "officer", "business"])
def test_inbox_leaves_the_long_texts_out(case_cast, case, as_user, who):
    with CaptureQueriesContext(connection) as queries:
        response = as_user(getattr(case_cast.users, who)).get("/cases/")
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [case.pk]
    listing = [q["sql"] for q in queries.captured_queries if 'FROM "feedback_dissatisfactioncase"' in q["sql"]]
    # The sort reads the ids alone; then the page's rows are read, without the long texts.
    (sorted_ids,) = [sql for sql in listing if "ORDER BY" in sql and "LIMIT" in sql]
    assert sorted_ids.startswith('SELECT "feedback_dissatisfactioncase"."id" AS "pk" FROM')
    (page_rows,) = [sql for sql in listing if '"feedback_dissatisfactioncase"."items"' in sql]
    for column in ("findings", "answer", "internal_note", "corrective_action", "dispute_reason", "comment"):
        assert f'."{column}"' not in page_rows, column
    # by primary key alone: the ids come from the scoped query, whose joins are not repeated
    assert "businessmembership" not in page_rows and "ratingofficer" not in page_rows and "ORDER BY" not in page_rows


def test_officer_cases_start_from_their_own_rating_rows(case_cast, case, as_user):
    with CaptureQueriesContext(connection) as queries:
        response = as_user(case_cast.users.officer).get("/cases/")
    assert [c.pk for c in response.context["cases"]] == [case.pk]
    listing = [
        q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "dissatisfactioncase" in q["sql"]
    ]
    # IN (SELECT ...) on SQLite; = ANY(ARRAY(SELECT ...)) on PostgreSQL (core.subqueries: probed, not merged)
    assert listing and all(
        '(SELECT U0."rating_id" AS "rating_id" FROM "feedback_ratingofficer" U0' in sql for sql in listing
    )
    if connection.vendor == "postgresql":
        assert all("= ANY(ARRAY(SELECT" in sql for sql in listing)
    assert not any("EXISTS" in sql for sql in listing)
