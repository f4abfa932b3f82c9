"""A complaint as a conversation in the browser: the business writes with a PDF attached, the leader reads,
downloads the file and replies; after the answer the business rates the handling dissatisfied and its case
shows as sent to the department, with the new deadline.

Screenshots go to /tmp/shots (or $SHOTS) for a person to look at.
"""

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.cases import services
from feedback.models import CaseAttachment, DissatisfactionCase, HandlingRating
from tests.browser.conftest import PHONE, login
from tests.feedback.cases.support import complain, walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
QUESTION = "Kính gửi Chi cục, doanh nghiệp gửi kèm biên bản giao hàng."
REPLY = "Chi cục đã nhận biên bản và đang xác minh."


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def submit(page: Page, form_class: str) -> None:
    with page.expect_navigation():
        page.locator(f"form.{form_class} button[type=submit]").click()
    expect(page.locator("ul.messages")).to_be_visible()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_business_writes_with_a_pdf_and_the_leader_downloads_it_and_replies(cast, open_page, live_server, tmp_path):
    case = complain(cast, comment="Hàng chờ kiểm tra quá lâu.")
    record = tmp_path / "bien-ban-giao-hang.pdf"
    record.write_bytes(PDF)

    business = open_page()
    login(business, live_server, "business")
    business.goto(f"{live_server.url}/cases/{case.pk}/")
    business.locator("form.step-message textarea[name=text]").fill(QUESTION)
    business.locator("form.step-message input[type=file][name=files]").set_input_files(str(record))
    submit(business, "step-message")
    expect(business.locator("ol.timeline")).to_contain_text(QUESTION)
    expect(business.locator("ul.event-files")).to_contain_text("bien-ban-giao-hang.pdf")
    shot(business, "case-message-business-desktop")

    leader = open_page()
    login(leader, live_server, "leader")
    leader.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(leader.locator("li.event-message")).to_contain_text(QUESTION)
    with leader.expect_download() as download_info:
        leader.locator("ul.event-files a", has_text="bien-ban-giao-hang.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "bien-ban-giao-hang.pdf"
    assert Path(download.path()).read_bytes() == PDF
    leader.locator("form.step-message textarea[name=text]").fill(REPLY)
    submit(leader, "step-message")
    leader.locator("form.step-note textarea[name=text]").fill("Ghi chú nội bộ: đối chiếu camera.")
    submit(leader, "step-note")
    shot(leader, "case-conversation-leader-desktop")

    business.reload()
    expect(business.locator("ol.timeline")).to_contain_text(REPLY)
    expect(business.locator("ol.timeline")).not_to_contain_text("camera")
    # Stored under a random name (that no URL of the portal serves: tests/feedback/cases/test_case_conversation.py;
    # the live server of the tests serves MEDIA_ROOT itself, so it cannot show that here).
    assert "bien-ban" not in CaseAttachment.objects.get(case=case).file.name


def test_business_rates_the_handling_dissatisfied_and_the_case_goes_to_the_department(cast, open_page, live_server):
    case = walk_to(complain(cast), "answered", cast)
    business = open_page()
    login(business, live_server, "business")
    business.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(business.locator("form.step-rate_handling")).to_be_visible()
    business.locator("form.step-rate_handling input[name=level][value='2']").check()
    comment = "Câu trả lời không nêu biện pháp khắc phục."
    business.locator("form.step-rate_handling textarea[name=comment]").fill(comment)
    shot(business, "case-rate-handling-business-desktop")
    submit(business, "step-rate_handling")

    next_step = business.locator("p.next-step")
    expect(next_step).to_contain_text("sent to the department")
    case = DissatisfactionCase.objects.get(pk=case.pk)
    assert case.status == "verifying" and case.escalated_at is not None and case.dispute_due_at is not None
    assert HandlingRating.objects.get(case=case).level == 2
    expect(next_step).to_contain_text(timezone.localtime(case.dispute_due_at).strftime("%d/%m/%Y"))
    expect(business.locator("form.step-rate_handling")).to_have_count(0)
    expect(business.locator("ol.timeline")).to_contain_text("Handling rated by the business")
    shot(business, "case-sent-to-department-business-desktop")

    staff = open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)
    login(staff, live_server, "staff")
    staff.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(staff.locator("dl.case-summary")).to_contain_text("Escalated")
    expect(staff.locator("section.handling-ratings")).to_contain_text("2 · Dissatisfied")
    assert staff.evaluate("document.documentElement.scrollWidth") <= staff.evaluate("window.innerWidth")
    shot(staff, "case-handling-staff-phone")
    services.send_message(case, "Cục đã nhận và sẽ xem xét.", [], cast.users.staff)
