"""The business administrator's API token page in a real browser: create, copy the key once, revoke."""

import pytest
from playwright.sync_api import expect

from directory.models import ApiToken
from tests.browser.conftest import DESKTOP, login
from tests.browser.test_rating_flow import SHOTS, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_business_admin_creates_copies_and_revokes_a_token(cast, open_page, live_server):
    page = open_page(DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    login(page, live_server, "business")
    page.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Manage API tokens").click()
    page.wait_for_url("**/account/tokens/")

    page.get_by_label("Name of the token").fill("ECUS kế toán")
    with page.expect_navigation():
        page.get_by_role("button", name="Create token").click()

    key = page.locator("#new-token-key").inner_text().strip()
    assert ApiToken.objects.get().prefix == key[:8]
    copy = page.locator("button[data-copy-from=new-token-key]")
    expect(copy).to_be_visible()  # shown because the script runs
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot(page, "token-created")

    page.get_by_role("link", name="Done").click()
    page.wait_for_url("**/account/tokens/")
    assert key not in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke the token ECUS kế toán").click()
    expect(page.locator("ul.messages")).to_contain_text("is revoked")
    expect(page.locator("table.data tbody tr").first).to_contain_text("Revoked on")
    shot(page, "token-list")
    assert ApiToken.objects.get().revoked_at is not None
