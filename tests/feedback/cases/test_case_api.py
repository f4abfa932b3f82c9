"""GET /api/v1/cases/ and the workflow POSTs: scope per role (404), permission per step (403), state
(409), the business's public representation, filters and a list whose query count does not grow."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.cases import rules, services
from feedback.models import DissatisfactionCase
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to

LIST_URL = "/api/v1/cases/"
INTERNAL_TEXTS = ("Hồ sơ xử lý chậm 2 ngày.", "Ghi chú nội bộ: đã kỷ luật.", "Nhắc nhở công chức.", "Mạng chậm.")


def url(case, step: str = "") -> str:
    return f"{LIST_URL}{case.pk}/" + (f"{step}/" if step else "")


@pytest.fixture
def as_user(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


@pytest.fixture
def two_cases(case_cast):
    """A case at branch A (X's, OA1 rated 1) taken to "answered", with an explanation; a new one at branch B (Y's)."""
    cast = case_cast
    case_a = complain(cast)
    services.add_officer_explanation(case_a, "Mạng chậm.", cast.users.officer)
    case_a = walk_to(case_a, "answered", cast)
    case_b = complain(cast, cast.dy)
    return case_a, case_b


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_each_role_lists_only_its_cases(case_cast, two_cases, as_user):
    cast = case_cast
    a, b = two_cases
    expected = {
        "leader": {a.pk},
        "other_leader": {b.pk},
        "team_leader": {a.pk},  # assigned to them
        "officer": {a.pk},  # rated 1 in it
        "staff": {a.pk, b.pk},
        "admin": {a.pk, b.pk},
        "business": {a.pk},
        "broker": {a.pk, b.pk},
        "rival": {b.pk},
        "outsider": set(),
        "integration": set(),
    }
    for name, visible in expected.items():
        assert ids(as_user(getattr(cast.users, name)).get(LIST_URL)) == visible, name


def test_team_leader_sees_only_cases_assigned_to_them(case_cast, as_user):
    cast = case_cast
    case = complain(cast)
    assert ids(as_user(cast.users.team_leader).get(LIST_URL)) == set()
    services.assign(case, cast.users.team_leader, cast.users.leader)
    assert ids(as_user(cast.users.team_leader).get(LIST_URL)) == {case.pk}
    services.assign(case, cast.users.leader, cast.users.leader)  # reassigned: out of their sight again
    assert ids(as_user(cast.users.team_leader).get(LIST_URL)) == set()


def test_out_of_scope_is_404_for_reads_and_steps(case_cast, two_cases, as_user):
    cast = case_cast
    a, b = two_cases
    other = as_user(cast.users.other_leader)
    assert other.get(url(a)).status_code == 404
    assert other.post(url(a, "answer"), {"text": "x"}, format="json").status_code == 404
    rival = as_user(cast.users.rival)
    assert rival.get(url(a)).status_code == 404
    assert rival.post(url(a, "accept")).status_code == 404
    assert rival.post(url(a, "dispute"), {"reason": "x"}, format="json").status_code == 404
    assert as_user(cast.users.leader).get(url(b)).status_code == 404


def test_in_scope_but_not_allowed_is_403(case_cast, two_cases, as_user):
    cast = case_cast
    a, _b = two_cases
    officer = as_user(cast.users.officer)
    assert officer.post(url(a, "conclude"), {"conclusion": "not_substantiated"}, format="json").status_code == 403
    business = as_user(cast.users.business)
    assert business.post(url(a, "answer"), {"text": "Tự trả lời"}, format="json").status_code == 403
    leader = as_user(cast.users.leader)
    assert leader.post(url(a, "accept")).status_code == 403
    assert DissatisfactionCase.objects.get(pk=a.pk).status == "answered"


def test_business_sees_public_fields_only(case_cast, two_cases, as_user):
    cast = case_cast
    a, _b = two_cases
    client = as_user(cast.users.business)
    listed = client.get(LIST_URL).json()["results"][0]
    detail = client.get(url(a)).json()

    for body in (listed, detail):
        for field in ("findings", "internal_note", "corrective_action", "explanations", "assigned_to", "escalated_at"):
            assert field not in body
        dumped = json.dumps(body, ensure_ascii=False)
        for text in INTERNAL_TEXTS:
            assert text not in dumped
    assert detail["conclusion"] == "partly" and detail["answer"] == "Chi cục xin lỗi doanh nghiệp."
    assert [event["action"] for event in detail["events"]] == ["opened", "answered"]
    assert detail["allowed_actions"] == ["rate_handling", "accept", "dispute", "message"]
    assert detail["dispute_until"]


def test_business_does_not_see_a_conclusion_before_the_answer(case_cast, as_user):
    cast = case_cast
    case = walk_to(complain(cast), "concluded", cast)
    body = as_user(cast.users.business).get(url(case)).json()
    assert body["status"] == "concluded" and body["conclusion"] is None and body["answer"] is None


def test_officer_sees_the_complaint_and_own_explanation_only(case_cast, two_cases, as_user):
    cast = case_cast
    a, _b = two_cases
    body = as_user(cast.users.officer).get(url(a)).json()
    assert body["my_explanation"] == "Mạng chậm."
    assert "findings" not in body and "internal_note" not in body and "events" not in body
    assert [item["kind"] for item in body["items"]] == ["branch", "officer"]


def test_leaders_see_everything_with_the_trail(case_cast, two_cases, as_user):
    cast = case_cast
    a, _b = two_cases
    body = as_user(cast.users.leader).get(url(a)).json()
    assert body["internal_note"] == "Ghi chú nội bộ: đã kỷ luật."
    assert body["explanations"][0]["text"] == "Mạng chậm."
    assert [e["action"] for e in body["events"]] == [
        "opened",
        "explanation",
        "assigned",
        "findings",
        "concluded",
        "answered",
    ]
    assert body["assigned_to"]["id"] == cast.users.team_leader.pk


def test_workflow_through_the_api(case_cast, as_user):
    cast = case_cast
    case = complain(cast)
    leader = as_user(cast.users.leader)
    response = leader.post(url(case, "assign"), {"verifier": cast.users.team_leader.pk}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "assigned"
    assert leader.post(url(case, "assign"), {"verifier": 999999}, format="json").status_code == 400

    tl = as_user(cast.users.team_leader)
    assert tl.post(url(case, "findings"), {"text": "Đã xác minh."}, format="json").json()["status"] == "verifying"
    officer = as_user(cast.users.officer)
    assert officer.post(url(case, "explanation"), {"text": "Giải trình."}, format="json").status_code == 200

    leader = as_user(cast.users.leader)
    response = leader.post(url(case, "answer"), {"text": "Trả lời"}, format="json")
    assert response.status_code == 409  # not concluded yet
    response = leader.post(url(case, "conclude"), {"conclusion": "substantiated"}, format="json")
    assert response.status_code == 400 and "corrective_action" in response.json()
    response = leader.post(
        url(case, "conclude"), {"conclusion": "substantiated", "corrective_action": "Kỷ luật."}, format="json"
    )
    assert response.json()["status"] == "concluded"
    response = leader.post(url(case, "answer"), {"text": ""}, format="json")
    assert response.status_code == 400 and "answer" in response.json()
    assert leader.post(url(case, "answer"), {"text": "Đã xử lý."}, format="json").json()["status"] == "answered"

    business = as_user(cast.users.business)
    response = business.post(url(case, "accept"))
    assert response.status_code == 200
    assert response.json()["status"] == "closed" and response.json()["closed_how"] == "accepted"


def test_dispute_through_the_api_reopens(case_cast, as_user):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    business = as_user(cast.users.business)
    response = business.post(url(case, "dispute"), {"reason": "Chưa thỏa đáng."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "verifying"
    assert business.post(url(case, "dispute"), {"reason": "Lần hai"}, format="json").status_code == 409


def test_errors_come_in_the_callers_language(case_cast, as_user):
    cast = case_cast
    case = complain(cast)
    cast.users.leader.language = "en"
    body = as_user(cast.users.leader).post(url(case, "findings"), {"text": " "}, format="json").json()
    assert body == {"findings": ["Write the findings."]}


def test_inbox_filters(case_cast, two_cases, as_user):
    cast = case_cast
    a, b = two_cases
    staff = as_user(cast.users.staff)
    assert ids(staff.get(LIST_URL, {"status": "new"})) == {b.pk}
    assert ids(staff.get(LIST_URL, {"status": ["new", "answered"]})) == {a.pk, b.pk}
    assert ids(staff.get(LIST_URL, {"officer": "oa1"})) == {a.pk}
    assert ids(staff.get(LIST_URL, {"officer": "OA2"})) == set()  # OA2 was rated 5
    assert ids(staff.get(LIST_URL, {"team": "HG-TT"})) == {b.pk}
    assert ids(staff.get(LIST_URL, {"overdue": "true"})) == set()
    DissatisfactionCase.objects.filter(pk=b.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=20), due_at=timezone.now() - datetime.timedelta(days=1)
    )
    assert ids(staff.get(LIST_URL, {"overdue": "true"})) == {b.pk}
    assert ids(staff.get(LIST_URL, {"overdue": "false"})) == {a.pk}
    today = timezone.localdate()
    assert ids(staff.get(LIST_URL, {"opened_from": today.isoformat()})) == {a.pk}
    assert ids(staff.get(LIST_URL, {"escalated": "true"})) == set()


def test_due_soon_filter(case_cast, as_user):
    cast = case_cast
    case = complain(cast)
    leader = as_user(cast.users.leader)
    assert ids(leader.get(LIST_URL, {"due_soon": "true"})) == set()  # five working days away
    DissatisfactionCase.objects.filter(pk=case.pk).update(due_at=rules.due_soon_horizon(timezone.now()))
    assert ids(leader.get(LIST_URL, {"due_soon": "true"})) == {case.pk}


def test_staff_inbox_puts_open_escalated_cases_first(case_cast, two_cases, as_user):
    cast = case_cast
    a, b = two_cases
    c = complain(cast, make_declaration("101234567899", cast.business_x, cast.branch_a, cast.team_a1))
    DissatisfactionCase.objects.filter(pk=c.pk).update(escalated_at=timezone.now())
    order = [row["id"] for row in as_user(cast.users.staff).get(LIST_URL).json()["results"]]
    assert order == [c.pk, b.pk, a.pk]  # escalated, then open by due date, then the answered one


def test_list_query_count_does_not_grow(case_cast, as_user, django_assert_max_num_queries):
    cast = case_cast

    def add_cases(start: int, count: int) -> None:
        for i in range(start, start + count):
            declaration = make_declaration(
                f"1099000000{i:02d}",
                cast.business_x,
                cast.branch_a,
                cast.team_a1,
                [(cast.officers.oa1, "reception")],
            )
            case = complain(cast, declaration, cast.users.business)
            services.assign(case, cast.users.team_leader, cast.users.leader)

    add_cases(0, 2)
    counts = {}
    for name in ("staff", "officer", "business"):
        client = as_user(getattr(cast.users, name))
        with CaptureQueriesContext(connection) as small:
            assert client.get(LIST_URL).status_code == 200
        counts[name] = len(small)
    add_cases(2, 8)
    for name, small in counts.items():
        client = as_user(getattr(cast.users, name))
        with django_assert_max_num_queries(small):
            assert len(client.get(LIST_URL).json()["results"]) == 10


def test_cases_are_in_the_openapi_schema(case_cast, as_user):
    schema = as_user(case_cast.users.staff).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/cases/" in paths and "/api/v1/cases/{id}/" in paths
    for step in ("assign", "findings", "explanation", "conclude", "answer", "accept", "dispute"):
        operation = paths[f"/api/v1/cases/{{id}}/{step}/"]["post"]
        assert {"403", "404", "409"} <= set(operation["responses"]), step
    assert "internal_note" not in schema["components"]["schemas"]["BusinessCaseDetail"]["properties"]
