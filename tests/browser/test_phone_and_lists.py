"""On a phone: the header menu folds behind a button (and stays open without script), the public CDCI
ranking shows each unit's total and tier without sideways scrolling. A list journey: the last and first
page links, and a page number past the end."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cdci.models import CdciPublication
from tests.browser.conftest import PHONE, login
from tests.conftest import make_declaration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_menu_is_folded_behind_a_button_that_opens_it_and_leads_on(
    cast, phone_page, live_server, vietnamese_default
):
    page = phone_page
    login(page, live_server, "business")
    button, nav = page.locator(".menu-toggle"), page.locator("#main-nav")

    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    # The Vietnamese name of the portal takes two lines, the button and the language a third: it took 350 of 844.
    assert page.locator("header.site-header").bounding_box()["height"] < 140
    expect(page.locator("form.language-switch button")).to_be_visible()  # the language stays one tap away

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    with page.expect_navigation():
        nav.locator("a[href='/declarations/']").click()

    assert page.url == f"{live_server.url}/declarations/"
    expect(nav).to_be_hidden()  # folded again on the next page
    # Escape closes the open menu and gives the focus back to the button.
    button.click()
    nav.locator("a").first.focus()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")


def test_desktop_shows_the_menu_in_a_row_without_the_button(cast, page, live_server):
    login(page, live_server, "business")

    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.locator("#main-nav")).to_be_visible()


def test_phone_menu_stays_open_without_javascript(open_page, live_server):
    page = open_page(PHONE, "phone-no-js", java_script_enabled=False)
    page.goto(f"{live_server.url}/")

    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.locator("#main-nav a[href='/accounts/login/']")).to_be_visible()


def test_public_ranking_shows_each_units_total_and_tier_on_a_phone(phone_page, live_server):
    call_command("seed_demo", "--scale", "0.02", stdout=StringIO())
    publication = CdciPublication.objects.select_related("campaign__department").order_by("-campaign__year").first()
    page = phone_page
    page.goto(f"{live_server.url}/cdci/{publication.campaign.year}/?department={publication.campaign.department.code}")

    rows = page.locator("table.cdci-ranking tbody tr")
    assert rows.count() >= 2
    for index in range(rows.count()):
        for cell in ("th.cdci-unit", "td.cdci-total", "td.cdci-tier"):
            box = rows.nth(index).locator(cell).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (index, cell, box)
    # Nothing on the page scrolls sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_list_journey_to_the_last_page_and_back_to_the_first(cast, page, live_server):
    for index in range(30):
        make_declaration(f"10999999{index:04d}", cast.business_x, cast.branch_a, cast.team_a1)
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/declarations/?channel=green")
    pages = page.locator("nav.pagination")
    expect(pages.locator(".first-page")).to_have_count(0)

    with page.expect_navigation():
        pages.locator(".last-page").click()

    assert page.url.endswith("?channel=green&page=2")
    expect(pages.locator("[aria-current=page]")).to_have_text(re.compile(r"2\D+2"))
    expect(pages.locator(".last-page")).to_have_count(0)
    with page.expect_navigation():
        pages.locator(".first-page").click()
    assert page.url.endswith("?channel=green&page=1")

    # A page number past the end (an old link, a typed number) shows the last page, not an error.
    response = page.goto(f"{live_server.url}/declarations/?channel=green&page=40")
    assert response.status == 200
    expect(pages.locator("[aria-current=page]")).to_have_text(re.compile(r"2\D+2"))
    expect(page.locator("table.data tbody tr")).to_have_count(8)  # the cast's three and thirty, 25 a page
