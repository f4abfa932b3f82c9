"""A business answers the CDCI questionnaire from its invitation link in chromium: a few pages, leaves,
comes back with the same link to where it stopped (answers kept), finishes, submits; the link then
says it has been used. Also on a phone: the questionnaire fits the screen. Screenshots go to
/tmp/shots (or $SHOTS) for a person to look at.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from surveys.models import Response
from surveys.services import campaigns, invitations
from tests.surveys.conftest import YEAR, declare

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def codes(cast):
    """An open campaign; X is asked about branches A and B, Y about B. The clear codes by business."""
    staff = cast.users.staff
    today = timezone.localdate()
    campaign = campaigns.create_campaign(
        cast.department,
        YEAR,
        actor=staff,
        open_on=today - datetime.timedelta(days=3),
        close_on=today + datetime.timedelta(days=30),
    )
    campaign = campaigns.open_campaign(campaign, actor=staff)
    for business, branch in [
        (cast.business_x, cast.branch_a),
        (cast.business_x, cast.branch_a),
        (cast.business_x, cast.branch_b),
        (cast.business_y, cast.branch_b),
    ]:
        declare(business, branch)
    issued = {item.invitation_id: item.code for item in invitations.build_invitations(campaign, actor=None)}
    return {invitation.business_id: issued[invitation.pk] for invitation in campaign.invitations.all()}


def answer_this_part(page: Page, level_index: int = 3) -> None:
    """Answer every question of the part on screen: an agreement level, the first option, a number."""
    for scale in page.locator(".scale").all():
        scale.locator("label.choice-button").nth(level_index).click()
        level_index = (level_index + 1) % 5  # vary the levels: no straight-lining
    for options in page.locator(".options").all():
        options.locator("label.choice-button").first.click()
    for field in page.locator("input.number-input").all():
        field.fill("2,5")


def next_part(page: Page) -> None:
    with page.expect_navigation():
        page.locator("button.survey-next").click()


def test_business_answers_leaves_comes_back_finishes_and_the_link_is_then_used(
    cast, codes, open_page, live_server, vietnamese_default
):
    link = f"{live_server.url}/survey/{codes[cast.business_x.pk]}/"
    page = open_page()
    page.goto(link)
    # Vietnamese by default, the business's name and both units.
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("main")).to_contain_text(cast.business_x.name)
    expect(page.locator(".survey-units li")).to_have_count(2)
    shot(page, "survey-start-desktop")
    with page.expect_navigation():
        page.locator("a.button.primary").click()

    for step in (1, 2, 3):
        assert page.url.endswith(f"/part/{step}/")
        expect(page.locator("#survey-step")).to_contain_text(f"{step}/8")
        answer_this_part(page)
        if step == 3:
            shot(page, "survey-part-desktop")
        next_part(page)
    assert page.url.endswith("/part/4/")
    # Leave: the page is closed without pressing anything on part 4.
    page.close()

    again = open_page()
    again.goto(link)
    assert again.url.endswith("/part/4/"), again.url  # lands where it stopped
    expect(again.locator(".messages")).to_be_visible()
    again.goto(f"{link}part/1/")
    checked = again.locator(".scale input:checked")
    assert checked.count() == again.locator(".scale").count() > 0  # answers kept
    again.goto(f"{link}part/4/")
    for _step in range(4, 9):
        answer_this_part(again, level_index=1)
        next_part(again)
    assert again.url.endswith("/review/")
    expect(again.locator(".not-answered")).to_have_count(0)
    shot(again, "survey-review-desktop")
    again.locator("textarea").first.fill("Thủ tục nhanh gọn.")
    with again.expect_navigation():
        again.locator("button.survey-next").click()
    expect(again.locator(".survey-state-thanks")).to_be_visible()
    shot(again, "survey-thanks-desktop")

    responses = Response.objects.filter(invitation__business=cast.business_x)
    assert responses.count() == 2 and all(response.is_valid for response in responses)

    again.goto(link)
    expect(again.locator(".survey-state-used")).to_be_visible()
    shot(again, "survey-used-desktop")


def test_questionnaire_fits_a_phone_and_switches_to_english(cast, codes, phone_page, live_server, vietnamese_default):
    link = f"{live_server.url}/survey/{codes[cast.business_y.pk]}/"
    phone_page.goto(link)
    shot(phone_page, "survey-start-phone")
    phone_page.goto(f"{link}part/1/")
    answer_this_part(phone_page)
    shot(phone_page, "survey-part-phone")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"

    with phone_page.expect_navigation():
        phone_page.locator(".language-switch button").click()
    expect(phone_page.locator("html")).to_have_attribute("lang", "en")
    assert phone_page.url.endswith("/part/1/")
    question = cast.department.survey_campaigns.get().components.get(position=1).questions.first()
    expect(phone_page.locator("main")).to_contain_text(question.text_en)
    shot(phone_page, "survey-part-phone-en")
    # Number parts on a phone.
    phone_page.goto(f"{link}part/3/")
    shot(phone_page, "survey-numbers-phone")


def test_unknown_code_says_so_gently(page, live_server, cast):
    response = page.goto(f"{live_server.url}/survey/{'A' * 20}/")
    assert response.status == 404
    expect(page.locator(".survey-state-unknown")).to_be_visible()
