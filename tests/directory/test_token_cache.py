"""API tokens checked lately are trusted for API_TOKEN_CACHE_SECONDS without asking the database again, and
a revocation still takes effect: at once in the process that revokes, within those seconds anywhere else."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory import authentication
from directory.models import ApiToken
from directory.services import issue_api_token, revoke_api_token

DECLARATIONS = "/api/v1/declarations/"


class Clock:
    """Monotonic time the test moves forward (the cache's TTL), starting from the real one."""

    def __init__(self, monkeypatch):
        self.now = authentication._now()
        monkeypatch.setattr(authentication, "_now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def business_token(cast, api_client):
    token, key = issue_api_token(cast.users.business, "ecus")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return token


def token_queries(api_client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = api_client.get(DECLARATIONS).status_code
    return status, sum('FROM "directory_apitoken"' in query["sql"] for query in captured.captured_queries)


def test_a_token_checked_lately_is_not_read_again(api_client, business_token, settings, clock):
    settings.API_TOKEN_CACHE_SECONDS = 5
    assert token_queries(api_client) == (200, 1)
    assert token_queries(api_client) == (200, 0)
    clock.advance(6)
    assert token_queries(api_client) == (200, 1)


def test_a_token_revoked_through_the_service_stops_at_once(api_client, business_token, settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    assert api_client.get(DECLARATIONS).status_code == 200
    revoke_api_token(business_token)
    answer = api_client.get(DECLARATIONS)
    assert answer.status_code == 401 and answer.json()["detail"] == "Invalid or revoked token."


def test_a_token_revoked_in_another_process_stops_within_the_cache_seconds(api_client, business_token, settings, clock):
    settings.API_TOKEN_CACHE_SECONDS = 5
    assert api_client.get(DECLARATIONS).status_code == 200
    # Another process revokes it: no signal reaches this one, only the database changes.
    ApiToken.objects.filter(pk=business_token.pk).update(revoked_at=timezone.now())
    clock.advance(4)
    assert api_client.get(DECLARATIONS).status_code == 200  # the bound the setting states
    clock.advance(2)
    assert api_client.get(DECLARATIONS).status_code == 401
    clock.advance(60)
    assert api_client.get(DECLARATIONS).status_code == 401  # a refused token is never kept


def test_a_disabled_account_is_refused_at_once_in_this_process(api_client, business_token, cast, settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    assert api_client.get(DECLARATIONS).status_code == 200
    user = cast.users.business
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_client.get(DECLARATIONS).status_code == 401


def test_no_cache_seconds_reads_the_token_every_time(api_client, business_token, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    assert token_queries(api_client) == (200, 1)
    assert token_queries(api_client) == (200, 1)


def test_a_request_changing_its_user_leaves_the_kept_one_alone(business_token, settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    key_hash = business_token.key_hash
    first = authentication._lookup(key_hash)
    assert first is not None
    first.user.language = "xx"
    second = authentication._lookup(key_hash)
    assert second is not None and second.user is not first.user and second.user.language != "xx"


def test_each_token_answers_for_its_own_user(api_client, cast, business_token, settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    numbers = [row["number"] for row in api_client.get(DECLARATIONS).json()["results"]]
    assert cast.dx.number in numbers and cast.dy.number not in numbers
    _token, key = issue_api_token(cast.users.rival, "rival")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    numbers = [row["number"] for row in api_client.get(DECLARATIONS).json()["results"]]
    assert cast.dy.number in numbers and cast.dx.number not in numbers
