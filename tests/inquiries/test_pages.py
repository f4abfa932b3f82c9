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
