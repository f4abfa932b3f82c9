"""One-click rating links: the API that issues them, the /r/<secret>/ page that redeems them once, their
expiry, the reminder digest that carries them, and the audit trail."""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from directory.models import AuditEvent, OutboxMessage
from feedback.models import Declaration, Rating, RatingLink
from feedback.ratings.services import send_rating_reminders, submit_rating
from tests.conftest import make_declaration

DX, DY, DX_PENDING = "101234567890", "101234567891", "301234567892"
SITE = "http://portal.example.vn"


def link_api(number: str) -> str:
    return f"/api/v1/declarations/{number}/rating-link/"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def client_for(api_client, token_for):
    def as_user(user):
        api_client.credentials(HTTP_AUTHORIZATION=token_for(user))
        return api_client

    return as_user


def issue(client_for, user, number=DX) -> str:
    response = client_for(user).post(link_api(number))
    assert response.status_code == 201, response.content
    return response.json()["url"]


def path_of(url: str) -> str:
    assert url.startswith(SITE + "/r/")
    return url[len(SITE) :]


def audit_actions(link: RatingLink) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type=ContentType.objects.get_for_model(RatingLink), target_id=str(link.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- the API ------------------------------------------------------------------------------------


def test_the_api_answers_an_absolute_link_for_the_declarant(cast, client_for):
    response = client_for(cast.users.business).post(link_api(DX))

    assert response.status_code == 201
    answer = response.json()
    assert re.fullmatch(rf"{re.escape(SITE)}/r/[A-Za-z0-9_-]{{43}}/", answer["url"])
    link = RatingLink.objects.get()
    assert link.declaration == cast.dx and link.user == cast.users.business and link.used_at is None
    # Only the hash is stored: the secret in the URL is nowhere in the table.
    secret = answer["url"].rstrip("/").rsplit("/", 1)[1]
    assert secret not in link.token_hash and len(link.token_hash) == 64
    assert datetime.timedelta(days=6) < link.expires_at - timezone.now() <= datetime.timedelta(days=7)
    assert audit_actions(link) == ["rating_link.issued"]


def test_another_business_token_gets_404(cast, client_for):
    assert client_for(cast.users.rival).post(link_api(DX)).status_code == 404
    assert client_for(cast.users.business).post(link_api("999999999999")).status_code == 404
    assert not RatingLink.objects.exists()


@pytest.mark.parametrize("role", ["integration", "officer", "leader", "admin"])
def test_customs_integration_and_administrator_tokens_get_403(cast, client_for, role):
    assert client_for(getattr(cast.users, role)).post(link_api(DX)).status_code == 403
    assert not RatingLink.objects.exists()


def test_without_a_token_it_is_refused(cast, api_client):
    assert api_client.post(link_api(DX)).status_code in (401, 403)


def test_a_rated_declaration_is_409(cast, client_for):
    submit_rating(cast.dx, cast.users.business, channel="web", branch_level=5)
    response = client_for(cast.users.business).post(link_api(DX))
    assert response.status_code == 409
    assert "already been rated" in response.json()["detail"]


def test_a_declaration_not_cleared_is_400_naming_why(cast, client_for):
    response = client_for(cast.users.business).post(link_api(DX_PENDING))
    assert response.status_code == 400
    assert "has not been cleared yet" in response.json()["declaration"][0]


def test_a_declaration_whose_window_closed_is_400_naming_why(cast, client_for):
    old = make_declaration("102000000099", cast.business_x, cast.branch_a, cast.team_a1, days_ago=40)
    response = client_for(cast.users.business).post(link_api(old.number))
    assert response.status_code == 400
    assert "rating window of this declaration closed on" in response.json()["declaration"][0]


def test_the_link_never_outlives_the_rating_window(cast, client_for):
    late = make_declaration("102000000098", cast.business_x, cast.branch_a, cast.team_a1, days_ago=28)
    issue(client_for, cast.users.business, late.number)
    assert RatingLink.objects.get().expires_at == late.cleared_at + datetime.timedelta(days=30)


# --- the page -------------------------------------------------------------------------------------


def test_the_link_opens_the_form_without_a_session_and_rates_once(cast, client_for):
    path = path_of(issue(client_for, cast.users.business))
    browser = Client()

    page = browser.get(path)
    assert page.status_code == 200
    assert 'name="branch_level"' in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") and page["Referrer-Policy"] == "same-origin"
    assert "_auth_user_id" not in browser.session  # no session was opened
    confirm = browser.post(path, {"branch_level": "4", "action": "review"})
    assert confirm.status_code == 200 and "Check your rating" in confirm.content.decode()

    sent = browser.post(path, {"branch_level": "4", "action": "send"})
    assert sent.status_code == 200
    assert "Your rating has been sent" in sent.content.decode()
    rating = Rating.objects.get(declaration=cast.dx)
    assert rating.submitted_by == cast.users.business and rating.branch_level == 4
    link = RatingLink.objects.get()
    assert link.used_at is not None
    assert audit_actions(link) == ["rating_link.issued", "rating_link.used"]

    again = browser.post(path, {"branch_level": "1", "branch_reasons": ["delay"], "action": "send"})
    assert again.status_code == 410
    assert "already been used" in again.content.decode() and "/accounts/login/" in again.content.decode()
    assert Rating.objects.get(declaration=cast.dx).branch_level == 4
    reopened = browser.get(path)
    assert reopened.status_code == 410 and "already been used" in reopened.content.decode()


def test_an_invalid_rating_leaves_the_link_usable(cast, client_for):
    path = path_of(issue(client_for, cast.users.business))
    response = Client().post(path, {"team_level": "4", "action": "send"})  # the branch level is required
    assert response.status_code == 400
    assert RatingLink.objects.get().used_at is None and not Rating.objects.exists()


def test_a_declaration_rated_by_another_way_makes_the_link_used(cast, client_for):
    path = path_of(issue(client_for, cast.users.business))
    submit_rating(cast.dx, cast.users.broker, channel="api", branch_level=5)
    response = Client().get(path)
    assert response.status_code == 410 and "already been used" in response.content.decode()


def test_an_expired_link_explains_itself(cast, client_for):
    path = path_of(issue(client_for, cast.users.business))
    RatingLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = Client().post(path, {"branch_level": "5", "action": "send"})
    assert response.status_code == 410
    assert "has expired" in response.content.decode() and "/accounts/login/" in response.content.decode()
    assert not Rating.objects.exists()


def test_a_revoked_link_explains_itself(cast, client_for):
    path = path_of(issue(client_for, cast.users.business))
    RatingLink.objects.update(revoked_at=timezone.now())
    response = Client().get(path)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_a_link_of_a_user_who_left_the_business_no_longer_works(cast, client_for):
    path = path_of(issue(client_for, cast.users.broker))
    cast.users.broker.business_memberships.all().delete()
    response = Client().get(path)
    assert response.status_code == 410 and "not valid" in response.content.decode()
    assert not Rating.objects.exists()


def test_an_unknown_link_is_404_and_offers_the_login(cast):
    response = Client().get("/r/not-a-real-secret/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode() and "/accounts/login/" in response.content.decode()


def test_the_page_speaks_vietnamese_by_default(cast, vietnamese_default):
    response = Client().get("/r/not-a-real-secret/")
    assert 'lang="vi"' in response.content.decode()


def test_the_link_page_is_limited_per_address(cast, settings):
    settings.PAGE_LIMITS = {**settings.PAGE_LIMITS, "rating-link": (3, 600)}
    browser = Client()
    statuses = [browser.get(f"/r/guess-{i}/").status_code for i in range(4)]
    assert statuses == [404, 404, 404, 429]


# --- the reminder digest --------------------------------------------------------------------------


def test_the_reminder_digest_carries_a_working_link_per_declaration(cast):
    user = cast.users.business
    user.email, user.language = "x@example.vn", "en"
    user.save(update_fields=["email", "language"])
    make_declaration("102000000001", cast.business_x, cast.branch_a, cast.team_a1, days_ago=3)

    send_rating_reminders()
    send_rating_reminders()  # the day's digest is not queued again (its links are never seen)

    body = OutboxMessage.objects.get(to_email="x@example.vn").body
    urls = re.findall(rf"{re.escape(SITE)}/r/[A-Za-z0-9_-]+/", body)
    assert len(urls) == 2
    # The first link listed is for the oldest declaration: rate it through the link.
    first = path_of(urls[0])
    sent = Client().post(first, {"branch_level": "5", "action": "send"})
    assert sent.status_code == 200
    assert Rating.objects.get().declaration == Declaration.objects.get(number="102000000001")
    assert Client().get(first).status_code == 410
    assert Client().get(path_of(urls[1])).status_code == 200


def test_an_administrator_revokes_a_link_in_the_admin(cast, client_for):
    path = path_of(issue(client_for, cast.users.business))
    admin = Client()
    admin.force_login(cast.users.admin)
    link = RatingLink.objects.get()
    response = admin.post(
        "/admin/feedback/ratinglink/", {"action": "revoke", "_selected_action": [link.pk]}, follow=True
    )
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert audit_actions(link) == ["rating_link.issued", "rating_link.revoked"]
    assert Client().get(path).status_code == 410
