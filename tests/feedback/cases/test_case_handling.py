"""The business rates how its complaint was handled: once per answer, on the five levels; a 1 or 2 sends
the case to the department (within the dispute period it is the dispute). After a dispute the business
sees the new deadline and the next step, on its page and in the API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from directory.models import OutboxMessage
from feedback.cases import rules, services
from feedback.models import CaseEvent, HandlingRating
from tests.feedback.cases.support import complain, walk_to

API = "/api/v1/cases/"


@pytest.fixture
def answered(case_cast):
    return walk_to(complain(case_cast), "answered", case_cast)


@pytest.fixture
def as_api(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


def actions(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("created_at", "id").values_list("action", flat=True))


def test_a_satisfied_rating_is_recorded_and_leaves_the_case_answered(case_cast, answered):
    rating = services.rate_handling(answered, 4, "Trả lời rõ ràng.", case_cast.users.business)
    answered.refresh_from_db()
    assert (rating.level, rating.comment, rating.branch_id) == (4, "Trả lời rõ ràng.", answered.branch_id)
    assert answered.status == "answered" and answered.escalated_at is None
    assert actions(answered)[-1] == "handling_rated"
    assert CaseEvent.objects.get(case=answered, action="handling_rated").details == {"level": 4}
    # The business still accepts (or disputes) the answer; it does not rate twice.
    assert rules.current_answer_rated(answered)
    services.accept(answered, case_cast.users.business)


def test_one_rating_per_answer(case_cast, answered):
    services.rate_handling(answered, 5, "", case_cast.users.business)
    with pytest.raises(services.InvalidTransition, match="already rated"):
        services.rate_handling(answered, 1, "", case_cast.users.broker)
    assert HandlingRating.objects.filter(case=answered).count() == 1


def test_the_database_refuses_a_second_rating_of_one_answer_and_a_level_outside_1_to_5(case_cast, answered):
    first = services.rate_handling(answered, 3, "", case_cast.users.business)
    for level, answer_event in ((4, first.answer_event), (6, CaseEvent.objects.get(case=answered, action="opened"))):
        with pytest.raises(IntegrityError), transaction.atomic():
            HandlingRating.objects.create(
                case=answered,
                branch_id=answered.branch_id,
                answer_event=answer_event,
                level=level,
                rated_by=case_cast.users.business,
            )


def test_a_dissatisfied_rating_within_the_dispute_period_is_the_dispute(case_cast, answered):
    services.rate_handling(answered, 2, "Trả lời chung chung.", case_cast.users.business)
    answered.refresh_from_db()
    assert answered.status == "verifying"
    assert answered.disputed_at is not None and answered.dispute_reason == "Trả lời chung chung."
    assert answered.escalated_at is not None
    assert answered.dispute_due_at == rules.dispute_due_at_for(answered.disputed_at, case_cast.department.pk)
    assert answered.dispute_due_at > answered.disputed_at
    assert actions(answered)[-3:] == ["handling_rated", "disputed", "escalated"]
    assert OutboxMessage.objects.filter(kind="case_escalated", recipient=case_cast.users.staff).exists()
    # The dispute is used: the business cannot dispute again.
    walk_to_second_answer(answered, case_cast)
    assert "dispute" not in services_allowed(answered, case_cast.users.business)


def test_a_dissatisfied_rating_without_a_comment_gives_the_level_as_the_reason(case_cast, answered):
    services.rate_handling(answered, 1, "", case_cast.users.business)
    answered.refresh_from_db()
    assert answered.dispute_reason == "Handling rated 1: Very dissatisfied"


def walk_to_second_answer(case, cast):
    users = cast.users
    services.conclude(case, "substantiated", "Xử lý kỷ luật.", "", users.leader)
    return services.answer(case, "Chi cục trả lời lần hai.", users.leader)


def services_allowed(case, user) -> list[str]:
    from feedback.cases.selectors import allowed_actions, case_detail_for

    return allowed_actions(case_detail_for(user).get(pk=case.pk), user)


def test_after_the_second_answer_the_business_rates_again_and_a_1_escalates_without_reopening(case_cast, answered):
    users = case_cast.users
    services.rate_handling(answered, 3, "", users.business)  # a middling rating, then the dispute itself
    services.dispute(answered, "Chưa thỏa đáng.", users.business)
    walk_to_second_answer(answered, case_cast)
    assert "rate_handling" in services_allowed(answered, users.business)
    OutboxMessage.objects.all().delete()

    services.rate_handling(answered, 1, "Vẫn chưa thỏa đáng.", users.business)
    answered.refresh_from_db()
    assert answered.status == "answered"  # the one dispute is used; the department reviews it
    assert HandlingRating.objects.filter(case=answered).count() == 2
    assert CaseEvent.objects.filter(case=answered, action="escalated").last().details == {"why": "handling"}
    assert set(OutboxMessage.objects.filter(kind="case_escalated").values_list("recipient__username", flat=True)) == {
        "staff"
    }
    assert rules.business_next_step(answered)[0] == rules.NEXT_DEPARTMENT_REVIEWS
    assert "rate_handling" not in services_allowed(answered, users.business)


@pytest.mark.parametrize("level", [0, 6, "4", None, True, 2.5])
def test_a_level_outside_the_scale_is_refused_on_the_level_field(case_cast, answered, level):
    with pytest.raises(ValidationError) as error:
        services.rate_handling(answered, level, "", case_cast.users.business)
    assert "level" in error.value.message_dict
    assert not HandlingRating.objects.exists()


@pytest.mark.parametrize("username", ["leader", "staff", "officer", "rival"])
def test_only_the_business_rates_the_handling(case_cast, answered, username):
    with pytest.raises(PermissionDenied):
        services.rate_handling(answered, 5, "", getattr(case_cast.users, username))


@pytest.mark.parametrize("status", ["verifying", "concluded", "closed"])
def test_the_handling_is_rated_only_while_an_answer_stands(case_cast, status):
    case = walk_to(complain(case_cast), status, case_cast)
    with pytest.raises(services.InvalidTransition):
        services.rate_handling(case, 5, "", case_cast.users.business)


# --- what the business sees next ---------------------------------------------------------------------


def test_api_rate_handling_then_the_next_step_and_new_deadline(case_cast, answered, as_api):
    client = as_api(case_cast.users.business)
    before = client.get(f"{API}{answered.pk}/").json()
    assert before["next_step"] == "your_decision" and before["next_due_at"]

    response = client.post(f"{API}{answered.pk}/rate-handling/", {"level": 2, "comment": "Chậm."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    answered.refresh_from_db()
    assert body["status"] == "verifying" and body["next_step"] == "department_reviews"
    assert body["next_due_at"].startswith(answered.dispute_due_at.astimezone(datetime.UTC).date().isoformat()[:7])
    assert "department" in body["next_step_text"]
    assert [row["level"] for row in body["handling_ratings"]] == [2]
    assert "escalated_at" not in body  # the business's representation still has no internal flags


@pytest.mark.parametrize(("payload", "status"), [({"level": "abc"}, 400), ({"level": 9}, 400), ({}, 400)])
def test_api_bad_level_is_a_400_naming_level(case_cast, answered, as_api, payload, status):
    response = as_api(case_cast.users.business).post(f"{API}{answered.pk}/rate-handling/", payload, format="json")
    assert response.status_code == status and "level" in response.json()


def test_api_second_rating_is_409_and_other_business_404(case_cast, answered, as_api):
    client = as_api(case_cast.users.business)
    assert client.post(f"{API}{answered.pk}/rate-handling/", {"level": 5}, format="json").status_code == 200
    assert client.post(f"{API}{answered.pk}/rate-handling/", {"level": 5}, format="json").status_code == 409
    rival = as_api(case_cast.users.rival)
    assert rival.post(f"{API}{answered.pk}/rate-handling/", {"level": 1}, format="json").status_code == 404


def test_after_a_dispute_the_business_page_shows_the_new_deadline_and_the_next_step(case_cast, answered, client):
    services.dispute(answered, "Chưa thỏa đáng.", case_cast.users.business)
    answered.refresh_from_db()
    client.force_login(case_cast.users.business)
    page = client.get(f"/cases/{answered.pk}/").content.decode()
    new_date = answered.dispute_due_at.astimezone(datetime.timezone(datetime.timedelta(hours=7))).strftime("%d/%m/%Y")
    assert "next-step-department_reviews" in page
    assert "sent to the department" in page and new_date in page


def test_the_business_page_rates_the_handling_and_shows_it_sent_to_the_department(case_cast, answered, client):
    client.force_login(case_cast.users.business)
    page = client.get(f"/cases/{answered.pk}/").content.decode()
    assert "step-rate_handling" in page
    response = client.post(f"/cases/{answered.pk}/rate_handling/", {"level": "1", "comment": "Không hài lòng."})
    assert response.status_code == 302
    page = client.get(f"/cases/{answered.pk}/").content.decode()
    assert "sent to the department" in page and "step-rate_handling" not in page
    assert "1 · Very dissatisfied" in page


def test_the_page_without_a_level_says_so_by_the_field(case_cast, answered, client):
    client.force_login(case_cast.users.business)
    response = client.post(f"/cases/{answered.pk}/rate_handling/", {"level": "", "comment": ""})
    assert response.status_code == 400
    assert "Choose a level" in response.content.decode()
    assert not HandlingRating.objects.exists()


def test_a_rating_of_the_handling_is_append_only_down_to_the_database(case_cast, answered):
    rating = services.rate_handling(answered, 4, "", case_cast.users.business)
    with pytest.raises(ValidationError):
        HandlingRating.objects.filter(pk=rating.pk).update(level=1)
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE feedback_handlingrating SET level = 1 WHERE id = %s", [rating.pk])


def test_a_disputed_case_is_overdue_only_after_its_new_due_date(case_cast, answered):
    from feedback.models import DissatisfactionCase

    services.dispute(answered, "Chưa thỏa đáng.", case_cast.users.business)
    answered.refresh_from_db()
    before_new_date = answered.dispute_due_at - datetime.timedelta(hours=1)
    after_new_date = answered.dispute_due_at + datetime.timedelta(hours=1)
    # Past the first due date but not the new one: not overdue, in the queryset and for the case alike.
    DissatisfactionCase.objects.filter(pk=answered.pk).update(due_at=answered.opened_at + datetime.timedelta(hours=1))
    answered.refresh_from_db()
    assert not rules.is_overdue(answered, before_new_date)
    assert not DissatisfactionCase.objects.overdue(before_new_date).filter(pk=answered.pk).exists()
    assert rules.is_overdue(answered, after_new_date)
    assert DissatisfactionCase.objects.overdue(after_new_date).filter(pk=answered.pk).exists()
    # Its reminder comes again before the new date.
    assert answered.reminded_at is None
    assert DissatisfactionCase.objects.due_soon(before_new_date).filter(pk=answered.pk).exists()


def test_after_the_second_answer_the_next_step_offers_no_second_dispute(case_cast, answered, as_api):
    services.dispute(answered, "Chưa thỏa đáng.", case_cast.users.business)
    walk_to_second_answer(answered, case_cast)
    body = as_api(case_cast.users.business).get(f"{API}{answered.pk}/").json()
    assert body["next_step"] == "your_decision" and body["next_due_at"]
    assert "new answer" in body["next_step_text"] and "dispute" not in body["next_step_text"]
    assert "dispute" not in body["allowed_actions"] and "rate_handling" in body["allowed_actions"]


def test_the_inboxes_and_the_declaration_page_show_the_new_due_date_after_a_dispute(case_cast, answered, client):
    # Disputed three days after the answer: the new due date falls after the first one.
    later = answered.answered_at + datetime.timedelta(days=3)
    services.dispute(answered, "Chưa thỏa đáng.", case_cast.users.business, now=later)
    answered.refresh_from_db()
    assert rules.local_date(answered.dispute_due_at) > rules.local_date(answered.due_at)
    new_date = answered.dispute_due_at.astimezone(datetime.timezone(datetime.timedelta(hours=7))).strftime("%d/%m/%Y")
    for user in (case_cast.users.leader, case_cast.users.business):
        client.force_login(user)
        assert new_date in client.get("/cases/").content.decode()
    client.force_login(case_cast.users.business)
    assert new_date in client.get(f"/declarations/{case_cast.dx.number}/").content.decode()
