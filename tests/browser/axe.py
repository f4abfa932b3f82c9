"""axe-core in the browser tests: the npm package's axe.min.js (node_modules, never a CDN), run on a page,
and a crawler that visits one page of each kind a signed-in user can reach by following links.

axe is handed to the page through the DevTools protocol (`page.evaluate`), not as a <script> tag: the
portal's Content-Security-Policy refuses inline scripts, and it must stay on during the checks.
"""

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What must be zero on every page; "moderate" and "minor" findings are reported but do not fail.
BLOCKING_IMPACTS = {"serious", "critical"}
# Not portal pages (Django's admin, the API and its docs) or not pages at all (downloads, state changes).
SKIPPED = re.compile(
    r"^/(admin|api|static|media)/|^/accounts/logout/|^/language/|^/healthz|^/r/"
    r"|\.(xlsx|json|csv|pdf)$|/download/|/cancel/|/retry/|/status/|/do/|/revoke/|/compute/|/publish/|/reopen/"
)


def run_axe(page: Page) -> list[dict]:
    """The serious and critical violations axe finds on the page as it is now, one dict per rule."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
            "summary": violation["nodes"][0].get("failureSummary", "")[:300],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def page_kind(path: str) -> str:
    """One address per kind of page: numbers, codes and tokens in the path become '*'."""
    return "/".join("*" if re.search(r"\d|[A-Z]", segment) else segment for segment in path.split("/"))


def same_site_links(page: Page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]:not([download])", "links => links.map(link => link.getAttribute('href'))"
    )
    found = []
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if url.startswith(base_url) and not SKIPPED.search(parts.path):
            found.append(url.split("#")[0])
    return found


def crawl(page: Page, base_url: str, start: list[str], *, limit: int = 60) -> dict[str, list[dict]]:
    """Visit `start` and then one page of each kind linked from what was visited; axe's serious and
    critical violations by address (addresses without any are listed with [])."""
    queue = deque(urljoin(base_url, path) for path in start)
    seen_kinds: set[str] = set()
    results: dict[str, list[dict]] = {}
    while queue and len(results) < limit:
        url = queue.popleft()
        kind = page_kind(urlsplit(url).path)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file behind a link without an extension (an export), not a page
            raise
        assert response is not None and response.ok, f"{url} answered {response and response.status}"
        results[url] = run_axe(page)
        queue.extend(same_site_links(page, base_url))
    return results
