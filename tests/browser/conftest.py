"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

Every page fixture records the requests the pages make and fails the test when one of them leaves
the machine (the portal must work on a closed network: no CDN), or when a page throws a JavaScript
error, or when the Content-Security-Policy refuses part of a page (an inline script or style). A failing
test leaves a screenshot in test-artifacts/ for the CI log.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Schemes that never touch the network.
OFFLINE_SCHEMES = {"data", "blob", "about", "chrome-error"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in OFFLINE_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item so fixtures can tell, at teardown, whether it failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def plain_http_cookies(settings):
    # The live server speaks plain HTTP: secure-only cookies (the production default) would never
    # come back, and the login could not work whatever DEBUG says.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False


class PageWatch:
    """What the pages of one browser context asked for, and what went wrong in them."""

    def __init__(self):
        self.requested: list[str] = []
        self.page_errors: list[str] = []
        self.policy_violations: list[str] = []

    @property
    def external(self) -> list[str]:
        return [url for url in self.requested if not is_local(url)]


@pytest.fixture
def open_page(browser, live_server, request):
    """Open a page in a new browser context (a new visitor: no cookies); all are checked at teardown.

    The browser asks for English (locale en-US), as many officials' browsers do: the portal must
    still answer in Vietnamese until someone presses the language switch.
    """
    opened: list[tuple[BrowserContext, Page, PageWatch, str]] = []

    def open_(viewport=DESKTOP, name="desktop", **options) -> Page:
        watch = PageWatch()
        context = browser.new_context(viewport=viewport, locale="en-US", **options)
        context.on("request", lambda req: watch.requested.append(req.url))
        # Nothing leaves the machine even if a page tries: the request is recorded above, then aborted.
        context.route(lambda url: not is_local(url), lambda route: route.abort("blockedbyclient"))
        page = context.new_page()
        page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
        # Chromium reports what the Content-Security-Policy refused (an inline script or style) on the console.
        page.on(
            "console",
            lambda message: (
                watch.policy_violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.watch = watch
        opened.append((context, page, watch, f"{name}{len(opened)}"))
        return page

    yield open_

    report = getattr(request.node, "report_call", None)
    for context, page, _watch, name in opened:
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{request.node.nodeid}-{name}")
            page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
        context.close()
    external = [url for _c, _p, watch, _n in opened for url in watch.external]
    assert not external, f"pages requested resources outside this machine: {external}"
    page_errors = [error for _c, _p, watch, _n in opened for error in watch.page_errors]
    assert not page_errors, f"JavaScript errors in pages: {page_errors}"
    violations = [text for _c, _p, watch, _n in opened for text in watch.policy_violations]
    assert not violations, f"the Content-Security-Policy refused parts of pages: {violations}"


@pytest.fixture
def page(open_page) -> Page:
    """A desktop-sized page (1280 x 800)."""
    return open_page()


@pytest.fixture
def phone_page(open_page) -> Page:
    """A phone-sized page (390 x 844, touch)."""
    return open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)


def login(page: Page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form, the way a person does, and wait for the next page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("form.stacked button[type=submit]").click()
