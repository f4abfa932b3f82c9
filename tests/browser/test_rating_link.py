"""One-click rating: the declaration software asks the API for a link, a fresh browser (no session) opens
it, rates and sees the confirmation; opened again, the link says it was used and offers the login."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from directory.services import issue_api_token
from feedback.models import Rating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DX = "101234567890"


def link_from_the_api(live_server, user) -> str:
    _token, key = issue_api_token(user, "declaration software")
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/declarations/{DX}/rating-link/",
        method="POST",
        headers={"Authorization": f"Token {key}"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        return json.load(response)["url"]


def test_a_link_from_the_api_rates_once_in_a_fresh_browser(cast, page, live_server, settings):
    settings.SITE_URL = live_server.url
    url = link_from_the_api(live_server, cast.users.business)
    assert url.startswith(f"{live_server.url}/r/")

    page.goto(url)  # a new browser context: no session, no password
    expect(page.locator("h1")).to_contain_text(DX)
    expect(page.locator("form[action='/accounts/logout/']")).to_have_count(0)
    page.locator("#row-branch label.level-4").click()
    page.get_by_role("button", name="Review my rating").click()
    expect(page.locator("#confirm-heading")).to_be_visible()
    page.locator("#send-rating").click()

    expect(page.locator("h1.rating-sent")).to_contain_text("Your rating has been sent")
    rating = Rating.objects.get(declaration=cast.dx)
    assert rating.submitted_by == cast.users.business and rating.branch_level == 4

    page.goto(url)
    expect(page.locator(".link-problem")).to_contain_text("already been used")
    login = page.locator("a.login-link")
    login.click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/declarations/%3Frated%3Dfalse")
