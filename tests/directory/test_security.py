"""Logins that cannot be hammered, rate limits on the API and the survey pages, and the headers that keep
pages' scripts our own and personal pages out of caches."""

import datetime
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from directory.models import AuditEvent
from directory.throttling import AddressRateThrottle, TokenRateThrottle, WindowCountThrottle
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def attempt(client, path, username, password):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7")


@pytest.mark.parametrize("path", [LOGIN, ADMIN_LOGIN])
def test_five_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(client, cast, settings, path):
    settings.AXES_FAILURE_LIMIT = 5
    username = "admin" if path == ADMIN_LOGIN else "business"
    user = cast.users.admin if path == ADMIN_LOGIN else cast.users.business
    assert user.username == username
    for _ in range(4):
        assert attempt(client, path, username, "wrong").status_code == 200  # the form again, with its error
    locked = attempt(client, path, username, "wrong")
    assert locked.status_code == 429
    assert "paused for 15 minutes" in locked.content.decode()

    assert attempt(client, path, username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.for_object(user).filter(action="auth.locked_out").count() >= 1


def test_the_lockout_ends_after_the_cool_off(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, LOGIN, "business", "wrong")
    assert attempt(client, LOGIN, "business", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(1))
    assert attempt(client, LOGIN, "business", PASSWORD).status_code == 302


def test_the_lockout_is_per_account_and_address(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, LOGIN, "business", "wrong")
    # Another account from the same address, and the same account from another address, still sign in.
    assert attempt(client, LOGIN, "rival", PASSWORD).status_code == 302
    client.logout()
    other = client.post(LOGIN, {"username": "business", "password": PASSWORD}, REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 302


@pytest.mark.parametrize("path", [LOGIN, ADMIN_LOGIN])
def test_the_integration_account_cannot_sign_in_to_pages(client, cast, path):
    response = attempt(client, path, "integration", PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_integration_account_keeps_its_api(api_client, cast, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.integration))
    assert api_client.get("/api/v1/declarations/").status_code == 200


@pytest.fixture
def throttle_clock(monkeypatch):
    """The throttles' clock, set by the test: counts are per fixed window, and a real clock could cross a
    window's end between two requests."""
    clock = {"now": 1_000_000 * 60 + 20.0}  # 20 s into a minute
    monkeypatch.setattr(WindowCountThrottle, "timer", staticmethod(lambda: clock["now"]))
    return clock


def test_an_api_token_over_its_rate_gets_429_with_retry_after(api_client, cast, token_for, monkeypatch, throttle_clock):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min", "address": "1000/min"})
    monkeypatch.setattr(AddressRateThrottle, "THROTTLE_RATES", {"token": "3/min", "address": "1000/min"})
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.business))
    codes = [api_client.get("/api/v1/declarations/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # until the minute ends: 40 s from the clock's 20 s past
    refused = api_client.get("/api/v1/declarations/")
    assert refused.status_code == 429 and refused["Retry-After"] == "40"
    throttle_clock["now"] += 39
    assert api_client.get("/api/v1/declarations/").status_code == 429
    throttle_clock["now"] += 1
    assert api_client.get("/api/v1/declarations/").status_code == 200
    # Another token of another user is counted apart.
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.rival))
    assert api_client.get("/api/v1/declarations/").status_code == 200


def test_one_address_over_its_rate_gets_429_whoever_asks(api_client, cast, token_for, monkeypatch, throttle_clock):
    rates = {"token": "1000/min", "address": "2/min"}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AddressRateThrottle, "THROTTLE_RATES", rates)
    for user in (cast.users.business, cast.users.rival):
        api_client.credentials(HTTP_AUTHORIZATION=token_for(user))
        assert api_client.get("/api/v1/declarations/").status_code == 200
    response = api_client.get("/api/v1/declarations/")
    assert response.status_code == 429 and "Retry-After" in response


def test_guessing_survey_codes_from_one_address_is_slowed_down(client, db, settings):
    settings.PAGE_LIMITS = {"survey-code": (5, 600)}
    codes = [client.get(f"/survey/GUESS{n:04d}/").status_code for n in range(6)]
    assert 429 not in codes[:5] and codes[5] == 429
    other = client.get("/survey/GUESS9999/", REMOTE_ADDR="198.51.100.9")
    assert other.status_code != 429


def test_pages_carry_a_content_security_policy_without_inline_code(client, cast):
    client.force_login(cast.users.staff)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.I)


def test_no_template_carries_inline_script_style_or_handler():
    offenders = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        text = path.read_text()
        if INLINE_SCRIPT.search(text) or INLINE_STYLE.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_personal_pages_and_api_answers_are_not_stored_but_public_pages_may_be(client, api_client, cast, token_for):
    client.force_login(cast.users.business)
    assert "no-store" in client.get(reverse("home"))["Cache-Control"]
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.business))
    assert "no-store" in api_client.get("/api/v1/declarations/")["Cache-Control"]

    client.logout()
    public = client.get(reverse("cdci:cdci-methodology"))
    assert "no-store" not in public.get("Cache-Control", "")
