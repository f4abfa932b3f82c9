"""The yearly CDCI in chromium: department staff compute a closed campaign (the task runs eagerly), review
the draft, publish it, and the public page shows the ranking with its chart and the chart's data as a
table, on a desktop and a phone. The computation page follows a run's progress by polling.
Screenshots go to /tmp/shots (or $SHOTS) for a person to look at.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cdci import services as cdci_services
from cdci.models import CdciPublication
from directory.models import Branch
from surveys import services as survey_services
from surveys.models import Campaign
from tests.browser.conftest import PHONE, login
from tests.cdci.contract import contract_result, stored_draft, stored_publication
from tests.cdci.support import closed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS", "/tmp/shots"))
YEAR = 2025


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def campaign(cast):
    campaign = closed_campaign(cast, YEAR)
    cdci_services.save_assessments(campaign, {cast.branch_a.pk: (88, "Hoàn thành tốt")}, actor=None)
    return campaign


def test_staff_compute_review_and_publish_then_the_public_sees_it(page, open_page, live_server, cast, campaign):
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/cdci/campaigns/{campaign.pk}/")
    shot(page, "cdci-compute-desktop")
    expect(page.locator(".method-summary")).to_contain_text("1,000 replicates")  # the campaign's fixed method
    with page.expect_navigation():
        page.get_by_role("button", name="Compute the CDCI").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(".run-done")).to_have_count(1)

    with page.expect_navigation():
        page.get_by_role("link", name="Review the draft").first.click()
    ranking = page.locator("table.cdci-ranking tbody tr")
    expect(ranking).to_have_count(3)
    expect(ranking.first).to_contain_text("Móng Cái")
    expect(page.locator("table.cdci-heatmap tbody tr")).to_have_count(3)
    expect(page.locator("#cdci-chart")).to_be_visible()
    shot(page, "cdci-draft-desktop")

    page.get_by_label("Note to publish with the ranking").fill("Kết quả CDCI năm 2025 của Cục.")
    page.get_by_label("I have read the checklist above").check()
    despite = page.get_by_label("Publish despite the warnings")
    if despite.count():
        despite.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish", exact=True).click()
    assert CdciPublication.objects.get(campaign=campaign).version == 1
    expect(page.locator("h1")).to_contain_text("CDCI 2025")
    shot(page, "cdci-published-staff-desktop")

    # The public: no login, a new visitor on a desktop and on a phone.
    for viewport, name in [(None, "desktop"), (PHONE, "phone")]:
        visitor = (
            open_page()
            if viewport is None
            else open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)
        )
        visitor.goto(f"{live_server.url}/cdci/")
        with visitor.expect_navigation():
            visitor.locator("a.cdci-year-link").first.click()
        expect(visitor.locator("table.cdci-ranking tbody tr")).to_have_count(3)
        expect(visitor.locator(".cdci-chart-table tbody tr")).to_have_count(3)
        canvas = visitor.locator("#cdci-chart")
        expect(canvas).to_be_visible()
        # chart.js drew on it: the canvas has its drawing buffer sized to the box.
        assert visitor.evaluate("() => window.Chart.getChart('cdci-chart').data.datasets[0].data.length") == 3
        assert canvas.bounding_box()["height"] > 100
        width = (viewport or {"width": 1280})["width"]
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert visitor.evaluate("() => document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        shot(visitor, f"cdci-public-{name}")
    visitor.goto(f"{live_server.url}/cdci/methodology/")
    expect(visitor.locator("h1")).to_contain_text("How the CDCI is computed")
    shot(visitor, "cdci-methodology-phone")


def test_the_computation_page_follows_a_run_until_its_draft_is_ready(page, live_server, cast, campaign):
    run = cdci_services.start_run(campaign, actor=None)  # queued: no worker has taken it yet
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/cdci/campaigns/{campaign.pk}/")
    expect(page.locator("progress[data-run-bar]")).to_be_visible()
    expect(page.get_by_role("button", name="Compute the CDCI")).to_be_disabled()
    shot(page, "cdci-progress-desktop")

    cdci_services.execute_run(run.pk)  # the worker

    link = page.get_by_role("link", name="Review the draft").first
    expect(page.locator("[data-run-done]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-run-percent]")).to_have_text("100")
    expect(link).to_be_visible()


@pytest.fixture
def contract_campaign(cast):
    """A closed campaign whose draft is a result shaped as the method's contract: four ranked units, one
    with too few responses."""
    branches = [cast.branch_a, cast.branch_b] + [
        Branch.objects.create(department=cast.department, code=code, name=name)
        for code, name in (
            ("CL", "Chi cục Hải quan Cái Lân"),
            ("VG", "Chi cục Hải quan Vạn Gia"),
            ("BL", "Chi cục Hải quan Bắc Phong Sinh"),
        )
    ]
    campaign = survey_services.create_campaign(cast.department, YEAR, actor=None)
    Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    campaign.refresh_from_db()
    campaign.branches = branches
    return campaign


def test_staff_are_stopped_publishing_an_under_sampled_campaign(page, live_server, cast, contract_campaign):
    result = contract_result(contract_campaign.branches)
    stored_draft(contract_campaign, result)
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/cdci/campaigns/{contract_campaign.pk}/draft/")
    checklist = page.locator(".publish-checklist")
    expect(checklist).to_contain_text("Units below the minimum of responses: Chi cục Hải quan Bắc Phong Sinh")
    expect(page.locator(".checklist-warning")).to_be_visible()

    # Confirmed the checklist but not the warnings: stopped, nothing published.
    page.get_by_label("Note to publish with the ranking").fill("Kết quả CDCI 2025.")
    page.get_by_label("I have read the checklist above").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".message.error").first).to_contain_text("under-sampled")
    assert not CdciPublication.objects.exists()
    shot(page, "cdci-publish-stopped-desktop")

    # Fewer than 3 rankable units: the publish button is disabled and the reason shown.
    result["units"] = result["units"][:2]
    stored_draft(contract_campaign, result)
    page.reload()
    expect(page.locator(".checklist-blocking")).to_contain_text("a ranking needs at least 3")
    expect(page.get_by_role("button", name="Publish", exact=True)).to_be_disabled()
    assert not CdciPublication.objects.exists()


def test_the_public_page_shows_rank_ranges_and_comparisons_in_words(open_page, live_server, contract_campaign):
    stored_publication(contract_campaign, contract_result(contract_campaign.branches))
    for viewport, name in [(None, "desktop"), (PHONE, "phone")]:
        visitor = (
            open_page()
            if viewport is None
            else open_page(PHONE, "phone", device_scale_factor=2, is_mobile=True, has_touch=True)
        )
        visitor.goto(f"{live_server.url}/cdci/{YEAR}/")
        ranking = visitor.locator("table.cdci-ranking")
        expect(ranking.locator("thead")).to_contain_text("Rank range (sampling)")
        expect(ranking.locator("tbody tr")).to_have_count(4)
        expect(ranking.locator('tr[data-unit="HG"] .rank-range')).to_have_text("2–4")
        expect(ranking.locator('tr[data-unit="HG"] .method-rank-range')).to_contain_text("2–3")
        comparisons = visitor.locator(".cdci-comparisons li")
        expect(comparisons).to_have_count(3)
        expect(comparisons.first).to_contain_text("Chi cục Hải quan Móng Cái is ahead of Chi cục Hải quan Hòn Gai.")
        expect(comparisons.nth(1)).to_contain_text("cannot be told apart")
        expect(visitor.locator(".not-enough")).to_contain_text("Chi cục Hải quan Bắc Phong Sinh")
        width = (viewport or {"width": 1280})["width"]
        assert visitor.evaluate("() => document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        shot(visitor, f"cdci-public-ranges-{name}")
