"""Fuzz probes of query parameters and paths: every list and detail page and API, for the roles that open
it, answers a bad value with 400 (a message naming the parameter, in the page or the JSON) or a clean
404 for a missing object; never 500 (the test client re-raises a server error) and never silently.

The values are those that broke pages from outside: `?version=²`, `?department=%00`, `period=0001-01`,
`period=5000-01..9998-12` (took 22 s), a reversed month range, `page=abc`, `page=999999`.

A page past the end: an HTML page shows its last page (200); the API answers 404 naming `page`
(docs/architecture.md, "Lists").
"""

from urllib.parse import parse_qsl

import pytest

from core.query import has_control_characters
from tests.surveys.conftest import campaign, surveyor  # noqa: F401  (fixtures)

# (parameters, what a page reading them must answer)
BAD_VALUES = {
    "version-superscript": ({"version": "²"}, 400),
    "version-arabic": ({"version": "٢"}, 400),
    "department-nul": ({"department": "\x00"}, 400),
    "department-junk": ({"department": "<x>"}, 400),
    "period-year-1": ({"period": "0001-01"}, 400),
    "period-5000-years": ({"period": "5000-01..9998-12"}, 400),
    "period-11-years": ({"period": "2010-01..2020-12"}, 400),
    "period-reversed": ({"period": "2025-06..2025-01"}, 400),
    "period-superscript": ({"period": "202²"}, 400),
    "months-reversed": ({"start": "2025-06", "end": "2025-01"}, 400),
    "month-year-9999": ({"start": "9999-01", "end": "9999-02"}, 400),
    "channel-unknown": ({"channel": "blue"}, 400),
    "page-text": ({"page": "abc"}, 400),
    "page-superscript": ({"page": "²"}, 400),
    "page-zero": ({"page": "0"}, 400),
    "page-far": ({"page": "999999"}, "last page"),
    "cleared-year-1": ({"cleared_from": "0001-01-01"}, 400),
    "cleared-reversed": ({"cleared_from": "2025-06-01", "cleared_to": "2025-01-01"}, 400),
    "opened-reversed": ({"opened_from": "2025-06-01", "opened_to": "2025-01-01"}, 400),
    "opened-year-9999": ({"opened_to": "9999-12-31"}, 400),
    "status-unknown": ({"status": "nope"}, 400),
    "page-huge": ({"page": "9" * 5000}, 400),
    "nul-anywhere": ({"q": "a\x00b"}, 400),
}

# (who, url, the parameters the page reads): anything it reads answers as BAD_VALUES says.
PERIOD = {"period", "start", "end", "channel"}
PAGES = [
    ("business", "/declarations/", {"page", "cleared_from", "cleared_to", "channel", "rated"}),
    ("staff", "/declarations/", {"page", "cleared_from", "cleared_to", "channel", "rated"}),
    ("officer", "/declarations/", {"page", "cleared_from", "cleared_to", "channel", "rated"}),
    ("staff", "/cases/", {"page", "opened_from", "opened_to", "status"}),
    ("leader", "/cases/", {"page", "opened_from", "opened_to", "status"}),
    ("officer", "/cases/", {"page", "opened_from", "opened_to", "status"}),
    ("business", "/cases/", {"page", "opened_from", "opened_to", "status"}),
    ("staff", "/dashboards/", PERIOD),
    ("leader", "/dashboards/branch/MC/", PERIOD),
    ("team_leader", "/dashboards/branch/MC/team/MC-TT/", PERIOD),
    ("officer", "/dashboards/officer/OA1/", PERIOD),
    ("leader", "/dashboards/ratings/?level=branch&code=MC", PERIOD),
    ("staff", "/surveys/", {"page"}),
    ("surveyor", "/surveys/{campaign}/invitations/", {"page", "status", "q"}),
    ("staff", "/surveys/{campaign}/review/", {"page"}),
    (None, "/cdci/2025/", {"version", "department"}),
    (None, "/api/v1/cdci/2025/ranking/", {"version", "department"}),
    ("business", "/api/v1/declarations/", {"page", "cleared_from", "cleared_to", "channel", "rated"}),
    ("integration", "/api/v1/declarations/", {"page", "cleared_from", "cleared_to", "channel", "rated"}),
    ("staff", "/api/v1/cases/", {"page", "opened_from", "opened_to", "status"}),
    ("business", "/api/v1/cases/", {"page", "opened_from", "opened_to", "status"}),
]
# Paths that name something that cannot exist: a clean 404 (or 400 for a control character).
MISSING = [
    ("business", "/declarations/١٠١٢٣٤٥٦٧٨٩٠/", 404),
    ("business", "/declarations/%00/", 400),
    ("business", "/declarations/101234567890%00/rate/", 400),
    ("staff", "/cases/99999999999999999999/", 404),
    ("staff", "/dashboards/branch/%00/", 400),
    ("staff", "/dashboards/officer/%C2%B2/", 404),
    ("staff", "/surveys/99999999999999999999/invitations/", 404),
    (None, "/cdci/99999999999/", 404),
    (None, "/survey/%00/", 400),
    ("business", "/api/v1/declarations/10123456789%C2%B2/", 404),
    ("staff", "/api/v1/cases/99999999999999999999/", 404),
]


def _client(client, cast, who, surveyor):  # noqa: F811
    if who == "surveyor":
        client.force_login(surveyor)
    elif who is not None:
        client.force_login(getattr(cast.users, who))
    return client


@pytest.mark.parametrize(("who", "url", "reads"), PAGES, ids=[f"{who}:{url}" for who, url, _r in PAGES])
def test_bad_query_values_answer_400_or_404_never_500(client, cast, campaign, surveyor, who, url, reads):  # noqa: F811
    path, _sep, fixed = url.format(campaign=campaign.pk).partition("?")
    fixed = dict(parse_qsl(fixed))
    client = _client(client, cast, who, surveyor)
    baseline = client.get(path, fixed).status_code
    wrong = []
    for case, (params, expected) in BAD_VALUES.items():
        response = client.get(path, {**fixed, **params})
        if any(has_control_characters(value) for value in params.values()):
            expected = 400  # refused for every page (core.middleware)
        elif not set(params) & reads:
            expected = None  # a parameter the page does not read changes nothing
        if expected == "last page":
            expected = 404 if path.startswith("/api/") else 200
            if expected == 404 and "page" not in response.content.decode():
                wrong.append((case, "the 404 does not name the parameter"))
        if expected is None:
            if response.status_code != baseline:
                wrong.append((case, response.status_code))
        elif response.status_code != expected:
            wrong.append((case, response.status_code))
        elif expected == 400 and not any(name in response.content.decode() for name in params):
            wrong.append((case, "the message does not name the parameter"))
    assert wrong == []


@pytest.mark.parametrize(("who", "url", "expected"), MISSING, ids=[url for _w, url, _e in MISSING])
def test_paths_naming_nothing_answer_404_or_400(client, cast, surveyor, who, url, expected):  # noqa: F811
    assert _client(client, cast, who, surveyor).get(url).status_code == expected


def test_the_400_page_speaks_the_users_language(client, cast, vietnamese_default):
    client.force_login(cast.users.staff)
    response = client.get("/dashboards/", {"period": "0001-01"})
    assert response.status_code == 400
    assert '<html lang="vi">' in response.content.decode()


def test_an_api_400_carries_errors(client, cast):
    response = client.get("/api/v1/cdci/2025/ranking/", {"version": "²"})
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


def test_an_api_address_no_route_matches_answers_json(client):
    response = client.get("/api/v1/cdci/-1/ranking/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
