"""A business rates a cleared declaration in the browser, with the keyboard only, and sees it rated.

Also: the level buttons fit a phone screen, and without JavaScript the reasons are simply always shown.
Screenshots go to /tmp/shots (or $SHOTS) for a person to look at.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from feedback.models import Rating
from tests.browser.conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DX = "101234567890"
SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has the focus, as a keyboard user does."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def press_and_wait(page: Page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def focus_ring_of(label: Locator) -> str:
    return label.evaluate("element => getComputedStyle(element).outlineStyle")


def test_business_rates_a_declaration_with_the_keyboard_only(cast, page, live_server):
    login(page, live_server, "business")
    # From here on, no mouse: Tab, arrow keys, Space and Enter. The home page leads to what to rate.
    tab_to(page, page.locator("a.home-to-rate"))
    press_and_wait(page, "Enter")
    assert page.url.endswith("/declarations/?rated=false")
    rate_button = page.locator(f"a.rate-button[href='/declarations/{DX}/rate/']")
    tab_to(page, rate_button)
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/declarations/{DX}/rate/")
    expect(page.locator("fieldset[data-rating-row]")).to_have_count(4)
    # With the script, reasons appear only for level 1 or 2.
    expect(page.locator("#row-officer_1 [data-reasons]")).to_be_hidden()

    # Officer 1 (OA1): Space picks the first level of the group, 5.
    tab_to(page, page.locator("#id_officer_0_level_0"))
    assert focus_ring_of(page.locator("label[for=id_officer_0_level_0]")) == "solid"  # the focus is visible
    page.keyboard.press("Space")
    expect(page.locator("#id_officer_0_level_0")).to_be_checked()
    # Officer 2 (OA2): Tab leaves the first group for the next one; arrows move 5 -> 4 -> 3 -> 2.
    page.keyboard.press("Tab")
    expect(page.locator("#id_officer_1_level_0")).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#row-officer_1 input[value='2']")).to_be_checked()
    expect(page.locator("#row-officer_1 [data-reasons]")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("#id_officer_1_reasons_0")).to_be_focused()  # "Delay", right after the levels
    page.keyboard.press("Space")
    expect(page.locator("#id_officer_1_reasons_0")).to_be_checked()
    shot(page, "rate-desktop-filling")
    # Team: 5 then one step to 4. Branch: 5.
    tab_to(page, page.locator("#id_team_level_0"))
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#row-team input[value='4']")).to_be_checked()
    tab_to(page, page.locator("#id_branch_level_0"))
    page.keyboard.press("Space")
    tab_to(page, page.locator("#id_comment"))
    page.keyboard.type("Chậm giải phóng hàng.")
    expect(page.locator("#comment-counter [data-count]")).to_have_text(str(len("Chậm giải phóng hàng.")))
    shot(page, "rate-desktop-filled")

    tab_to(page, page.locator("button[name=action][value=review]"))
    press_and_wait(page, "Enter")
    expect(page.locator("ul.rated-rows li")).to_have_count(4)
    expect(page.locator("ul.rated-rows")).to_contain_text("2 · Dissatisfied")
    expect(page.locator("ul.rated-rows")).to_contain_text("Delay")
    assert not Rating.objects.exists()
    shot(page, "rate-desktop-confirm")

    tab_to(page, page.locator("#send-rating"))
    press_and_wait(page, "Enter")

    assert page.url.endswith(f"/declarations/{DX}/")
    summary = page.locator("section.rating-summary")
    expect(summary.locator(".level-pill")).to_have_text(
        ["5 · Very satisfied", "2 · Dissatisfied", "4 · Satisfied", "5 · Very satisfied"]
    )
    expect(summary.locator(".next-steps.dissatisfied")).to_be_visible()
    expect(page.locator("input[type=radio]")).to_have_count(0)  # read-only now
    expect(page.locator("ul.messages")).to_be_visible()
    shot(page, "rate-desktop-sent")
    rating = Rating.objects.get()
    assert (rating.declaration.number, rating.submitted_via, rating.branch_level, rating.team_level) == (
        DX,
        "web",
        5,
        4,
    )
    assert {(row.officer.code, row.level, tuple(row.reasons)) for row in rating.officer_ratings.all()} == {
        ("OA1", 5, ()),
        ("OA2", 2, ("delay",)),
    }
    assert rating.comment == "Chậm giải phóng hàng."


def test_level_buttons_fit_a_phone_screen(cast, phone_page, live_server):
    login(phone_page, live_server, "business")
    phone_page.goto(f"{live_server.url}/declarations/")
    shot(phone_page, "list-phone")
    phone_page.goto(f"{live_server.url}/declarations/{DX}/rate/")
    phone_page.locator("label[for=id_officer_1_level_3]").tap()  # level 2 for OA2
    expect(phone_page.locator("#row-officer_1 [data-reasons]")).to_be_visible()
    shot(phone_page, "rate-phone")
    phone_page.locator("#row-officer_1").screenshot(path=str(SHOTS / "rate-phone-row.png"))

    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    buttons = phone_page.locator(".level-button")
    assert buttons.count() == 20
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["height"] >= 44  # a comfortable touch target
    # The whole label, number and words, is visible inside its button.
    label = phone_page.locator("label[for=id_branch_level_4] .level-label")
    assert label.evaluate("element => element.scrollWidth <= element.clientWidth")


def test_without_javascript_the_reasons_are_always_shown_and_the_flow_works(cast, open_page, live_server):
    page = open_page(java_script_enabled=False)
    login(page, live_server, "business")
    page.goto(f"{live_server.url}/declarations/{DX}/rate/")

    expect(page.locator("fieldset.reasons")).to_have_count(4)
    for index in range(4):
        expect(page.locator("fieldset.reasons").nth(index)).to_be_visible()
    page.locator("label[for=id_branch_level_1]").click()
    with page.expect_navigation():
        page.locator("button[name=action][value=review]").click()
    with page.expect_navigation():
        page.locator("#send-rating").click()

    assert Rating.objects.get().branch_level == 4
