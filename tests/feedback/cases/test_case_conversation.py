"""The conversation on a case: messages between the business and customs, internal notes, attached files.

Each message is an event of the trail and mail to the other side; files are checked by content and
downloaded only by those who may see the case and the message; a closed case takes no new messages.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.choices import Role
from directory.models import OutboxMessage
from feedback.cases import services
from feedback.models import CaseAttachment, CaseEvent
from tests.conftest import make_user
from tests.feedback.cases.support import complain, walk_to

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
API = "/api/v1/cases/"


def pdf(name: str = "bien-ban-giao-hang.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def case(case_cast):
    return complain(case_cast)


@pytest.fixture
def as_api(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


@pytest.fixture
def unrated_officer(case_cast):
    """OA2's account: an officer of the case's branch who handled the declaration but was rated 5."""
    return make_user("officer2", Role.OFFICER, officer=case_cast.officers.oa2)


def mail_to(kind: str) -> set[str]:
    return set(OutboxMessage.objects.filter(kind=kind).values_list("recipient__username", flat=True))


# --- services -------------------------------------------------------------------------------------------


def test_business_message_with_a_pdf_is_an_event_with_its_file_stored_privately(case_cast, case, private_media):
    users = case_cast.users
    walk_to(case, "assigned", case_cast)
    event = services.send_message(case, "Gửi kèm biên bản giao hàng.", [pdf()], users.business)

    assert (event.action, event.text, event.actor_id) == ("message", "Gửi kèm biên bản giao hàng.", users.business.pk)
    attachment = CaseAttachment.objects.get(event=event)
    assert (attachment.case_id, attachment.original_name, attachment.content_type) == (
        case.pk,
        "bien-ban-giao-hang.pdf",
        "application/pdf",
    )
    # Stored under a random name below MEDIA_ROOT/attachments/, never the user's name.
    assert attachment.file.name.startswith("attachments/") and "bien-ban" not in attachment.file.name
    assert (private_media / attachment.file.name).read_bytes() == PDF
    # The branch's leader and the verifier hear of it; the business does not mail itself.
    assert mail_to("case_message_from_business") == {"leader", "team_leader"}


def test_customs_message_is_mailed_to_the_business_users(case_cast, case):
    services.send_message(case, "Đề nghị bổ sung C/O.", [], case_cast.users.leader)
    assert mail_to("case_message_from_customs") == {"business", "broker"}


def test_internal_note_is_mailed_to_nobody_and_hidden_from_the_business(case_cast, case, as_api):
    users = case_cast.users
    services.send_message(case, "Ghi chú: kiểm tra lại camera.", [pdf("noi-bo.pdf")], users.leader, internal=True)
    assert not OutboxMessage.objects.filter(kind__startswith="case_message").exists()

    business = as_api(users.business)
    assert business.get(f"{API}{case.pk}/messages/").json()["results"] == []
    detail = business.get(f"{API}{case.pk}/").content.decode()
    assert "camera" not in detail and "noi-bo.pdf" not in detail
    page = business.get(f"/cases/{case.pk}/").content.decode()
    assert "camera" not in page and "noi-bo.pdf" not in page
    # Customs read it.
    leader = as_api(users.leader)
    assert [row["kind"] for row in leader.get(f"{API}{case.pk}/messages/").json()["results"]] == ["note"]


def test_business_cannot_write_an_internal_note(case_cast, case):
    with pytest.raises(PermissionDenied):
        services.send_message(case, "Ghi chú", [], case_cast.users.business, internal=True)
    assert not CaseEvent.objects.filter(case=case, action__in=["message", "note"]).exists()


def test_rated_officer_takes_no_part_in_the_conversation(case_cast, case, as_api):
    officer = case_cast.users.officer
    with pytest.raises(PermissionDenied):
        services.send_message(case, "Tôi giải thích", [], officer)
    assert as_api(officer).get(f"{API}{case.pk}/messages/").status_code == 403


def test_department_staff_write_only_once_the_case_is_escalated(case_cast, case):
    staff = case_cast.users.staff
    with pytest.raises(PermissionDenied):
        services.send_message(case, "Cục đề nghị giải trình.", [], staff)
    case.escalated_at = case.opened_at
    case.save(update_fields=["escalated_at"])
    assert services.send_message(case, "Cục đề nghị giải trình.", [], staff).action == "message"


def test_rival_business_and_other_leader_cannot_write(case_cast, case):
    for user in (case_cast.users.rival, case_cast.users.other_leader, case_cast.users.outsider):
        with pytest.raises(PermissionDenied):
            services.send_message(case, "Xin chào", [], user)


def test_closed_case_takes_no_new_messages(case_cast, case, as_api):
    walk_to(case, "closed", case_cast)
    with pytest.raises(services.InvalidTransition, match="closed"):
        services.send_message(case, "Thêm ý kiến", [], case_cast.users.business)
    response = as_api(case_cast.users.business).post(f"{API}{case.pk}/messages/", {"text": "Thêm"}, format="json")
    assert response.status_code == 409 and "closed" in response.json()["detail"]


def test_a_bad_file_refuses_the_whole_message_and_writes_nothing(case_cast, case, private_media):
    fake = SimpleUploadedFile("hoa-don.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        services.send_message(case, "Kèm hóa đơn", [pdf(), fake], case_cast.users.business)
    assert "hoa-don.pdf" in " ".join(error.value.message_dict["files"])
    assert not CaseEvent.objects.filter(case=case, action="message").exists()
    assert not CaseAttachment.objects.exists()
    assert not (private_media / "attachments").exists()


def test_a_failure_after_the_files_are_written_keeps_neither_row_nor_file(case_cast, case, private_media, monkeypatch):
    def broken_outbox(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "notify", broken_outbox)
    with pytest.raises(RuntimeError):
        services.send_message(case, "Kèm biên bản", [pdf(), pdf("b.pdf")], case_cast.users.business)
    assert not CaseAttachment.objects.exists()
    assert not CaseEvent.objects.filter(case=case, action="message").exists()
    assert not [path for path in private_media.rglob("*") if path.is_file()]


def test_too_many_files_are_refused_on_the_files_field(case_cast, case, settings):
    settings.ATTACHMENTS_PER_MESSAGE = 2
    with pytest.raises(ValidationError) as error:
        services.send_message(case, "Nhiều tệp", [pdf(), pdf(), pdf()], case_cast.users.business)
    assert "files" in error.value.message_dict


def test_an_empty_message_is_refused_on_the_text_field(case_cast, case):
    with pytest.raises(ValidationError) as error:
        services.send_message(case, "   ", [pdf()], case_cast.users.business)
    assert "text" in error.value.message_dict


def test_messages_stay_in_the_trail_unchanged(case_cast, case):
    event = services.send_message(case, "Nội dung gốc", [], case_cast.users.business)
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(pk=event.pk).update(text="Sửa")
    with connection.cursor() as cursor, pytest.raises(Exception, match="(?i)append|not allowed|cannot|refuse"):
        cursor.execute("UPDATE feedback_caseevent SET text = 'x' WHERE id = %s", [event.pk])


# --- the API --------------------------------------------------------------------------------------------


def test_api_business_posts_a_message_with_files_and_both_sides_list_it(case_cast, case, as_api):
    users = case_cast.users
    business = as_api(users.business)
    response = business.post(
        f"{API}{case.pk}/messages/",
        {"text": "Gửi C/O mẫu E.", "files": [pdf("c-o.pdf"), SimpleUploadedFile("anh.png", PNG)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["side"], body["author"]) == ("message", "business", None)
    assert [item["name"] for item in body["attachments"]] == ["c-o.pdf", "anh.png"]

    leader = as_api(users.leader)
    rows = leader.get(f"{API}{case.pk}/messages/").json()["results"]
    assert [(row["side"], row["text"]) for row in rows] == [("business", "Gửi C/O mẫu E.")]
    assert rows[0]["author"] == users.business.username
    download = leader.get(rows[0]["attachments"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert 'attachment; filename="c-o.pdf"' in download["Content-Disposition"]


def test_api_bad_file_is_a_400_naming_files(case_cast, case, as_api):
    fake = SimpleUploadedFile("to-khai.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = as_api(case_cast.users.business).post(
        f"{API}{case.pk}/messages/", {"text": "Kèm", "files": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert "to-khai.pdf" in " ".join(response.json()["files"])
    assert not CaseEvent.objects.filter(case=case, action="message").exists()


def test_api_empty_text_is_a_400_naming_text(case_cast, case, as_api):
    response = as_api(case_cast.users.business).post(f"{API}{case.pk}/messages/", {"text": ""}, format="json")
    assert response.status_code == 400 and "text" in response.json()


def test_api_case_out_of_scope_is_404_for_messages(case_cast, case, as_api):
    for user in (case_cast.users.rival, case_cast.users.other_leader):
        client = as_api(user)
        assert client.get(f"{API}{case.pk}/messages/").status_code == 404
        assert client.post(f"{API}{case.pk}/messages/", {"text": "x"}, format="json").status_code == 404


def test_message_list_query_count_does_not_grow_with_messages(case_cast, case, as_api):
    users = case_cast.users
    client = as_api(users.leader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}{case.pk}/messages/").status_code == 200
        return len(captured)

    services.send_message(case, "Một", [pdf()], users.business)
    few = queries()
    for number in range(6):
        services.send_message(case, f"Tin {number}", [pdf(), pdf("b.pdf")], users.business)
        services.send_message(case, f"Trả lời {number}", [], users.leader)
    assert queries() == few


def test_message_list_has_a_fixed_query_budget(case_cast, case, as_api, django_assert_max_num_queries):
    users = case_cast.users
    for number in range(5):
        services.send_message(case, f"Tin {number}", [pdf()], users.business)
    client = as_api(users.business)
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{API}{case.pk}/messages/").json()["results"]) == 5


# --- downloads: only those who may see the case and the message ------------------------------------------


@pytest.fixture
def message_with_file(case_cast, case):
    walk_to(case, "assigned", case_cast)
    event = services.send_message(case, "Biên bản", [pdf()], case_cast.users.business)
    return CaseAttachment.objects.get(event=event)


def page_url(attachment) -> str:
    return f"/cases/{attachment.case_id}/attachments/{attachment.pk}/"


def api_url(attachment) -> str:
    return f"{API}{attachment.case_id}/attachments/{attachment.pk}/"


@pytest.mark.parametrize("username", ["business", "broker", "leader", "team_leader", "staff", "admin"])
def test_those_who_may_see_the_case_download_the_file(case_cast, message_with_file, client, username):
    client.force_login(getattr(case_cast.users, username))
    response = client.get(page_url(message_with_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("username", ["rival", "other_leader", "outsider", "officer"])
def test_others_get_404_for_the_file(case_cast, message_with_file, client, as_api, username):
    # Another business, another branch's leader, a business user of nobody, the rated officer (no part in it).
    user = getattr(case_cast.users, username)
    client.force_login(user)
    assert client.get(page_url(message_with_file)).status_code == 404
    assert as_api(user).get(api_url(message_with_file)).status_code == 404


def test_an_officer_not_rated_in_the_case_gets_404(case_cast, message_with_file, client, unrated_officer):
    client.force_login(unrated_officer)
    assert client.get(page_url(message_with_file)).status_code == 404


def test_anonymous_is_sent_to_the_login_and_the_api_refuses(message_with_file, client, api_client):
    response = client.get(page_url(message_with_file))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert api_client.get(api_url(message_with_file)).status_code in (401, 403)


def test_no_url_of_the_portal_serves_the_stored_file(case_cast, message_with_file, client):
    client.force_login(case_cast.users.admin)
    assert client.get(f"/media/{message_with_file.file.name}").status_code == 404
    assert client.get(f"/{message_with_file.file.name}").status_code == 404


def test_a_file_of_another_case_is_404_under_this_case(case_cast, message_with_file, client):
    other = complain(case_cast, case_cast.dy)
    client.force_login(case_cast.users.admin)
    assert client.get(f"/cases/{other.pk}/attachments/{message_with_file.pk}/").status_code == 404


def test_a_note_file_is_404_for_the_business(case_cast, case, client):
    event = services.send_message(case, "Nội bộ", [pdf("noi-bo.pdf")], case_cast.users.leader, internal=True)
    attachment = CaseAttachment.objects.get(event=event)
    client.force_login(case_cast.users.business)
    assert client.get(page_url(attachment)).status_code == 404
    client.force_login(case_cast.users.leader)
    assert client.get(page_url(attachment)).status_code == 200


# --- pages ----------------------------------------------------------------------------------------------


def test_page_business_writes_a_message_with_a_file_and_sees_it_in_the_timeline(case_cast, case, client):
    client.force_login(case_cast.users.business)
    response = client.post(f"/cases/{case.pk}/message/", {"text": "Kèm biên bản.", "files": [pdf()]})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.pk}/").content.decode()
    attachment = CaseAttachment.objects.get(case=case)
    assert "Kèm biên bản." in page and page_url(attachment) in page and 'enctype="multipart/form-data"' in page


def test_page_bad_file_shows_the_message_by_the_field(case_cast, case, client):
    client.force_login(case_cast.users.business)
    fake = SimpleUploadedFile("hoa-don.pdf", b"<html></html>", content_type="application/pdf")
    response = client.post(f"/cases/{case.pk}/message/", {"text": "Kèm", "files": [fake]})
    assert response.status_code == 400
    assert "hoa-don.pdf" in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, action="message").exists()


def test_page_closed_case_offers_no_message_form(case_cast, case, client):
    walk_to(case, "closed", case_cast)
    client.force_login(case_cast.users.business)
    assert "step-message" not in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(f"/cases/{case.pk}/message/", {"text": "Còn nữa"})
    assert response.status_code == 409
    assert "closed" in response.content.decode()
