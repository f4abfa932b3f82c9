import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "portal.haiquan.example",
    "CSRF_TRUSTED_ORIGINS": "https://portal.haiquan.example",
    "DATABASE_URL": "sqlite:////tmp/never-opened.sqlite3",
}


def run_manage(*args, env_overrides):
    # The test runner's own switches (DJANGO_ALLOW_ASYNC_UNSAFE for Playwright) are not production's.
    dropped = ("DEBUG", "SECRET_KEY", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_with_production_settings_reports_no_issue():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key():
    env = dict(PRODUCTION_ENV)
    env["SECRET_KEY"] = ""
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_healthz_reports_database_and_eager_broker(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}


def test_healthz_reports_real_broker_state(db, settings):
    from customs_portal.celery import app

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    original = app.conf.broker_url
    try:
        app.conf.broker_url = redis_url
        assert Client().get("/healthz").json()["broker"] == "ok"
        app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
        response = Client().get("/healthz")
        assert response.status_code == 503
        assert response.json()["broker"].startswith("unreachable")
    finally:
        app.conf.broker_url = original


@pytest.mark.parametrize(("debug", "allowed"), [(True, True), (False, False)])
def test_demo_accounts_only_sign_in_when_debug(cast, settings, debug, allowed):
    from tests.conftest import PASSWORD

    settings.DEBUG = debug
    user = cast.users.business
    user.is_demo = True
    user.save(update_fields=["is_demo"])
    assert Client().login(username="business", password=PASSWORD) is allowed
    assert Client().login(username="rival", password=PASSWORD) is True  # real accounts always can


def test_demo_account_token_refused_when_debug_off(cast, settings, api_client, token_for):
    header = token_for(cast.users.integration)
    cast.users.integration.is_demo = True
    cast.users.integration.save(update_fields=["is_demo"])
    settings.DEBUG = False
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert api_client.get("/api/v1/declarations/").status_code == 401


def test_openapi_schema_and_docs_are_served(cast):
    client = Client()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    body = schema.content.decode()
    assert "/api/v1/declarations/" in body
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


def test_home_sends_each_role_to_its_place(cast):
    client = Client()
    assert client.get("/").status_code == 200  # public landing
    # Each role's home leads to its place of work (tests/test_home.py checks the figures).
    for role, target in [("business", "/declarations/?rated=false"), ("leader", "/cases/"), ("admin", "/admin/")]:
        client.force_login(getattr(cast.users, role))
        response = client.get("/")
        assert response.status_code == 200
        assert f'href="{target}"' in response.content.decode()


def test_language_switch_is_saved_for_signed_in_user(cast, vietnamese_default):
    client = Client()
    client.force_login(cast.users.business)
    assert client.get("/declarations/").wsgi_request.LANGUAGE_CODE == "vi"
    client.post("/language/", {"language": "en", "next": "/declarations/"})
    cast.users.business.refresh_from_db()
    assert cast.users.business.language == "en"
    assert client.get("/declarations/").wsgi_request.LANGUAGE_CODE == "en"


def test_vietnamese_is_default_whatever_the_browser_asks(db, vietnamese_default):
    from customs_portal import settings as configured

    assert configured.LANGUAGE_CODE == "vi"  # the fixture above only restores what settings.py says
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/")
    assert response.wsgi_request.LANGUAGE_CODE == "vi"
    assert '<html lang="vi">' in response.content.decode()


def test_language_switch_refuses_foreign_redirect(db):
    response = Client().post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
