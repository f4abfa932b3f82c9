"""The rules of inquiries on PostgreSQL: routing, the charter's deadline by the department calendar, the
workflow with its trail and mail, follow-ups, rating, escalation and attachments."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from core import clock
from directory.charter import create_default_commitments
from directory.choices import CalendarDayKind, CharterCode
from directory.models import CalendarDay, CharterCommitment, OutboxMessage
from inquiries import services
from inquiries.choices import InquiryAction, InquiryChannel, InquiryStatus, InquiryTopic
from inquiries.models import Inquiry, InquiryAttachment, InquiryEvent, InquiryExchange
from inquiries.tasks import escalate_overdue_inquiries_task

from .support import answered, ask, pdf

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def actions(inquiry) -> list[str]:
    return list(InquiryEvent.objects.filter(inquiry=inquiry).order_by("id").values_list("action", flat=True))


# --- routing ------------------------------------------------------------------------------------------


def test_question_on_a_declaration_goes_to_its_branch(cast):
    inquiry = ask(cast)
    assert inquiry.branch == cast.branch_a
    assert inquiry.department == cast.department
    assert inquiry.declaration == cast.dx
    assert inquiry.status == InquiryStatus.NEW


def test_policy_question_goes_to_the_department_even_with_a_declaration(cast):
    inquiry = ask(cast, topic=InquiryTopic.POLICY)
    assert inquiry.branch is None
    assert inquiry.department == cast.department


def test_question_on_no_declaration_goes_to_the_department(cast):
    inquiry = ask(cast, declaration=None)
    assert inquiry.branch is None and inquiry.declaration is None


def test_another_business_declaration_is_refused_as_not_found(cast):
    with pytest.raises(ValidationError) as refused:
        ask(cast, declaration=cast.dy.number)
    with pytest.raises(ValidationError) as unknown:
        ask(cast, declaration="109999999999")
    assert list(refused.value.message_dict) == ["declaration"]
    assert refused.value.message_dict["declaration"][0].replace(cast.dy.number, "N") == unknown.value.message_dict[
        "declaration"
    ][0].replace("109999999999", "N")
    assert not Inquiry.objects.exists()


def test_every_wrong_field_is_named_and_nothing_is_written(cast):
    with pytest.raises(ValidationError) as error:
        services.ask_inquiry(cast.users.business, subject=" ", question="", topic="weather")
    assert set(error.value.message_dict) == {"subject", "question", "topic"}
    assert not Inquiry.objects.exists() and not InquiryEvent.objects.exists()


def test_a_broker_must_say_which_business_when_no_declaration(cast):
    with pytest.raises(ValidationError) as error:
        ask(cast, user=cast.users.broker, declaration=None)
    assert list(error.value.message_dict) == ["business"]
    inquiry = ask(cast, user=cast.users.broker, declaration=None, business=cast.business_y)
    assert inquiry.business == cast.business_y


def test_a_business_user_may_not_ask_for_a_business_it_does_not_act_for(cast):
    with pytest.raises(ValidationError) as error:
        ask(cast, declaration=None, business=cast.business_y)
    assert list(error.value.message_dict) == ["business"]


@pytest.mark.parametrize("who", ["officer", "leader", "staff", "integration"])
def test_only_business_users_ask(cast, who):
    with pytest.raises(PermissionDenied):
        ask(cast, user=getattr(cast.users, who))


# --- the deadline -----------------------------------------------------------------------------------------


def test_due_at_is_the_end_of_the_fifth_working_day_skipping_the_weekend(cast):
    # Thursday 5 March 2026: Fri 6, Mon 9, Tue 10, Wed 11, Thu 12.
    with clock.at(local(2026, 3, 5, 10, 0)):
        inquiry = ask(cast)
    assert timezone.localtime(inquiry.due_at, TZ).date() == datetime.date(2026, 3, 12)
    assert timezone.localtime(inquiry.due_at, TZ).time() == datetime.time.max
    exchange = inquiry.exchanges.get()
    assert exchange.due_at == inquiry.due_at and exchange.commitment_days == 5


def test_due_at_follows_the_department_calendar_and_its_commitment(cast):
    create_default_commitments(cast.department)
    CharterCommitment.objects.filter(department=cast.department, code=CharterCode.INQUIRY_REPLY).update(limit=3)
    # A local day off on Friday 6 March 2026 pushes the third working day from Tue 10 to Wed 11.
    CalendarDay.objects.create(department=cast.department, date=datetime.date(2026, 3, 6), kind=CalendarDayKind.DAY_OFF)
    with clock.at(local(2026, 3, 5, 10, 0)):
        inquiry = ask(cast)
    assert timezone.localtime(inquiry.due_at, TZ).date() == datetime.date(2026, 3, 11)
    assert inquiry.exchanges.get().commitment_days == 3


def test_due_at_skips_tet(cast):
    # Asked on Friday 13 February 2026, just before Tết (16-20 February are days off).
    with clock.at(local(2026, 2, 13, 9, 0)):
        inquiry = ask(cast)
    # Working days after: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27 February.
    assert timezone.localtime(inquiry.due_at, TZ).date() == datetime.date(2026, 2, 27)


# --- the workflow ---------------------------------------------------------------------------------------


def test_leader_assigns_and_the_officer_answers_on_time_and_the_business_is_mailed(cast):
    inquiry = ask(cast)
    services.assign_inquiry(inquiry, cast.users.officer, cast.users.leader)
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ASSIGNED and inquiry.assigned_to == cast.users.officer
    cast.users.business.email = "x@example.vn"
    cast.users.business.save()
    services.answer_inquiry(inquiry, "Trả lời bằng văn bản.", cast.users.officer)
    inquiry.refresh_from_db()
    exchange = inquiry.exchanges.get()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert exchange.answered_on_time is True and exchange.answer_working_days == 0
    assert OutboxMessage.objects.filter(kind="inquiry_answered", recipient=cast.users.business).count() == 1
    assert actions(inquiry) == [InquiryAction.ASKED, InquiryAction.ASSIGNED, InquiryAction.ANSWERED]


def test_a_late_answer_is_recorded_as_outside_the_commitment(cast):
    with clock.at(local(2026, 3, 5, 10, 0)):
        inquiry = ask(cast)
    with clock.at(local(2026, 3, 13, 9, 0)):
        services.answer_inquiry(inquiry, "Trả lời muộn.", cast.users.leader)
    exchange = InquiryExchange.objects.get(inquiry=inquiry)
    assert exchange.answered_on_time is False
    assert exchange.answer_working_days == 6


def test_another_branch_leader_cannot_assign(cast):
    inquiry = ask(cast)
    with pytest.raises(PermissionDenied):
        services.assign_inquiry(inquiry, cast.users.officer, cast.users.other_leader)


def test_assignee_must_belong_to_the_inquiry_branch(cast):
    from tests.conftest import make_user

    officer_b = make_user("officer_b", "officer", officer=cast.officers.ob1)
    inquiry = ask(cast)
    with pytest.raises(ValidationError) as error:
        services.assign_inquiry(inquiry, officer_b, cast.users.leader)
    assert list(error.value.message_dict) == ["assignee"]


def test_department_inquiry_is_assigned_by_staff_not_by_a_branch_leader(cast):
    inquiry = ask(cast, topic=InquiryTopic.POLICY)
    with pytest.raises(PermissionDenied):
        services.assign_inquiry(inquiry, cast.users.officer, cast.users.leader)
    services.assign_inquiry(inquiry, cast.users.officer, cast.users.staff)
    assert Inquiry.objects.get(pk=inquiry.pk).assigned_to == cast.users.officer


def test_an_officer_not_assigned_cannot_answer(cast):
    inquiry = ask(cast)
    with pytest.raises(PermissionDenied):
        services.answer_inquiry(inquiry, "Không được phép.", cast.users.officer)


def test_follow_up_reopens_with_a_new_deadline_to_the_same_officer(cast):
    with clock.at(local(2026, 3, 5, 10, 0)):
        inquiry = answered(cast)
    with clock.at(local(2026, 3, 16, 9, 0)):
        services.ask_follow_up(inquiry, "Còn cần bản gốc không?", cast.users.business)
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ASSIGNED and inquiry.assigned_to == cast.users.officer
    assert timezone.localtime(inquiry.due_at, TZ).date() == datetime.date(2026, 3, 23)
    assert list(inquiry.exchanges.values_list("sequence", flat=True)) == [1, 2]
    services.answer_inquiry(inquiry, "Không cần bản gốc.", cast.users.officer)
    assert InquiryExchange.objects.get(inquiry=inquiry, sequence=2).answered_at is not None


def test_the_rival_cannot_follow_up_or_rate(cast):
    inquiry = answered(cast)
    with pytest.raises(PermissionDenied):
        services.ask_follow_up(inquiry, "?", cast.users.rival)
    with pytest.raises(PermissionDenied):
        services.rate_answer(inquiry, 5, "", cast.users.rival)


def test_rating_takes_five_levels_once_and_closes(cast):
    inquiry = answered(cast)
    with pytest.raises(ValidationError) as error:
        services.rate_answer(inquiry, 6, "", cast.users.business)
    assert list(error.value.message_dict) == ["level"]
    services.rate_answer(inquiry, 4, "Rõ ràng.", cast.users.business)
    inquiry.refresh_from_db()
    assert (inquiry.rating, inquiry.status) == (4, InquiryStatus.CLOSED)
    with pytest.raises(services.InvalidTransition):
        services.rate_answer(inquiry, 5, "", cast.users.business)
    assert actions(inquiry)[-1] == InquiryAction.RATED


def test_a_rating_outside_1_to_5_is_refused_by_the_database(cast):
    inquiry = answered(cast)
    with pytest.raises(DatabaseError), transaction.atomic():
        Inquiry.objects.filter(pk=inquiry.pk).update(rating=7, rated_at=timezone.now())


def test_the_trail_is_append_only_in_the_database(cast):
    inquiry = ask(cast)
    event = InquiryEvent.objects.get(inquiry=inquiry)
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inquiries_inquiryevent SET text = 'x' WHERE id = %s", [event.pk])


# --- escalation -----------------------------------------------------------------------------------------


def test_overdue_inquiries_escalate_once_and_staff_are_told(cast):
    cast.users.staff.email = "staff@customs.gov.vn"
    cast.users.staff.save()
    with clock.at(local(2026, 3, 5, 10, 0)):
        late = ask(cast)
        on_time = answered(cast)
    later = local(2026, 3, 13, 9, 0)
    assert services.escalate_overdue(now=later) == 1
    assert services.escalate_overdue(now=later) == 0
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.escalated_at == later and on_time.escalated_at is None
    assert actions(late)[-1] == InquiryAction.ESCALATED
    assert OutboxMessage.objects.filter(kind="inquiry_escalated", recipient=cast.users.staff).count() == 1


def test_the_escalation_task_keeps_its_pinned_name_and_is_idempotent(cast):
    assert escalate_overdue_inquiries_task.name == "inquiries.tasks.escalate_overdue_inquiries_task"
    with clock.at(local(2020, 3, 5, 10, 0)):
        ask(cast)
    assert escalate_overdue_inquiries_task.apply().get() == 1
    assert escalate_overdue_inquiries_task.apply().get() == 0


# --- attachments ----------------------------------------------------------------------------------------


def test_files_are_kept_with_the_question(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    inquiry = ask(cast, uploads=[pdf()])
    attachment = InquiryAttachment.objects.get(inquiry=inquiry)
    assert attachment.original_name == "van-ban.pdf" and attachment.exchange.sequence == 1
    assert inquiry.channel == InquiryChannel.WEB


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_written(cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("hop-dong.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        ask(cast, uploads=[fake])
    assert list(error.value.message_dict) == ["attachments"]
    assert not Inquiry.objects.exists() and not InquiryAttachment.objects.exists()
