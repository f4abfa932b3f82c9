"""The inquiry pages end to end with the test client: ask with a file, assign, answer, follow up, rate."""

import pytest

from inquiries.choices import InquiryStatus
from inquiries.models import Inquiry

from .support import pdf

pytestmark = pytest.mark.django_db


def test_the_whole_journey_through_the_pages(cast, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.users.business)
    assert client.get("/inquiries/new/").status_code == 200
    response = client.post(
        "/inquiries/new/",
        {
            "topic": "procedure",
            "declaration": cast.dx.number,
            "subject": "Chứng từ tạm nhập",
            "question": "Cần những chứng từ nào?",
            "attachments": [pdf()],
        },
    )
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.branch == cast.branch_a and inquiry.attachments.count() == 1

    client.force_login(cast.users.leader)
    page = client.get(f"/inquiries/{inquiry.pk}/").content.decode()
    assert "step-assign" in page and cast.business_x.name in page
    assert client.post(f"/inquiries/{inquiry.pk}/assign/", {"assignee": cast.users.officer.pk}).status_code == 302

    client.force_login(cast.users.officer)
    assert client.post(f"/inquiries/{inquiry.pk}/answer/", {"answer": ""}).status_code == 400
    assert client.post(f"/inquiries/{inquiry.pk}/answer/", {"answer": "Tờ khai và hợp đồng."}).status_code == 302

    client.force_login(cast.users.business)
    page = client.get(f"/inquiries/{inquiry.pk}/").content.decode()
    assert "Tờ khai và hợp đồng." in page and "step-rate" in page and "step-follow-up" in page
    assert client.post(f"/inquiries/{inquiry.pk}/rate/", {"level": "5", "comment": "Rõ ràng"}).status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.rating) == (InquiryStatus.CLOSED, 5)
    # Closed: no more follow-up, and a second rating is a conflict shown on the page.
    assert client.post(f"/inquiries/{inquiry.pk}/rate/", {"level": "4"}).status_code == 409


def test_the_ask_form_names_the_wrong_field(cast, client):
    client.force_login(cast.users.business)
    response = client.post(
        "/inquiries/new/", {"topic": "procedure", "declaration": cast.dy.number, "subject": "x", "question": "y"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"declaration"}
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize("who", ["leader", "staff", "officer"])
def test_customs_users_do_not_ask(cast, client, who):
    client.force_login(getattr(cast.users, who))
    assert client.get("/inquiries/new/").status_code == 403


def test_a_step_the_user_may_not_take_is_refused(cast, client):
    from .support import ask

    inquiry = ask(cast)
    client.force_login(cast.users.staff)
    assert client.post(f"/inquiries/{inquiry.pk}/rate/", {"level": "5"}).status_code == 403
    assert client.post(f"/inquiries/{inquiry.pk}/nonsense/", {}).status_code == 404


def test_a_follow_up_from_the_page_reopens_the_inquiry(cast, client):
    from .support import answered

    inquiry = answered(cast)
    client.force_login(cast.users.business)
    assert client.post(f"/inquiries/{inquiry.pk}/follow-up/", {"question": ""}).status_code == 400
    response = client.post(f"/inquiries/{inquiry.pk}/follow-up/", {"question": "Có cần bản gốc không?"})
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ASSIGNED and inquiry.exchanges.count() == 2


def test_the_inquiry_page_reads_a_fixed_number_of_queries(cast, client, django_assert_max_num_queries):
    from inquiries import services

    from .support import answered

    inquiry = answered(cast)
    for number in range(3):
        services.ask_follow_up(inquiry, f"Câu hỏi thêm {number}", cast.users.business)
        services.answer_inquiry(inquiry, f"Trả lời {number}", cast.users.officer)
    client.force_login(cast.users.leader)
    with django_assert_max_num_queries(14):
        response = client.get(f"/inquiries/{inquiry.pk}/")
    assert response.status_code == 200 and len(response.context["exchanges"]) == 4


def test_escalated_inquiries_come_first_for_the_department(cast, client):
    import datetime

    from core import clock
    from inquiries import services

    from .support import ask

    with clock.at(clock.now() - datetime.timedelta(days=30)):
        late = ask(cast, subject="Quá hạn")
    services.escalate_overdue()
    # Due even earlier, but not escalated yet (the hourly job has not seen it).
    with clock.at(clock.now() - datetime.timedelta(days=40)):
        earlier = ask(cast, subject="Quá hạn, chưa chuyển")
    client.force_login(cast.users.staff)
    listed = list(client.get("/inquiries/").context["inquiries"])
    assert listed == [late, earlier] and listed[0].escalated_at is not None
    client.force_login(cast.users.leader)
    assert list(client.get("/inquiries/").context["inquiries"]) == [earlier, late]
