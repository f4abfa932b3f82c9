"""The department dashboard in chromium: department staff open it, change the period, see the charts
drawn and the tables updated, and download the Excel file, which opens with openpyxl; the same page on a
phone. Screenshots go to /tmp/shots (or $SHOTS) for a person to look at.
"""

import os
import random
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from reports.rollups import fold_rollups
from tests.browser.conftest import login
from tests.reports.support import add_declarations, add_ratings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def rated(cast):
    rng = random.Random(21)
    declarations = add_declarations(cast, 400, rng, businesses=[cast.business_x, cast.business_y])
    add_ratings(cast, declarations, rng, share=0.85)
    fold_rollups(lag_seconds=0)


def chart_points(page: Page, chart: str) -> int:
    return page.evaluate(f"() => window.Chart.getChart('chart-{chart}').data.labels.length")


def test_staff_changes_the_period_sees_the_charts_and_downloads_excel(page, live_server, cast, rated, tmp_path):
    login(page, live_server, "staff")
    with page.expect_navigation():
        page.get_by_role("link", name="Dashboards").click()
    expect(page.locator("h1")).to_contain_text("Cục Hải quan Quảng Ninh")

    with page.expect_navigation():
        page.get_by_label("Period", exact=True).select_option("2025")
    trend_rows = page.locator("[data-table=trend] tbody tr")
    expect(trend_rows).to_have_count(12)
    expect(page.locator("[data-table=branches] tbody tr")).to_have_count(2)
    for chart in ("trend", "units", "levels", "cases"):
        expect(page.locator(f"#chart-{chart}")).to_be_visible()
    assert chart_points(page, "trend") == 12
    assert chart_points(page, "units") == 2
    assert page.locator("#chart-trend").bounding_box()["height"] > 150
    shot(page, "dashboard-department-desktop")

    with page.expect_navigation():
        page.get_by_label("Period", exact=True).select_option("2025-Q1")
    expect(trend_rows).to_have_count(3)
    expect(trend_rows.first.locator("th")).to_have_text("01/2025")
    assert chart_points(page, "trend") == 3
    assert "period=2025-Q1" in page.url

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the figures (Excel)").click()
    download = download_info.value
    assert download.suggested_filename == "dashboard-QN-2025-Q1.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = load_workbook(path)
    assert "Branches" in book.sheetnames
    assert book["Monthly trend"]["A5"].value == "01/2025"
    assert len(book["Branches"]._charts) == 1

    # A branch from the ranking, then the page on a phone.
    with page.expect_navigation():
        page.locator("[data-table=branches] tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("Chi cục")
    expect(page.locator("#chart-units")).to_be_visible()
    shot(page, "dashboard-branch-desktop")


def test_dashboard_on_a_phone(phone_page, live_server, cast, rated):
    login(phone_page, live_server, "staff")
    phone_page.goto(f"{live_server.url}/dashboards/?period=2025")
    expect(phone_page.locator("[data-table=trend] tbody tr")).to_have_count(12)
    expect(phone_page.locator("#chart-trend")).to_be_visible()
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
    shot(phone_page, "dashboard-department-phone")
    phone_page.goto(f"{live_server.url}/dashboards/officer/OA1/?period=2025")
    expect(phone_page.locator("#chart-trend")).to_be_visible()
    shot(phone_page, "dashboard-officer-phone")


def test_staff_pages_through_a_long_officers_table(page, live_server, cast, rated, monkeypatch):
    monkeypatch.setattr("reports.dashboards.views.TABLE_PAGE_SIZE", 2)  # the cast has three officers
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/dashboards/?period=2025")
    officers = page.locator("[data-table=officers]")
    expect(officers.locator("tbody tr")).to_have_count(2)
    expect(officers.locator("nav")).to_contain_text("Rows 1–2 of 3")
    expect(officers).to_be_hidden()  # folded under "Teams and officers of the department"
    page.get_by_text("Teams and officers of the department").click()

    with page.expect_navigation():
        officers.get_by_role("link", name="Next").click()

    expect(officers).to_be_visible()  # still unfolded on the next page
    expect(officers.locator("tbody tr")).to_have_count(1)
    expect(officers.locator("nav")).to_contain_text("Rows 3–3 of 3")
    assert "period=2025" in page.url and "officers_page=2" in page.url
    expect(page.locator("[data-table=trend] tbody tr")).to_have_count(12)  # the rest of the page is whole
