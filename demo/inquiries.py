"""Demo inquiries, an FAQ entry and dialogue conferences, worked through the real services "as if" on the days
they happened (core.clock.at), so that `make run` shows an inquiry in every state to `business`, `leader`,
`officer` and `staff`. Built once per department: a rerun changes nothing."""

import datetime

from django.db import transaction
from django.db.models import Count, F

from core import clock
from directory.models import BusinessMembership, Department, OutboxMessage, User
from feedback.models import Declaration
from inquiries import conferences, services
from inquiries.choices import ConferenceFormat, ConferenceLevel, InquiryTopic
from inquiries.models import Inquiry

FAQ_QUESTION = "Hàng tạm nhập tái xuất có phải nộp thuế nhập khẩu không?"
FAQ_ANSWER = (
    "Hàng tạm nhập tái xuất được miễn thuế nhập khẩu nếu được tái xuất trong thời hạn lưu giữ tại Việt Nam "
    "(Nghị định 134/2016/NĐ-CP, Điều 10). Doanh nghiệp khai tờ khai theo loại hình G12 và theo dõi thời hạn "
    "tái xuất trên hệ thống VNACCS."
)


def _days_ago(now: datetime.datetime, days: int, hour: int = 9) -> datetime.datetime:
    return (now - datetime.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def build_inquiries(
    department: Department, *, business_account: User, leader: User, officer: User, staff: User, now=None
) -> dict[str, int]:
    """A few inquiries of the demo business in every state, one published in the FAQ, a branch conference and
    a symposium with their problems. Returns how many inquiries by status (empty when already built)."""
    if Inquiry.objects.filter(department=department).exists():
        return {}
    now = now or clock.now()
    business_ids = list(
        BusinessMembership.objects.filter(user=business_account)
        .order_by("-is_admin", "pk")
        .values_list("business_id", flat=True)
    )
    if not business_ids or leader.branch_id is None:
        return {}
    declarations = list(
        Declaration.objects.filter(business_id__in=business_ids, branch_id=leader.branch_id)
        .order_by("-registered_at")
        .values_list("number", flat=True)[:4]
    )
    if len(declarations) < 4:
        return {}
    business = business_account.businesses.get(pk=business_ids[0])
    with transaction.atomic():
        last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        def ask(days: int, subject: str, question: str, topic: str, number: str | None):
            with clock.at(_days_ago(now, days)):
                return services.ask_inquiry(
                    business_account,
                    subject=subject,
                    question=question,
                    topic=topic,
                    declaration_number=number,
                    # A declaration names its business; a question about none is the first business's.
                    business=business if number is None else None,
                    department=department,
                )

        def step(days: int, hour: int, action, *args, **kwargs):
            with clock.at(_days_ago(now, days, hour)):
                return action(*args, **kwargs)

        # New: asked yesterday, waiting for the leader to assign it.
        ask(
            1,
            "Khai bổ sung sau thông quan",
            "Doanh nghiệp cần khai bổ sung trị giá sau thông quan thế nào?",
            InquiryTopic.PROCEDURE,
            declarations[0],
        )
        # Assigned to the demo officer, due within the week.
        assigned = ask(
            2,
            "Mã HS của linh kiện điện tử",
            "Bo mạch điều khiển nhập khẩu áp mã HS nào?",
            InquiryTopic.CLASSIFICATION,
            declarations[1],
        )
        step(2, 14, services.assign_inquiry, assigned, officer, leader)
        # Overdue: nobody answered; the hourly job escalated it to the department.
        overdue = ask(
            12,
            "Kiểm tra chuyên ngành kéo dài",
            "Lô hàng chờ kết quả kiểm tra chuyên ngành đã 10 ngày.",
            InquiryTopic.INSPECTION,
            declarations[2],
        )
        step(12, 15, services.assign_inquiry, overdue, officer, leader)
        # Answered: the business may rate it or ask a follow-up.
        answered = ask(
            6,
            "Hồ sơ hoàn thuế nhập khẩu",
            "Hồ sơ hoàn thuế hàng tái xuất gồm những gì?",
            InquiryTopic.TAX,
            declarations[3],
        )
        step(6, 14, services.assign_inquiry, answered, officer, leader)
        step(
            4,
            10,
            services.answer_inquiry,
            answered,
            "Hồ sơ gồm công văn đề nghị hoàn thuế, tờ khai tái xuất và chứng từ thanh toán.",
            officer,
        )
        # Closed and rated, then published as a general answer (the department's own, anonymous text).
        general = ask(
            20,
            "Thuế hàng tạm nhập tái xuất",
            f"Công ty chúng tôi ({business.name}) tạm nhập máy móc để tái xuất: có phải nộp thuế không?",
            InquiryTopic.POLICY,
            None,
        )
        step(19, 9, services.assign_inquiry, general, staff, staff)
        step(17, 10, services.answer_inquiry, general, FAQ_ANSWER, staff)
        step(16, 8, services.rate_answer, general, 5, "Trả lời rõ ràng, đúng hạn.", business_account)
        step(15, 9, services.publish_faq, general, FAQ_QUESTION, FAQ_ANSWER, staff)
        services.escalate_overdue(now=now)

        # Dialogues: a branch conference of Móng Cái and a department symposium, with their problems.
        year_start = datetime.date(now.year, 1, 1)
        held_on = max(year_start, (now - datetime.timedelta(days=30)).date())
        conference = conferences.record_conference(
            staff,
            department=department,
            level=ConferenceLevel.BRANCH,
            format=ConferenceFormat.CONFERENCE,
            held_on=held_on,
            title="Hội nghị đối thoại doanh nghiệp Chi cục Móng Cái",
            branch=leader.branch,
            businesses=[business],
        )
        with clock.at(_days_ago(now, 30, 10)):
            raised = conferences.raise_problem(
                conference,
                staff,
                business=business,
                topic=InquiryTopic.IT_SYSTEMS,
                subject="Hệ thống VNACCS chậm giờ cao điểm",
                question="Khai báo chậm vào buổi chiều.",
            )
        conferences.raise_problem(conference, staff, inquiry=overdue)
        step(25, 10, conferences.resolve_problem, raised, "Đã nâng cấp đường truyền tại cửa khẩu.", staff)
        conferences.record_conference(
            staff,
            department=department,
            level=ConferenceLevel.DEPARTMENT,
            format=ConferenceFormat.SYMPOSIUM,
            held_on=held_on,
            title="Hội thảo tháo gỡ vướng mắc thủ tục hải quan",
            businesses=[business],
        )
        # A fresh demo must not mail the notices of these past steps.
        OutboxMessage.objects.filter(pk__gt=last_message, sent_at__isnull=True).update(sent_at=F("created_at"))
    by_status = Inquiry.objects.filter(department=department).values("status").annotate(count=Count("pk"))
    return {row["status"]: row["count"] for row in by_status.order_by("status")}
