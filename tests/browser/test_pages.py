"""The portal's pages in a real browser: language, sign-in, scoping, keyboard, phone layout, API docs.

The Vietnamese catalogue is translated separately, so these tests read `<html lang>` and the
structure of pages, never Vietnamese words. Every page visited is also checked by the fixtures for
requests leaving the machine and for JavaScript errors (see conftest.py).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from directory.models import User
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DX, DY, DX_PENDING = "101234567890", "101234567891", "301234567892"


def html_lang(page: Page) -> str:
    return page.locator("html").get_attribute("lang")


def switch_language(page: Page, code: str) -> None:
    with page.expect_navigation():
        page.locator(f"form.language-switch button[value={code}]").click()


def listed_numbers(page: Page) -> set[str]:
    return {text.strip() for text in page.locator("table.data tbody td:first-child a").all_inner_texts()}


def test_landing_page_speaks_vietnamese_to_a_browser_asking_for_english(page, live_server, vietnamese_default):
    with page.expect_request(f"{live_server.url}/") as first_request:
        page.goto(f"{live_server.url}/")

    assert first_request.value.headers["accept-language"].startswith("en-US")
    assert html_lang(page) == "vi"
    # The only language offered by the switch is the other one, labelled in its own language.
    offered = page.locator("form.language-switch button[name=language]")
    expect(offered).to_have_count(1)
    expect(offered).to_have_attribute("value", "en")
    expect(offered).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name=re.compile("API"))).to_have_attribute("href", "/api/docs/")


def test_language_switch_to_english_holds_on_the_next_page(page, live_server, vietnamese_default):
    page.goto(f"{live_server.url}/")

    switch_language(page, "en")

    assert html_lang(page) == "en"
    assert page.url == f"{live_server.url}/"  # back where the switch was pressed
    page.locator("header a[href='/accounts/login/']").click()
    page.wait_for_url("**/accounts/login/")
    assert html_lang(page) == "en"
    expect(page.locator("form.language-switch button[name=language]")).to_have_attribute("value", "vi")

    switch_language(page, "vi")

    assert html_lang(page) == "vi"
    assert page.url == f"{live_server.url}/accounts/login/"


def test_language_chosen_on_the_login_form_is_kept_after_signing_in(cast, page, live_server, vietnamese_default):
    page.goto(f"{live_server.url}/accounts/login/")
    switch_language(page, "en")

    login(page, live_server, "business")

    assert page.url == f"{live_server.url}/"  # the business's home page
    assert html_lang(page) == "en"
    cast.users.business.refresh_from_db()
    assert cast.users.business.language == "en"


def test_signed_in_users_language_follows_them_to_another_browser(cast, open_page, live_server, vietnamese_default):
    laptop = open_page()
    login(laptop, live_server, "business")
    assert html_lang(laptop) == "vi"

    switch_language(laptop, "en")

    assert html_lang(laptop) == "en"
    assert User.objects.get(username="business").language == "en"
    laptop.goto(f"{live_server.url}/declarations/{DX}/")
    assert html_lang(laptop) == "en"
    # A fresh browser has no language cookie: the saved choice alone decides.
    other_browser = open_page()
    login(other_browser, live_server, "business")
    assert html_lang(other_browser) == "en"


def test_login_with_a_wrong_password_shows_the_error_and_keeps_the_username(cast, page, live_server):
    login(page, live_server, "business", password="not-the-password")

    assert page.url.endswith("/accounts/login/")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_username")).to_have_value("business")
    expect(page.locator("#id_password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password")).to_have_attribute("aria-describedby", "login-error")
    # Still anonymous: a protected page sends the visitor back to the form.
    page.goto(f"{live_server.url}/declarations/")
    assert "/accounts/login/?next=/declarations/" in page.url


def test_business_user_sees_only_its_own_declarations_and_opens_one(cast, page, live_server):
    login(page, live_server, "business")
    with page.expect_navigation():
        page.locator("header a[href='/declarations/']").click()

    assert page.url == f"{live_server.url}/declarations/"
    assert listed_numbers(page) == {DX, DX_PENDING}
    page.get_by_role("link", name=DX, exact=True).click()
    page.wait_for_url(f"**/declarations/{DX}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(DX)
    expect(page.locator("dl.facts")).to_contain_text(cast.business_x.tax_code)
    expect(page.locator("ul.officers li")).to_have_count(2)


def test_rival_business_gets_404_for_another_business_declaration(cast, page, live_server):
    login(page, live_server, "rival")
    page.goto(f"{live_server.url}/declarations/")
    assert listed_numbers(page) == {DY}

    response = page.goto(f"{live_server.url}/declarations/{DX}/")

    assert response.status == 404
    assert DX not in page.content()


def test_branch_leaders_see_the_declarations_of_their_own_branch_only(cast, open_page, live_server):
    leader_a = open_page()
    login(leader_a, live_server, "leader")
    leader_a.goto(f"{live_server.url}/declarations/")
    assert listed_numbers(leader_a) == {DX, DX_PENDING}
    assert leader_a.goto(f"{live_server.url}/declarations/{DY}/").status == 404

    leader_b = open_page()
    login(leader_b, live_server, "other_leader")
    leader_b.goto(f"{live_server.url}/declarations/")
    assert listed_numbers(leader_b) == {DY}


def test_logout_button_signs_the_user_out(cast, page, live_server):
    login(page, live_server, "business")

    with page.expect_navigation():
        page.locator("header form[action='/accounts/logout/'] button").click()

    assert page.url.endswith("/accounts/login/")
    expect(page.locator("header form[action='/accounts/logout/']")).to_have_count(0)
    page.goto(f"{live_server.url}/declarations/")
    assert "/accounts/login/?next=/declarations/" in page.url


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_the_content(page, live_server):
    page.goto(f"{live_server.url}/")

    page.keyboard.press("Tab")

    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # shown on screen once focused, not left off-screen
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_api_docs_render_swagger_ui_from_local_static_files(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Customs service-quality portal API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    sidecar = [url for url in page.watch.requested if "/static/drf_spectacular_sidecar/" in url]
    assert any(url.endswith("swagger-ui-bundle.js") for url in sidecar)
    assert f"{live_server.url}/api/schema/" in page.watch.requested


def test_healthz_answers_json_with_the_database_ok(page, live_server):
    response = page.goto(f"{live_server.url}/healthz")

    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["database"] == "ok"


def test_declarations_table_scrolls_inside_its_frame_on_a_phone(cast, phone_page, live_server):
    login(phone_page, live_server, "leader")
    phone_page.goto(f"{live_server.url}/declarations/")

    page_width = phone_page.evaluate("document.documentElement.scrollWidth")
    viewport_width = phone_page.evaluate("window.innerWidth")
    assert page_width <= viewport_width  # the page itself never scrolls sideways
    wrap = phone_page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the table is wider than its frame
    # Keyboard users can reach the frame to scroll it, and it does scroll.
    expect(wrap).to_have_attribute("tabindex", "0")
    assert wrap.evaluate("el => { el.scrollLeft = 120; return el.scrollLeft; }") > 0
