"""The public FAQ: department staff publish an edited, anonymous question and answer; the page and its search
never show the business's name, tax code or declaration number."""

import lxml.html
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inquiries import services
from inquiries.choices import InquiryAction, InquiryTopic
from inquiries.models import FaqEntry

from .support import answered, ask

pytestmark = pytest.mark.django_db

QUESTION = "Hàng tạm nhập tái xuất có phải nộp thuế nhập khẩu không?"
ANSWER = "Không phải nộp nếu tái xuất đúng thời hạn theo Nghị định 134/2016."


def identity(cast) -> list[str]:
    return [cast.business_x.name, cast.business_x.tax_code, cast.dx.number]


@pytest.fixture
def published(cast):
    inquiry = answered(
        cast,
        question=f"{cast.business_x.name} (MST {cast.business_x.tax_code}), tờ khai {cast.dx.number}: {QUESTION}",
    )
    services.publish_faq(inquiry, QUESTION, ANSWER, cast.users.staff)
    return inquiry


def test_staff_publish_and_the_faq_shows_the_texts_without_the_business(cast, published, client):
    body = client.get("/faq/").content.decode()
    assert QUESTION in body and ANSWER in body
    for detail in identity(cast):
        assert detail not in body
    assert list(published.events.values_list("action", flat=True))[-1] == InquiryAction.PUBLISHED


@pytest.mark.parametrize("query", ["q=thuế", "q=tái+xuất&topic=procedure", "q=X", "q=101234567890", "topic=procedure"])
def test_search_never_shows_the_business(cast, published, client, query):
    response = client.get(f"/faq/?{query}")
    assert response.status_code == 200
    # What the page shows besides the visitor's own search words echoed in the search box and header forms.
    page = lxml.html.fromstring(response.content.decode())
    for form in page.xpath("//form"):
        form.drop_tree()
    body = lxml.html.tostring(page, encoding="unicode")
    assert "faq-entry" in body or "q=X" in query or "q=1012" in query
    for detail in identity(cast):
        assert detail not in body


def test_search_finds_by_words_and_topic(cast, published, client):
    assert QUESTION in client.get("/faq/?q=tạm+nhập").content.decode()
    assert QUESTION not in client.get("/faq/?q=ô+tô").content.decode()
    assert QUESTION not in client.get("/faq/?topic=tax").content.decode()
    assert client.get("/faq/?topic=weather").status_code == 400


@pytest.mark.parametrize("query", ["thue nhap khau", "TẠM NHẬP", "Tam  nhap", "nghi dinh 134"])
def test_search_matches_with_or_without_diacritics_and_in_any_case(cast, published, client, query):
    assert QUESTION in client.get("/faq/", {"q": query}).content.decode()


def test_search_without_diacritics_still_needs_every_word(cast, published, client):
    assert QUESTION not in client.get("/faq/", {"q": "thue xe o to"}).content.decode()


def test_a_republished_entry_is_searched_on_its_new_text(cast, published):
    entry = FaqEntry.objects.get()
    entry.answer = "Được miễn thuế khi tái xuất đúng hạn."
    entry.save(update_fields=["answer"])
    assert FaqEntry.objects.filter(search_text__contains="duoc mien thue").exists()


def test_a_text_still_naming_the_business_is_refused(cast):
    inquiry = answered(cast)
    with pytest.raises(ValidationError) as error:
        services.publish_faq(
            inquiry, f"Câu hỏi của {cast.business_x.name}", f"Tờ khai {cast.dx.number}", cast.users.staff
        )
    assert set(error.value.message_dict) == {"question", "answer"}
    with pytest.raises(ValidationError):
        services.publish_faq(inquiry, f"MST {cast.business_x.tax_code}", ANSWER, cast.users.staff)
    assert not FaqEntry.objects.exists()


@pytest.mark.parametrize("who", ["leader", "officer", "business", "other_leader"])
def test_only_department_staff_publish(cast, who):
    inquiry = answered(cast)
    with pytest.raises(PermissionDenied):
        services.publish_faq(inquiry, QUESTION, ANSWER, getattr(cast.users, who))


def test_an_open_inquiry_cannot_be_published(cast):
    with pytest.raises(services.InvalidTransition):
        services.publish_faq(ask(cast), QUESTION, ANSWER, cast.users.staff)


def test_edit_and_withdraw(cast, published, client):
    services.publish_faq(published, QUESTION, "Câu trả lời đã sửa.", cast.users.staff, topic=InquiryTopic.TAX)
    assert FaqEntry.objects.get().topic == InquiryTopic.TAX
    assert "Câu trả lời đã sửa." in client.get("/faq/?topic=tax").content.decode()
    services.withdraw_faq(published, cast.users.staff)
    assert QUESTION not in client.get("/faq/").content.decode()


def test_staff_publish_from_the_inquiry_page(cast, client):
    inquiry = answered(cast)
    client.force_login(cast.users.staff)
    page = client.get(f"/inquiries/{inquiry.pk}/")
    assert "step-publish" in page.content.decode()
    response = client.post(
        f"/inquiries/{inquiry.pk}/publish/", {"topic": "procedure", "question": QUESTION, "answer": cast.dx.number}
    )
    assert response.status_code == 400 and not FaqEntry.objects.exists()
    response = client.post(
        f"/inquiries/{inquiry.pk}/publish/", {"topic": "procedure", "question": QUESTION, "answer": ANSWER}
    )
    assert response.status_code == 302 and FaqEntry.objects.get().answer == ANSWER


def test_the_home_pages_link_to_the_faq(cast, client):
    assert 'href="/faq/"' in client.get("/").content.decode()
    client.force_login(cast.users.business)
    assert 'href="/faq/"' in client.get("/").content.decode()
