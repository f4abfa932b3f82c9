"""A complaint worked end to end in the browser: the branch leader opens it from the inbox, assigns it,
records the findings, concludes and answers; the business reads the answer and accepts; the case closes.

Screenshots go to /tmp/shots (or $SHOTS) for a person to look at, desktop and phone.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from feedback.cases import services
from feedback.models import DissatisfactionCase
from tests.browser.conftest import PHONE, login
from tests.feedback.cases.support import complain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))
INTERNAL_NOTE = "Ghi chú nội bộ: công chức đã được nhắc nhở."
ANSWER = "Chi cục đã xác minh và xin lỗi Quý doanh nghiệp về sự chậm trễ."


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def submit(page: Page, form_class: str) -> None:
    with page.expect_navigation():
        page.locator(f"form.{form_class} button[type=submit]").click()
    expect(page.locator("ul.messages")).to_be_visible()


def test_leader_works_the_case_and_the_business_accepts_the_answer(cast, open_page, live_server):
    case = complain(cast, comment="Hàng chờ kiểm tra hồ sơ quá lâu.")
    leader = open_page()
    login(leader, live_server, "leader")

    # Home: the inbox counts; the "new" figure leads to the inbox filtered on new cases.
    expect(leader.locator("ul.case-counts")).to_contain_text("1")
    shot(leader, "case-home-leader-desktop")
    with leader.expect_navigation():
        leader.locator("ul.case-counts a[href$='status=new']").click()
    expect(leader.locator("tr.case-row")).to_have_count(1)
    expect(leader.locator("tr.case-row")).to_contain_text("Due in")
    shot(leader, "case-inbox-desktop")
    with leader.expect_navigation():
        leader.locator("tr.case-row a").first.click()
    assert leader.url.endswith(f"/cases/{case.pk}/")
    expect(leader.locator("ul.rated-rows")).to_contain_text("Nguyễn Văn An")
    shot(leader, "case-new-desktop")

    leader.locator("select[name=verifier]").select_option(str(cast.users.team_leader.pk))
    submit(leader, "step-assign")
    expect(leader.locator("dl.case-summary")).to_contain_text("Assigned")
    leader.locator("textarea[name=findings]").fill("Tờ khai chờ kiểm tra hồ sơ 2 ngày do phân công chậm.")
    submit(leader, "step-findings")
    # A conclusion without the corrective action a substantiated complaint needs: the message sits by the field.
    leader.locator("label.conclusion-choice", has_text="Partly substantiated").click()
    with leader.expect_navigation():
        leader.locator("form.step-conclude button[type=submit]").click()
    expect(leader.locator("form.step-conclude .has-error")).to_contain_text("Say what is done")
    shot(leader, "case-conclude-error-desktop")
    leader.locator("label.conclusion-choice", has_text="Partly substantiated").click()
    leader.locator("textarea[name=corrective_action]").fill("Điều chỉnh phân công kiểm tra hồ sơ.")
    leader.locator("textarea[name=internal_note]").fill(INTERNAL_NOTE)
    submit(leader, "step-conclude")
    leader.locator("textarea[name=answer]").fill(ANSWER)
    submit(leader, "step-answer")
    expect(leader.locator("dl.case-summary")).to_contain_text("Answered")
    expect(leader.locator("ol.timeline > li")).to_have_count(5)
    shot(leader, "case-answered-leader-desktop")

    business = open_page()
    login(business, live_server, "business")
    shot(business, "case-home-business-desktop")
    with business.expect_navigation():
        business.locator(f"ul.home-cases a[href='/cases/{case.pk}/']").click()
    expect(business.locator("section.case-answer")).to_contain_text(ANSWER)
    expect(business.locator("dl.case-summary")).to_contain_text("Partly substantiated")
    assert INTERNAL_NOTE not in business.content()
    shot(business, "case-answer-business-desktop")
    submit(business, "step-accept")

    expect(business.locator("dl.case-summary")).to_contain_text("Closed")
    expect(business.locator("form.step-form")).to_have_count(0)
    shot(business, "case-closed-business-desktop")
    case.refresh_from_db()
    assert (case.status, case.closed_how) == ("closed", "accepted")
    leader.reload()
    expect(leader.locator("dl.case-summary")).to_contain_text("Accepted by the business")


def test_case_pages_fit_a_phone(cast, open_page, live_server):
    case = complain(cast)
    leader = open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)
    login(leader, live_server, "leader")
    shot(leader, "case-home-leader-phone")
    leader.goto(f"{live_server.url}/cases/")
    shot(leader, "case-inbox-phone")
    leader.goto(f"{live_server.url}/cases/{case.pk}/")
    assert leader.evaluate("document.documentElement.scrollWidth") <= leader.evaluate("window.innerWidth")
    shot(leader, "case-leader-phone")

    services.assign(case, cast.users.team_leader, cast.users.leader)
    services.record_findings(case, "Đã xác minh.", cast.users.leader)
    services.conclude(case, "not_substantiated", "", "Không có vi phạm.", cast.users.leader)
    services.answer(case, ANSWER, cast.users.leader)
    business = open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)
    login(business, live_server, "business")
    business.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(business.locator("form.step-dispute")).to_be_visible()
    assert business.evaluate("document.documentElement.scrollWidth") <= business.evaluate("window.innerWidth")
    shot(business, "case-business-phone")
    assert DissatisfactionCase.objects.get(pk=case.pk).status == "answered"
