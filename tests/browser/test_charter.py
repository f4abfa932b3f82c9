"""The charter dashboard in chromium: department staff read the department's charter section on the rating
dashboard, follow it to the charter page, change the period, open a branch, see its teams and worst cases,
and download the review workbook; the public page from the landing page."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from charter.rollup import fold_compliance
from directory.choices import CharterCode
from tests.browser.conftest import login
from tests.charter.support import declare, local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def measured(cast):
    for minutes in (10, 20, 25, 50):  # registrations in March 2026: one beyond 30 minutes
        declare(cast, received=local(2026, 3, 2, 9, 0), registered=local(2026, 3, 2, 9, minutes))
    declare(  # a physical inspection of 660 working minutes at branch B, team B1
        cast,
        branch=cast.branch_b,
        team=cast.team_b1,
        registered=local(2026, 3, 2, 7, 0),
        document=local(2026, 3, 2, 7, 30),
        inspection=local(2026, 3, 3, 11, 0),
    )
    fold_compliance(lag_seconds=0)


def test_staff_follow_the_charter_from_the_dashboard_to_a_branch(page: Page, live_server, cast, measured, tmp_path):
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/dashboards/?period=2026")
    section = page.locator(".dashboard-charter")
    expect(section.locator(f"tr[data-commitment={CharterCode.REGISTRATION}] .charter-share")).to_contain_text("75")
    with page.expect_navigation():
        section.locator("a.charter-link").click()
    assert "/charter/compliance/?period=2026" in page.url
    expect(page.locator(".charter-units tbody tr")).to_have_count(2)

    page.get_by_label("Period (YYYY or YYYY-MM)").fill("2026-03")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "period=2026-03" in page.url
    expect(page.locator(".charter-months tbody tr")).to_have_count(1)

    with page.expect_navigation():
        page.locator(".charter-units").get_by_role("link", name=cast.branch_b.name).click()
    assert "/charter/compliance/branch/HG/" in page.url
    worst = page.locator(f"table.charter-worst[data-commitment={CharterCode.PHYSICAL_INSPECTION}] tbody")
    expect(worst).to_contain_text("11 h 00")
    expect(worst).to_contain_text(cast.team_b1.name)

    with page.expect_download() as download:
        page.locator("a.charter-xlsx").click()
    path = tmp_path / "charter.xlsx"
    download.value.save_as(path)
    cases = list(load_workbook(path).worksheets[3].iter_rows(min_row=2, values_only=True))
    assert [(row[2], row[5]) for row in cases] == [(cast.branch_b.name, 660)]


def test_the_public_page_is_reached_from_the_landing_page(page: Page, live_server, cast, measured, settings):
    settings.CHARTER_PUBLIC_MIN_DECLARATIONS = 2
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.locator("a.home-charter").click()
    expect(page.locator("h1")).to_contain_text("Service charter")
    page.get_by_label("Year").fill("2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.locator(".charter-public-branches tbody tr")).to_have_count(1)
    expect(page.locator(".charter-suppressed")).to_contain_text(cast.branch_b.name)
