"""axe-core on every kind of portal page, for every role and for visitors, on a desktop and on a phone
(390 x 844): no serious or critical violation. Django's admin and the API docs are not portal pages and
are left out (tests/browser/axe.py SKIPPED).

The pages come from the demo data (`seed_demo` at a small scale): every role has something on each of
its pages (cases in each state, a published CDCI with its heat map, an open survey campaign). From each
role's home page the crawler follows links and checks one page of each kind; it also fails on a page
that does not answer 200, and the fixtures fail on a CSP refusal or a JavaScript error.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.surveys import sample_code
from directory.models import User
from feedback.models import Declaration
from feedback.ratings.links import issue_link
from feedback.ratings.window import open_for_rating
from surveys.choices import CampaignStatus
from surveys.models import Campaign
from tests.browser.axe import crawl, page_kind
from tests.browser.conftest import DESKTOP, PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["business", "officer", "teamleader", "leader", "staff", "admin"]
DEMO_PASSWORD = "demo"
# Kinds of page each role must have reached, so that a broken menu cannot make the test pass by visiting less.
MUST_REACH = {
    None: {"/", "/cdci/", "/cdci/*/", "/accounts/login/", "/survey/*/", "/survey/*/part/*/", "/r/*/"},
    "business": {"/declarations/", "/declarations/*/", "/declarations/*/rate/", "/cases/", "/cases/*/", "/account/"},
    "officer": {"/declarations/", "/cases/", "/dashboards/officer/*/"},
    "teamleader": {"/cases/", "/dashboards/branch/*/team/*/"},
    "leader": {"/cases/", "/cases/*/", "/dashboards/branch/*/"},
    "staff": {"/dashboards/", "/surveys/", "/surveys/*/", "/surveys/*/invitations/", "/cdci/campaigns/*/"},
    "admin": {"/surveys/", "/account/invite/"},
}


@pytest.fixture
def demo(settings) -> list[str]:
    """Seed the demo; the pages a visitor reaches only by a link sent to them: the survey and a rating link."""
    call_command("seed_demo", "--scale", "0.02", stdout=StringIO())
    # Demo accounts sign in only with DEBUG on; these tests run the portal as it is served, DEBUG off.
    User.objects.filter(username__in=ROLES).update(is_demo=False)
    campaign = Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("-year").first()
    business = User.objects.get(username="business")
    declaration = open_for_rating(Declaration.objects.for_user(business)).order_by("number").first()
    token = issue_link(declaration, business, via="email").token
    return [f"/survey/{sample_code(campaign)}/", f"/r/{token}/"]


def check_every_page(open_page, live_server, sent_links: list[str], viewport: dict, name: str) -> None:
    failures: dict[str, list[dict]] = {}
    options = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True} if viewport == PHONE else {}
    for role in [None, *ROLES]:
        page = open_page(viewport, f"{name}-{role}", **options)
        if role is None:
            start = ["/", "/accounts/login/", "/accounts/password_reset/", "/cdci/", *sent_links]
        else:
            login(page, live_server, role, DEMO_PASSWORD)
            start = ["/"]
        results = crawl(page, f"{live_server.url}/", start)
        reached = {page_kind(url.removeprefix(live_server.url).split("?")[0]) for url in results}
        missing = MUST_REACH[role] - reached
        assert not missing, f"{role or 'visitor'} reached no {sorted(missing)} from {start}"
        failures.update({f"{role or 'visitor'} {url}": found for url, found in results.items() if found})
    summary = "\n".join(
        f"{where}: {finding['rule']} ({finding['impact']}) at {finding['targets']}: {finding['summary']}"
        for where, found in failures.items()
        for finding in found
    )
    assert failures == {}, summary


def test_every_page_has_no_serious_accessibility_violation_on_a_desktop(demo, open_page, live_server):
    check_every_page(open_page, live_server, demo, DESKTOP, "desktop")


def test_every_page_has_no_serious_accessibility_violation_on_a_phone(demo, open_page, live_server):
    check_every_page(open_page, live_server, demo, PHONE, "phone")
