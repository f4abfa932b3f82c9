"""The team dashboard in chromium: the team leader reaches it from the menu, changes the period, sees the
charts drawn and the tables updated, and downloads the Excel file, which opens with openpyxl; the same
page on a phone. Screenshots go to /tmp/shots (or $SHOTS) for a person to look at.
"""

import random

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from feedback.models import Rating
from reports.rollups import fold_rollups
from tests.browser.conftest import login
from tests.browser.test_dashboard import chart_points, shot
from tests.reports.support import add_declarations, add_ratings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENTS = ["Đội hướng dẫn thủ tục rõ ràng, nhanh chóng.", "Chờ phân công kiểm tra hồ sơ hơi lâu."]


@pytest.fixture
def rated(cast):
    rng = random.Random(21)
    declarations = add_declarations(cast, 400, rng, businesses=[cast.business_x, cast.business_y])
    add_ratings(cast, declarations, rng, share=0.85)
    fold_rollups(lag_seconds=0)
    newest = Rating.objects.filter(team=cast.team_a1).order_by("-declaration__cleared_at")[:2]
    for rating, comment in zip(newest, COMMENTS, strict=True):
        Rating.objects.filter(pk=rating.pk).update(comment=comment)


def test_team_leader_reaches_the_team_dashboard_and_downloads_excel(page: Page, live_server, cast, rated, tmp_path):
    login(page, live_server, "team_leader")
    with page.expect_navigation():
        page.locator("nav.main-nav").get_by_role("link", name="Dashboards").click()
    assert "/dashboards/branch/MC/team/MC-TT/" in page.url
    expect(page.locator("h1")).to_contain_text("Đội Thủ tục")
    expect(page.locator(".dashboard-period")).to_contain_text("Chi cục Hải quan Móng Cái")

    with page.expect_navigation():
        page.get_by_label("Period", exact=True).select_option("2025")
    trend_rows = page.locator("[data-table=trend] tbody tr")
    expect(trend_rows).to_have_count(12)
    expect(page.locator("[data-table=officers] tbody tr")).to_have_count(1)
    expect(page.locator("[data-table=officers] tbody")).to_contain_text("Nguyễn Văn An")
    expect(page.locator("[data-table=comments] tbody tr")).to_have_count(2)
    expect(page.locator("[data-table=comments] tbody")).to_contain_text(COMMENTS[0])
    for chart in ("trend", "units", "levels"):
        expect(page.locator(f"#chart-{chart}")).to_be_visible()
    assert chart_points(page, "trend") == 12
    assert chart_points(page, "units") == 1
    assert chart_points(page, "levels") == 5
    assert page.locator("#chart-trend").bounding_box()["height"] > 150
    assert page.locator("text=Branch dashboard").count() == 0  # a team leader has no branch figures
    shot(page, "dashboard-team-desktop")

    with page.expect_navigation():
        page.get_by_label("Period", exact=True).select_option("2025-Q1")
    expect(trend_rows).to_have_count(3)
    expect(trend_rows.first.locator("th")).to_have_text("01/2025")
    assert chart_points(page, "trend") == 3
    assert "period=2025-Q1" in page.url

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the figures (Excel)").click()
    download = download_info.value
    assert download.suggested_filename == "dashboard-MC-MC-TT-2025-Q1.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = load_workbook(path)
    assert book.sheetnames == ["Totals", "Monthly trend", "Officers", "Level distribution", "Recent comments"]
    assert book["Monthly trend"]["A5"].value == "01/2025"
    assert book["Officers"]["B5"].value == "Nguyễn Văn An"
    assert len(book["Officers"]._charts) == 1

    # The officer from the ranking: their page links back to the team.
    with page.expect_navigation():
        page.locator("[data-table=officers] tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("Nguyễn Văn An")
    with page.expect_navigation():
        page.get_by_role("link", name="Team dashboard").click()
    assert "/dashboards/branch/MC/team/MC-TT/?period=2025-Q1" in page.url


def test_branch_leader_opens_a_team_from_the_branch_page(page: Page, live_server, cast, rated):
    login(page, live_server, "leader")
    page.goto(f"{live_server.url}/dashboards/branch/MC/?period=2025")
    with page.expect_navigation():
        page.locator("[data-table=teams] tbody a", has_text="Đội Thủ tục").click()
    expect(page.locator("h1")).to_contain_text("Đội Thủ tục")
    expect(page.locator("#chart-units")).to_be_visible()
    expect(page.get_by_role("link", name="Branch dashboard")).to_be_visible()
    assert "period=2025" in page.url


def test_team_dashboard_on_a_phone(phone_page: Page, live_server, cast, rated):
    login(phone_page, live_server, "team_leader")
    phone_page.goto(f"{live_server.url}/dashboards/branch/MC/team/MC-TT/?period=2025")
    expect(phone_page.locator("[data-table=trend] tbody tr")).to_have_count(12)
    expect(phone_page.locator("#chart-units")).to_be_visible()
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
    shot(phone_page, "dashboard-team-phone")
