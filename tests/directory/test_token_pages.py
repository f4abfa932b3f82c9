"""The account page and the business administrator's API token page."""

import lxml.html
import pytest

from directory.models import ApiToken, AuditEvent
from directory.services import issue_api_token

TOKENS_URL = "/account/tokens/"


def html(response):
    return lxml.html.fromstring(response.content.decode())


def revoke_url(token: ApiToken) -> str:
    return f"/account/tokens/{token.pk}/revoke/"


@pytest.fixture
def admin_client(cast, client):
    """`business` administers business X (conftest)."""
    client.force_login(cast.users.business)
    return client


def test_creating_a_token_shows_its_key_once_and_the_key_works_on_the_api(cast, admin_client, api_client):
    response = admin_client.post(TOKENS_URL, {"name": "ECUS kế toán"})

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    key = html(response).xpath("//code[@id='new-token-key']")[0].text_content().strip()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (cast.users.business, "ECUS kế toán", key[:8])
    assert AuditEvent.objects.filter(action="api_token.issued", actor=cast.users.business).exists()
    # The list never shows the key again, only its first characters.
    listing = admin_client.get(TOKENS_URL)
    assert key not in listing.content.decode() and f"{key[:8]}…" in listing.content.decode()

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answer = api_client.get("/api/v1/declarations/")
    assert answer.status_code == 200
    assert {row["number"] for row in answer.json()["results"]} >= {"101234567890"}


def test_token_name_is_required(cast, admin_client):
    response = admin_client.post(TOKENS_URL, {"name": "  "})

    assert response.status_code == 400
    assert html(response).xpath("//p[@id='token-name-error']")
    assert not ApiToken.objects.exists()


def test_list_shows_own_tokens_with_their_state_only(cast, admin_client):
    issue_api_token(cast.users.business, "ECUS")
    revoked, _key = issue_api_token(cast.users.business, "Old PC")
    revoked.revoked_at = revoked.created_at
    revoked.save()
    issue_api_token(cast.users.rival, "Rival software")

    page = html(admin_client.get(TOKENS_URL))

    rows = [" ".join(tr.text_content().split()) for tr in page.xpath("//table[contains(@class, 'data')]/tbody/tr")]
    assert len(rows) == 2
    assert rows[0].startswith("ECUS") and "Active" in rows[0] and "Never" in rows[0]
    assert rows[1].startswith("Old PC") and "Revoked on" in rows[1]
    assert "Rival software" not in page.text_content()
    assert len(page.xpath("//form[contains(@action, '/revoke/')]")) == 1  # only the active one


def test_revoking_a_token_stops_it_on_the_api(cast, admin_client, api_client):
    token, key = issue_api_token(cast.users.business, "ECUS")

    response = admin_client.post(revoke_url(token), follow=True)

    assert response.redirect_chain == [(TOKENS_URL, 302)]
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/declarations/").status_code == 401


def test_revoke_needs_a_post(cast, admin_client):
    token, _key = issue_api_token(cast.users.business, "ECUS")

    assert admin_client.get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_another_users_token_cannot_be_revoked(cast, admin_client):
    token, _key = issue_api_token(cast.users.rival, "Rival software")

    assert admin_client.post(revoke_url(token)).status_code == 404

    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("username", ["broker", "outsider", "officer", "leader", "staff", "integration", "admin"])
def test_users_who_are_not_business_administrators_are_refused(cast, client, username):
    # The broker acts for X and Y without the administrator flag; the others are not business users.
    user = getattr(cast.users, username)
    token, _key = issue_api_token(user, "mine")
    client.force_login(user)

    assert client.get(TOKENS_URL).status_code == 403
    assert client.post(TOKENS_URL, {"name": "x"}).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


def test_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(TOKENS_URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_account_page_links_to_tokens_for_business_administrators_only(cast, client):
    client.force_login(cast.users.business)
    assert html(client.get("/account/")).xpath(f"//a[@href='{TOKENS_URL}']")

    client.force_login(cast.users.broker)
    assert not html(client.get("/account/")).xpath(f"//a[@href='{TOKENS_URL}']")


def test_account_page_saves_language_and_reminder_opt_out(cast, client):
    user = cast.users.business
    client.force_login(user)
    assert html(client.get("/account/")).xpath("//input[@name='wants_rating_reminders'][@checked]")

    response = client.post("/account/", {"language": "en"})  # the box unticked: no reminders

    assert response.status_code == 302 and response.url == "/account/"
    assert response.cookies["django_language"].value == "en"
    user.refresh_from_db()
    assert (user.language, user.wants_rating_reminders) == ("en", False)
    assert "Your settings have been saved." in client.get("/account/").content.decode()

    client.post("/account/", {"language": "vi", "wants_rating_reminders": "on"})
    user.refresh_from_db()
    assert (user.language, user.wants_rating_reminders) == ("vi", True)


def test_account_page_of_customs_staff_has_no_reminder_choice(cast, client):
    client.force_login(cast.users.leader)

    page = html(client.get("/account/"))

    assert page.xpath("//select[@name='language']")
    assert not page.xpath("//input[@name='wants_rating_reminders']")
    response = client.post("/account/", {"language": "en"})
    assert response.status_code == 302
    cast.users.leader.refresh_from_db()
    assert cast.users.leader.wants_rating_reminders is True  # untouched


def test_account_page_rejects_an_unknown_language(cast, client):
    client.force_login(cast.users.business)

    response = client.post("/account/", {"language": "fr", "wants_rating_reminders": "on"})

    assert response.status_code == 200
    assert html(response).xpath("//p[@class='field-errors']")
