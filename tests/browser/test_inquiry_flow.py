"""An inquiry worked end to end in the browser: the business asks with a file, the branch leader assigns it and
answers in writing, the business reads the answer and rates it; then a visitor finds the FAQ from the home page.

Screenshots go to /tmp/shots (or $SHOTS) for a person to look at.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from inquiries.models import Inquiry
from tests.browser.conftest import PHONE, login
from tests.inquiries.support import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))
QUESTION = "Hồ sơ tạm nhập tái xuất máy móc cần những chứng từ nào?"
ANSWER = "Doanh nghiệp nộp tờ khai G12, hợp đồng thuê và bảng kê máy móc."


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def submit(page: Page, form_class: str) -> None:
    with page.expect_navigation():
        page.locator(f"form.{form_class} button[type=submit]").click()
    expect(page.locator("ul.messages")).to_be_visible()


def test_business_asks_leader_answers_business_rates(cast, open_page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = tmp_path / "hop-dong.pdf"
    document.write_bytes(PDF_BYTES)

    business = open_page()
    login(business, live_server, "business")
    with business.expect_navigation():
        business.locator("a.home-ask").click()
    business.locator("select[name=topic]").select_option("procedure")
    business.locator("input[name=declaration]").fill(cast.dx.number)
    business.locator("input[name=subject]").fill("Chứng từ tạm nhập tái xuất")
    business.locator("textarea[name=question]").fill(QUESTION)
    business.locator("input[name=attachments]").set_input_files(str(document))
    shot(business, "inquiry-ask-desktop")
    with business.expect_navigation():
        business.locator("form.ask-form button[type=submit]").click()
    expect(business.locator("ul.messages")).to_be_visible()
    expect(business.locator(".exchange-question")).to_contain_text(QUESTION)
    expect(business.locator("ul.attachments")).to_contain_text("hop-dong.pdf")
    inquiry = Inquiry.objects.get()
    assert inquiry.branch == cast.branch_a

    leader = open_page()
    login(leader, live_server, "leader")
    leader.goto(f"{live_server.url}/inquiries/")
    expect(leader.locator("tr.inquiry-row")).to_have_count(1)
    shot(leader, "inquiry-inbox-desktop")
    with leader.expect_navigation():
        leader.locator("tr.inquiry-row a").first.click()
    leader.locator("select[name=assignee]").select_option(str(cast.users.officer.pk))
    submit(leader, "step-assign")
    leader.locator("form.step-answer textarea[name=answer]").fill(ANSWER)
    submit(leader, "step-answer")
    expect(leader.locator(".exchange-answer")).to_contain_text(ANSWER)
    expect(leader.locator("ol.timeline > li")).to_have_count(3)
    shot(leader, "inquiry-answered-leader-desktop")

    business.reload()
    expect(business.locator(".exchange-answer")).to_contain_text(ANSWER)
    # The business never sees the internal trail.
    expect(business.locator("ol.timeline")).to_have_count(0)
    business.locator("form.step-rate input[name=level][value='5']").check()
    business.locator("form.step-rate textarea[name=comment]").fill("Trả lời rõ ràng.")
    submit(business, "step-rate")
    expect(business.locator(".inquiry-rating")).to_contain_text("5")
    expect(business.locator("form.step-form")).to_have_count(0)
    shot(business, "inquiry-rated-business-desktop")
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.rating) == ("closed", 5)


def test_a_visitor_reaches_the_faq_from_the_home_page_on_a_phone(cast, open_page, live_server):
    from inquiries import services
    from tests.inquiries.support import answered

    inquiry = answered(cast)
    services.publish_faq(inquiry, QUESTION, ANSWER, cast.users.staff)
    visitor = open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)
    visitor.goto(f"{live_server.url}/")
    with visitor.expect_navigation():
        visitor.locator("a.landing-faq").click()
    expect(visitor.locator("article.faq-entry")).to_contain_text(ANSWER)
    visitor.locator("input[name=q]").fill("tạm nhập")
    with visitor.expect_navigation():
        visitor.locator("form.faq-search button[type=submit]").click()
    expect(visitor.locator("article.faq-entry")).to_have_count(1)
    assert cast.business_x.name not in visitor.content()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= visitor.evaluate("window.innerWidth")
    shot(visitor, "faq-phone")
