"""Dissatisfaction cases: opening with the rating, the workflow and who may take each step, the trail,
the scheduled jobs (escalation, auto-close, reminders) and the e-mails they queue."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation

from core.working_time import add_working_days, is_working_day
from directory.models import CalendarDay, Department, OutboxMessage
from feedback.cases import jobs, rules, services
from feedback.models import CaseEvent, DepartmentCasePolicy, DissatisfactionCase, OfficerExplanation, Rating
from feedback.ratings.services import correct_rating, submit_rating
from tests.conftest import make_user
from tests.feedback.cases.support import complain, walk_to


def mail_to(username: str, kind: str | None = None):
    rows = OutboxMessage.objects.filter(recipient__username=username)
    return list(rows.filter(kind=kind) if kind else rows)


def actions(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))


# --- opening -------------------------------------------------------------------------------------


def test_dissatisfied_rating_opens_one_case_listing_what_was_rated_1_or_2(case_cast):
    cast = case_cast
    case = complain(cast)

    assert (case.status, case.branch, case.team, case.business) == ("new", cast.branch_a, cast.team_a1, cast.business_x)
    assert [(item["kind"], item.get("code"), item["level"], item["reasons"]) for item in case.items] == [
        ("branch", None, 2, ["delay"]),
        ("officer", "OA1", 1, ["delay"]),  # OA2 was rated 5: not part of the complaint
    ]
    assert case.rating.comment == "Chậm trễ"
    assert actions(case) == ["opened"]
    event = case.events.get()
    assert (event.actor, event.actor_role, event.text) == (cast.users.business, "business", "Chậm trễ")
    assert DissatisfactionCase.objects.count() == 1


def opened_rows(case: DissatisfactionCase) -> tuple:
    """What opening wrote for a case, without its ids (the case's address in the mail has its id)."""
    event = case.events.get()
    mails = OutboxMessage.objects.filter(dedup_key__startswith=f"case-event:{event.pk}:").order_by("recipient_id")
    url = f"/cases/{case.pk}/"
    return (
        (case.rating_id, case.branch_id, case.team_id, case.business_id, case.status, case.items),
        (case.opened_at, case.due_at),
        (event.actor_id, event.actor_role, event.action, event.text, event.details, event.created_at),
        [(m.recipient_id, m.to_email, m.language, m.kind, m.subject, m.body.replace(url, "/cases/ID/")) for m in mails],
    )


def stored_without_case(declaration, user, officer_levels: dict[str, int], **fields) -> Rating:
    """A dissatisfied rating written the way bulk loads write them: its rows only, no case yet."""
    rating = Rating.objects.create(
        declaration=declaration,
        business_id=declaration.business_id,
        submitted_by=user,
        submitted_via="api",
        branch_id=declaration.branch_id,
        team_id=declaration.team_id,
        is_dissatisfied=True,
        created_at=timezone.now() - datetime.timedelta(days=3),
        **fields,
    )
    for link in declaration.officer_links.select_related("officer").order_by("id"):
        level = officer_levels[link.officer.code]
        rating.officer_ratings.create(
            officer=link.officer, team_id=link.team_id, level=level, reasons=["delay"] if level <= 2 else []
        )
    return rating


def test_opening_cases_in_bulk_writes_what_opening_each_writes(case_cast):
    cast = case_cast
    ratings = [
        stored_without_case(
            cast.dx, cast.users.business, {"OA1": 1, "OA2": 5}, branch_level=2, branch_reasons=["delay"], comment="Chậm"
        ),
        stored_without_case(
            cast.dy, cast.users.rival, {"OB1": 4}, branch_level=4, team_level=1, team_reasons=["attitude"]
        ),
    ]

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():  # open them one by one, note what was written, undo it
        one_by_one = [opened_rows(services.open_case(rating, now=rating.created_at)) for rating in ratings]
        raise Undo
    assert not DissatisfactionCase.objects.exists() and not OutboxMessage.objects.exists()

    cases = services.open_cases_at_rating_time(ratings)

    assert [case.rating_id for case in cases] == [rating.pk for rating in ratings]
    assert [opened_rows(DissatisfactionCase.objects.get(pk=case.pk)) for case in cases] == one_by_one
    assert [[item["kind"] for item in case.items] for case in cases] == [["branch", "officer"], ["team"]]
    assert OutboxMessage.objects.filter(kind="case_opened").count() == 2  # the leader of each branch
    assert services.open_cases_at_rating_time(ratings) == []  # a rating with a case keeps it
    assert DissatisfactionCase.objects.count() == 2


def test_satisfied_rating_opens_no_case(case_cast):
    submit_rating(case_cast.dx, case_cast.users.business, channel="web", branch_level=3, team_level=4)
    assert not DissatisfactionCase.objects.exists()


def test_case_and_rating_are_written_together_or_not_at_all(case_cast, settings, monkeypatch):
    cast = case_cast
    settings.CASE_DUE_WORKING_DAYS = 0  # a broken configuration: open_case refuses it
    with pytest.raises(Exception, match="CASE_DUE_WORKING_DAYS"):
        complain(cast)
    assert not Rating.objects.exists() and not DissatisfactionCase.objects.exists()

    # A failure after the case row is written (here: queuing the leaders' e-mail) undoes the rating too.
    settings.CASE_DUE_WORKING_DAYS = 5

    def broken_notify(*args, **kwargs):
        assert DissatisfactionCase.objects.count() == 1  # the case row exists at this point
        raise DatabaseError("outbox unavailable")

    monkeypatch.setattr(services, "notify", broken_notify)
    with pytest.raises(DatabaseError):
        complain(cast)
    assert not Rating.objects.exists()
    assert not DissatisfactionCase.objects.exists() and not CaseEvent.objects.exists()


def test_correction_into_dissatisfied_opens_the_case(case_cast):
    cast = case_cast
    rating = submit_rating(cast.dx, cast.users.business, channel="web", branch_level=4)
    correct_rating(rating, actor=cast.users.admin, reason="Chọn nhầm mức", branch_level=1)
    case = DissatisfactionCase.objects.get(rating=rating)
    assert case.items[0]["kind"] == "branch" and case.items[0]["level"] == 1
    assert services.open_case(rating) == case  # a second opening returns the same case


def test_due_date_is_five_working_days_to_the_end_of_the_local_day(case_cast):
    case = complain(case_cast)
    local_due = timezone.localtime(case.due_at)
    assert local_due.date() == add_working_days(timezone.localdate(case.opened_at), 5)
    assert (local_due.hour, local_due.minute) == (23, 59)
    assert str(local_due.tzinfo) == "Asia/Ho_Chi_Minh"


def test_due_date_across_tet_2027():
    opened = datetime.datetime(2027, 2, 3, 16, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    due = timezone.localtime(rules.due_at_for(opened, 5))
    assert due.date() == datetime.date(2027, 2, 17)
    # Late at night UTC is already the next local day: the local date decides.
    late_utc = datetime.datetime(2027, 2, 2, 18, 0, tzinfo=datetime.UTC)  # 01:00 on 3/2 in Hà Nội
    assert timezone.localtime(rules.due_at_for(late_utc, 5)).date() == datetime.date(2027, 2, 17)


def test_due_date_across_a_weekend():
    friday = datetime.datetime(2026, 11, 13, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    assert timezone.localtime(rules.due_at_for(friday, 5)).date() == datetime.date(2026, 11, 20)


def test_a_department_may_set_its_own_deadline(case_cast):
    DepartmentCasePolicy.objects.create(department=case_cast.department, due_working_days=10)
    case = complain(case_cast)
    assert timezone.localtime(case.due_at).date() == add_working_days(timezone.localdate(case.opened_at), 10)


def test_a_department_day_off_moves_the_deadline_and_the_days_to_answer(case_cast):
    today = timezone.localdate()
    day_off = add_working_days(today, 1)
    CalendarDay.objects.create(department=case_cast.department, date=day_off, kind="day_off", note="Nghỉ bù")
    case = complain(case_cast)
    assert timezone.localtime(case.due_at).date() == add_working_days(today, 6)  # the 5th day the department works

    # Answered on the day after the day off: one working day for this department, two on the statute.
    answered = timezone.make_aware(datetime.datetime.combine(add_working_days(day_off, 1), datetime.time(9)))
    case = walk_to(case, "concluded", case_cast)
    services.answer(case, "Đã xử lý.", case_cast.users.leader, now=answered)
    case.refresh_from_db()
    assert case.answer_working_days == 1


# --- the workflow and who may take each step ------------------------------------------------------


def test_full_workflow_appends_an_event_per_step(case_cast):
    cast = case_cast
    case = complain(cast)
    services.add_officer_explanation(case, "Hệ thống lỗi mạng.", cast.users.officer)
    case = walk_to(case, "closed", cast)

    assert (case.status, case.closed_how, case.conclusion) == ("closed", "accepted", "partly")
    assert case.answer_working_days == 0 and case.first_answered_at == case.answered_at
    assert actions(case) == ["opened", "explanation", "assigned", "findings", "concluded", "answered", "accepted"]
    roles = list(case.events.order_by("id").values_list("actor_role", flat=True))
    assert roles == [
        "business",
        "officer",
        "branch_leader",
        "team_leader",
        "branch_leader",
        "branch_leader",
        "business",
    ]
    assert OfficerExplanation.objects.get(case=case).officer == cast.officers.oa1


def test_assign_only_by_the_branch_leader_department_or_admin(case_cast):
    cast = case_cast
    case = complain(cast)
    for name in ("team_leader", "officer", "other_leader", "business", "integration"):
        with pytest.raises(PermissionDenied):
            services.assign(case, cast.users.team_leader, getattr(cast.users, name))
    assert services.assign(case, cast.users.team_leader, cast.users.staff).status == "assigned"
    assert services.assign(case, cast.users.leader, cast.users.admin).assigned_to == cast.users.leader


def test_verifier_must_belong_to_the_branch_and_not_be_rated(case_cast):
    cast = case_cast
    case = complain(cast)
    b_team_leader = make_user("tl_b", "team_leader", team=cast.team_b1)
    for verifier in (b_team_leader, cast.users.other_leader, cast.users.officer, cast.users.staff):
        with pytest.raises(ValidationError) as error:
            services.assign(case, verifier, cast.users.leader)
        assert "verifier" in error.value.message_dict
    # A team leader who is also the rated officer cannot verify their own case.
    cast.users.team_leader.officer = cast.officers.oa1
    cast.users.officer.officer = None
    cast.users.officer.role = "business"
    cast.users.officer.save(update_fields=["officer", "role"])
    cast.users.team_leader.save(update_fields=["officer"])
    with pytest.raises(ValidationError):
        services.assign(case, cast.users.team_leader, cast.users.leader)


def test_findings_by_the_assigned_verifier_or_a_leader_only(case_cast):
    cast = case_cast
    case = complain(cast)
    with pytest.raises(PermissionDenied):
        services.record_findings(case, "x", cast.users.team_leader)  # not assigned yet
    services.assign(case, cast.users.team_leader, cast.users.leader)
    for name in ("officer", "other_leader", "business", "staff"):  # staff only once escalated
        with pytest.raises(PermissionDenied):
            services.record_findings(case, "x", getattr(cast.users, name))
    with pytest.raises(ValidationError) as error:
        services.record_findings(case, "   ", cast.users.team_leader)
    assert "findings" in error.value.message_dict
    assert services.record_findings(case, "Đã xác minh.", cast.users.team_leader).status == "verifying"


def test_explanation_only_by_a_rated_officer_once_before_conclusion(case_cast):
    cast = case_cast
    case = complain(cast)
    oa2_user = make_user("oa2", "officer", officer=cast.officers.oa2)  # handled dx, rated 5
    for user in (oa2_user, cast.users.leader, cast.users.team_leader, cast.users.business):
        with pytest.raises(PermissionDenied):
            services.add_officer_explanation(case, "…", user)
    services.add_officer_explanation(case, "Giải trình.", cast.users.officer)
    with pytest.raises(ValidationError):
        services.add_officer_explanation(case, "Lần hai.", cast.users.officer)
    case = walk_to(case, "concluded", cast)
    oa1_again = OfficerExplanation.objects.filter(case=case).count()
    with pytest.raises(ValidationError):
        services.add_officer_explanation(case, "Muộn.", cast.users.officer)
    assert OfficerExplanation.objects.filter(case=case).count() == oa1_again == 1


def test_rated_officer_may_only_explain(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "verifying", cast)
    for step in (
        lambda: services.conclude(case, "not_substantiated", "", "", cast.users.officer),
        lambda: services.record_findings(case, "Tôi không sai.", cast.users.officer),
        lambda: services.assign(case, cast.users.leader, cast.users.officer),
    ):
        with pytest.raises(PermissionDenied):
            step()
    # Even a branch leader who is the rated officer cannot conclude their own case.
    cast.users.officer.role = "branch_leader"
    cast.users.officer.branch = cast.branch_a
    cast.users.officer.save(update_fields=["role", "branch"])
    with pytest.raises(PermissionDenied, match="rated"):
        services.conclude(case, "not_substantiated", "", "", cast.users.officer)


def test_conclude_only_by_the_branch_leader_and_after_findings(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "assigned", cast)
    with pytest.raises(services.InvalidTransition):
        services.conclude(case, "substantiated", "Kỷ luật.", "", cast.users.leader)  # no findings yet
    case = services.record_findings(case, "Có chậm trễ.", cast.users.team_leader)
    for name in ("team_leader", "officer", "other_leader", "staff", "business"):
        with pytest.raises(PermissionDenied):
            services.conclude(case, "substantiated", "Kỷ luật.", "", getattr(cast.users, name))
    with pytest.raises(ValidationError) as error:
        services.conclude(case, "maybe", "", "", cast.users.leader)
    assert "conclusion" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.conclude(case, "substantiated", "", "", cast.users.leader)
    assert "corrective_action" in error.value.message_dict
    case = services.conclude(case, "not_substantiated", "", "Không có lỗi.", cast.users.leader)
    assert (case.status, case.conclusion, case.internal_note) == ("concluded", "not_substantiated", "Không có lỗi.")


def test_answer_requires_text_and_a_conclusion(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "verifying", cast)
    with pytest.raises(services.InvalidTransition):
        services.answer(case, "Trả lời", cast.users.leader)
    case = services.conclude(case, "not_substantiated", "", "", cast.users.leader)
    with pytest.raises(ValidationError) as error:
        services.answer(case, "  ", cast.users.leader)
    assert "answer" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.answer(case, "Trả lời", cast.users.team_leader)


def test_rival_business_cannot_accept_or_dispute(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    for user in (cast.users.rival, cast.users.outsider, cast.users.leader, cast.users.admin):
        with pytest.raises(PermissionDenied):
            services.accept(case, user)
        with pytest.raises(PermissionDenied):
            services.dispute(case, "Không đồng ý", user)
    assert services.accept(case, cast.users.broker).status == "closed"  # the broker acts for X too


def test_dispute_once_within_the_window_reopens_and_escalates(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    with pytest.raises(ValidationError) as error:
        services.dispute(case, "", cast.users.business)
    assert "reason" in error.value.message_dict

    case = services.dispute(case, "Câu trả lời chưa thỏa đáng.", cast.users.business)

    assert (case.status, case.dispute_reason) == ("verifying", "Câu trả lời chưa thỏa đáng.")
    assert case.escalated_at == case.disputed_at
    assert actions(case)[-2:] == ["disputed", "escalated"]
    assert [m.kind for m in mail_to("staff")] == ["case_escalated"]
    assert {m.recipient.username for m in OutboxMessage.objects.filter(kind="case_disputed")} == {
        "leader",
        "team_leader",
    }
    # The workflow goes on; once answered again, a second dispute is refused.
    case = services.conclude(case, "substantiated", "Kỷ luật công chức.", "", cast.users.leader)
    first_answered = case.first_answered_at
    case = services.answer(case, "Chi cục đã xử lý lại.", cast.users.leader)
    assert case.first_answered_at == first_answered
    with pytest.raises(services.InvalidTransition, match="once"):
        services.dispute(case, "Lần nữa", cast.users.business)


def test_dispute_after_seven_days_is_refused(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    late = case.answered_at + datetime.timedelta(days=7, minutes=1)
    with pytest.raises(services.InvalidTransition, match="7 days"):
        services.dispute(case, "Muộn", cast.users.business, now=late)
    on_time = case.answered_at + datetime.timedelta(days=6, hours=23)
    assert services.dispute(case, "Kịp", cast.users.business, now=on_time).status == "verifying"


def test_department_staff_take_over_conclusion_once_escalated(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "verifying", cast)
    with pytest.raises(PermissionDenied):
        services.conclude(case, "partly", "Nhắc nhở.", "", cast.users.staff)
    assert jobs.escalate_overdue(now=case.due_at + datetime.timedelta(seconds=1)) == 1
    case.refresh_from_db()
    assert services.conclude(case, "partly", "Nhắc nhở.", "", cast.users.staff).status == "concluded"


# --- the trail is append-only ---------------------------------------------------------------------


def test_events_cannot_be_edited_or_deleted(case_cast):
    event = complain(case_cast).events.get()
    event.text = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(pk=event.pk).update(text="rewritten")
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.text == "Chậm trễ"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_database_refuses_raw_update_and_delete_of_events(case_cast):
    event = complain(case_cast).events.get()
    for sql in (
        "UPDATE feedback_caseevent SET text = 'x' WHERE id = %s",
        "DELETE FROM feedback_caseevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert CaseEvent.objects.filter(pk=event.pk, text="Chậm trễ").exists()


def test_database_refuses_inconsistent_case_states(case_cast):
    case = complain(case_cast)
    for values in ({"status": "answered"}, {"status": "closed"}, {"status": "assigned"}, {"conclusion": "maybe"}):
        with pytest.raises(IntegrityError), transaction.atomic():  # a CHECK constraint
            DissatisfactionCase.objects.filter(pk=case.pk).update(**values)


# --- scheduled jobs ---------------------------------------------------------------------------------


def test_escalation_run_twice_escalates_once(case_cast):
    cast = case_cast
    case = complain(cast)
    complain(cast, cast.dy)  # opened at the same time at branch B: overdue at the same moment
    after_due = case.due_at + datetime.timedelta(minutes=1)

    assert jobs.escalate_overdue(now=case.due_at - datetime.timedelta(minutes=1)) == 0
    assert jobs.escalate_overdue(now=after_due) == 2
    assert jobs.escalate_overdue(now=after_due) == 0
    assert jobs.escalate_overdue(now=after_due + datetime.timedelta(days=3)) == 0

    case.refresh_from_db()
    assert case.escalated_at == after_due and case.status == "new"  # the workflow goes on
    assert actions(case) == ["opened", "escalated"]
    assert [m.kind for m in mail_to("staff")] == ["case_escalated", "case_escalated"]


def test_answered_case_is_not_escalated(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    assert jobs.escalate_overdue(now=case.due_at + datetime.timedelta(days=1)) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_escalation_runs_escalate_once(case_cast):
    case = complain(case_cast)
    after_due = case.due_at + datetime.timedelta(minutes=1)
    start = threading.Barrier(2)
    results: list = []

    def run():
        try:
            start.wait(timeout=30)
            results.append(jobs.escalate_overdue(now=after_due))
        except Exception as exc:  # reported by the assertion below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [0, 1]
    assert CaseEvent.objects.filter(case=case, action="escalated").count() == 1
    assert OutboxMessage.objects.filter(kind="case_escalated").count() == 1


def test_answered_cases_close_by_themselves_after_seven_days(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    assert jobs.close_answered_cases(now=case.answered_at + datetime.timedelta(days=6)) == 0
    later = case.answered_at + datetime.timedelta(days=7, seconds=1)
    assert jobs.close_answered_cases(now=later) == 1
    assert jobs.close_answered_cases(now=later) == 0
    case.refresh_from_db()
    assert (case.status, case.closed_how, case.closed_at) == ("closed", "auto", later)
    assert actions(case)[-1] == "closed"
    assert case.events.last().actor_role == "system"


def test_closing_can_be_limited_to_given_cases(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    later = case.answered_at + datetime.timedelta(days=8)
    assert jobs.close_answered_cases(now=later, case_ids=[case.pk + 1000]) == 0
    assert jobs.close_answered_cases(now=later, case_ids=[case.pk]) == 1
    case.refresh_from_db()
    assert (case.status, case.closed_how) == ("closed", "auto")


def test_disputed_case_is_not_closed_until_answered_again(case_cast):
    cast = case_cast
    case = walk_to(complain(cast), "answered", cast)
    services.dispute(case, "Chưa thỏa đáng", cast.users.business)
    assert jobs.close_answered_cases(now=timezone.now() + datetime.timedelta(days=30)) == 0


def test_due_soon_reminder_goes_once_two_working_days_before(case_cast):
    cast = case_cast
    case = complain(cast)
    services.assign(case, cast.users.team_leader, cast.users.leader)
    due_day = timezone.localtime(case.due_at).date()

    def morning_of(working_days_before: int) -> datetime.datetime:
        day, counted = due_day, 0
        while counted < working_days_before:
            day -= datetime.timedelta(days=1)
            counted += is_working_day(day)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(7, 30)))

    assert jobs.send_due_soon_reminders(now=morning_of(3)) == 0  # too early
    assert jobs.send_due_soon_reminders(now=morning_of(2)) == 1
    assert jobs.send_due_soon_reminders(now=morning_of(1)) == 0  # once per case
    assert {m.recipient.username for m in OutboxMessage.objects.filter(kind="case_due_soon")} == {
        "leader",
        "team_leader",
    }
    assert actions(case)[-1] == "reminded"


# --- notifications ----------------------------------------------------------------------------------


def test_each_step_notifies_its_people_in_their_language(case_cast):
    cast = case_cast
    with translation.override("vi"):  # the actor's language must not leak into the recipients' mail
        case = walk_to(complain(cast), "answered", cast)

    opened = mail_to("leader", "case_opened")
    assert len(opened) == 1 and opened[0].language == "en"
    assert opened[0].subject == "New complaint on declaration 101234567890"
    assert "must be answered by" in opened[0].body and f"/cases/{case.pk}/" in opened[0].body  # the case page
    assert not mail_to("other_leader")  # another branch hears nothing

    assigned = mail_to("team_leader", "case_assigned")
    assert len(assigned) == 1 and assigned[0].language == "vi"

    answered = {m.recipient.username: m for m in OutboxMessage.objects.filter(kind="case_answered")}
    assert set(answered) == {"business", "broker"}  # the users acting for X, not the rival
    assert answered["business"].subject == "Answer to your complaint on declaration 101234567890"
    assert "Chi cục xin lỗi doanh nghiệp." in answered["business"].body
    assert answered["broker"].language == "vi"
    # Nothing internal travels by e-mail to the business.
    assert "nội bộ" not in answered["business"].body and "Nhắc nhở" not in answered["business"].body


def test_users_without_address_or_inactive_get_no_mail(case_cast):
    cast = case_cast
    make_user("leader2", "branch_leader", branch=cast.branch_a, email="l2@customs.gov.vn", is_active=False)
    make_user("leader3", "branch_leader", branch=cast.branch_a)  # no address
    complain(cast)
    assert list(OutboxMessage.objects.values_list("recipient__username", flat=True)) == ["leader"]


def test_escalation_reaches_only_the_staff_of_the_cases_department(case_cast):
    cast = case_cast
    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    make_user("staff_ls", "department_staff", department=other, email="ls@customs.gov.vn")
    case = complain(cast)
    jobs.escalate_overdue(now=case.due_at + datetime.timedelta(seconds=1))
    assert list(OutboxMessage.objects.filter(kind="case_escalated").values_list("recipient__username", flat=True)) == [
        "staff"
    ]


def test_the_escalation_claim_is_taken_once_without_relying_on_a_race(case_cast):
    """The claim itself, called twice in a row: the second caller (a run that listed the case before the
    first escalated it) claims nothing, so nothing is written twice."""
    case = complain(case_cast)
    after_due = case.due_at + datetime.timedelta(minutes=1)

    assert jobs.claim_escalation(case.pk, after_due) is True
    assert jobs.claim_escalation(case.pk, after_due + datetime.timedelta(minutes=1)) is False

    case.refresh_from_db()
    assert case.escalated_at == after_due
    assert jobs.escalate_overdue(now=after_due + datetime.timedelta(hours=1)) == 0
    assert not CaseEvent.objects.filter(case=case, action="escalated").exists()  # the claim alone writes no event


def test_a_case_not_yet_overdue_cannot_be_claimed(case_cast):
    case = complain(case_cast)
    assert jobs.claim_escalation(case.pk, case.due_at - datetime.timedelta(minutes=1)) is False
