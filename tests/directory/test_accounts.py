"""Accounts that manage themselves: password reset and change, invitations, the user's sessions."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client

from core import clock
from directory import accounts
from directory.choices import Role
from directory.models import AuditEvent, BusinessMembership, OutboxMessage, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-long-new-passphrase-42"
RESET_URL = "/accounts/password_reset/"


def link_in(message: OutboxMessage) -> str:
    """The path of the link in a queued mail."""
    return urlsplit(re.search(r"https?://\S+", message.body).group(0)).path


def follow_token_link(client, path: str):
    """Django moves the token out of the address (into the session) with a redirect before the form."""
    response = client.get(path)
    assert response.status_code == 302
    return response["Location"]


# --- password reset -----------------------------------------------------------------------------


def test_reset_mail_goes_to_the_outbox_and_its_link_sets_a_new_password_once(cast, client):
    user = cast.users.business
    user.email = "ketoan@congty-x.vn"
    user.save()

    response = client.post("/accounts/password_reset/", {"email": "KeToan@congty-x.vn"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    message = OutboxMessage.objects.get(kind="password_reset")
    assert message.recipient == user and message.to_email == user.email
    assert "business" in message.body

    form_url = follow_token_link(client, link_in(message))
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_reset", actor=user).exists()

    # Once only: the password changed, so the token no longer matches.
    response = client.get(link_in(message), follow=True)
    assert "This link has expired or has already been used." in response.content.decode()


def test_an_expired_reset_link_refuses_with_a_clear_message(cast, client, settings):
    user = cast.users.business
    user.email = "ketoan@congty-x.vn"
    user.save()
    client.post("/accounts/password_reset/", {"email": user.email})
    message = OutboxMessage.objects.get(kind="password_reset")
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(link_in(message), follow=True)
    assert "This link has expired or has already been used." in response.content.decode()
    assert "Ask for a new link" in response.content.decode()


@pytest.mark.parametrize("who", ["integration", "demo", "unknown"])
def test_reset_never_mails_accounts_without_web_sign_in_and_never_tells(cast, client, settings, who):
    settings.DEBUG = False
    if who == "integration":
        cast.users.integration.email = "bridge@haiquan.example"
        cast.users.integration.save()
        email = "bridge@haiquan.example"
    elif who == "demo":
        cast.users.business.email = "demo@haiquan.example"
        cast.users.business.is_demo = True
        cast.users.business.save()
        email = "demo@haiquan.example"
    else:
        email = "nobody@nowhere.example"
    response = client.post("/accounts/password_reset/", {"email": email})
    # The same answer as for a real account: nobody learns whether the address exists.
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert not OutboxMessage.objects.exists()


def test_the_login_page_links_to_the_reset_page(db, client):
    assert 'href="/accounts/password_reset/"' in client.get("/accounts/login/").content.decode()


def test_reset_mail_is_in_the_recipients_language(cast, client, vietnamese_default):
    user = cast.users.business
    user.email = "ketoan@congty-x.vn"
    user.save()
    client.post("/accounts/password_reset/", {"email": user.email})
    message = OutboxMessage.objects.get()
    assert message.language == "vi"


# --- password change ----------------------------------------------------------------------------


def test_password_change_is_audited_and_keeps_this_session(cast, client):
    user = cast.users.leader
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password_change/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_changed", actor=user).exists()
    assert client.get("/account/").status_code == 200


def test_password_change_refuses_a_wrong_old_password(cast, client):
    client.force_login(cast.users.leader)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="user.password_changed").exists()


# --- invitations --------------------------------------------------------------------------------


def test_administrator_invites_a_branch_leader_who_sets_a_password_and_signs_in(cast, client):
    client.force_login(cast.users.admin)
    response = client.post(
        "/account/invite/",
        {
            "email": "Lanh.Dao@haiquan.example",
            "full_name": "Phạm Văn Dũng",
            "role": Role.BRANCH_LEADER,
            "branch": cast.branch_b.pk,
        },
    )
    assert response.status_code == 302
    invitee = User.objects.get(email="lanh.dao@haiquan.example")
    assert (invitee.role, invitee.branch, invitee.is_active, invitee.has_usable_password()) == (
        Role.BRANCH_LEADER,
        cast.branch_b,
        False,
        False,
    )
    assert (invitee.first_name, invitee.last_name) == ("Phạm Văn", "Dũng")
    assert AuditEvent.objects.filter(action="user.invited", actor=cast.users.admin).exists()
    message = OutboxMessage.objects.get(kind="invitation", recipient=invitee)

    client.logout()
    form_url = follow_token_link(client, link_in(message))
    assert "lanh.dao@haiquan.example" in client.get(form_url).content.decode()
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    invitee.refresh_from_db()
    assert invitee.is_active and invitee.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.invitation_accepted", actor=invitee).exists()
    assert client.login(username="lanh.dao@haiquan.example", password=NEW_PASSWORD)

    client.logout()
    response = client.get(link_in(message), follow=True)
    assert "This invitation has already been used" in response.content.decode()


def test_an_expired_invitation_refuses_with_a_clear_message(cast, settings):
    invitee, _created = accounts.invite(
        cast.users.admin,
        accounts.InvitationRequest(email="late@congty-x.vn", full_name="Lê Muộn", businesses=(cast.business_x,)),
    )
    token = accounts.invitation_token_generator.make_token(invitee)
    assert accounts.invitation_token_generator.check_token(invitee, token)
    settings.INVITATION_TIMEOUT = -1
    assert not accounts.invitation_token_generator.check_token(invitee, token)


def test_expired_invitation_page_says_so(cast, client, settings):
    accounts.invite(
        cast.users.admin,
        accounts.InvitationRequest(email="late@congty-x.vn", full_name="Lê Muộn", businesses=(cast.business_x,)),
    )
    message = OutboxMessage.objects.get(kind="invitation")
    settings.INVITATION_TIMEOUT = -1
    response = client.get(link_in(message), follow=True)
    assert "This invitation link has expired or is not valid." in response.content.decode()


def test_a_reset_token_is_no_invitation(cast):
    from django.contrib.auth.tokens import default_token_generator

    invitee, _created = accounts.invite(
        cast.users.admin,
        accounts.InvitationRequest(email="x@congty-x.vn", full_name="X", businesses=(cast.business_x,)),
    )
    assert not accounts.invitation_token_generator.check_token(invitee, default_token_generator.make_token(invitee))


def test_business_administrator_invites_a_colleague_for_its_own_business(cast, client):
    client.force_login(cast.users.business)
    page = client.get("/account/invite/").content.decode()
    assert cast.business_x.name in page and cast.business_y.name not in page
    response = client.post(
        "/account/invite/",
        {"email": "nv@congty-x.vn", "full_name": "Nhân Viên", "businesses": [cast.business_x.pk]},
    )
    assert response.status_code == 302
    invitee = User.objects.get(email="nv@congty-x.vn")
    assert invitee.role == Role.BUSINESS
    assert list(invitee.businesses.all()) == [cast.business_x]
    assert not BusinessMembership.objects.get(user=invitee).is_admin


def test_business_administrator_cannot_invite_for_another_business(cast, client):
    client.force_login(cast.users.business)
    response = client.post(
        "/account/invite/",
        {"email": "nv@congty-y.vn", "full_name": "Nhân Viên", "businesses": [cast.business_y.pk]},
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="nv@congty-y.vn").exists()
    with pytest.raises(ValidationError):
        accounts.invite(
            cast.users.business,
            accounts.InvitationRequest(email="nv@congty-y.vn", full_name="N", businesses=(cast.business_y,)),
        )
    with pytest.raises(ValidationError):  # nor a customs role
        accounts.invite(
            cast.users.business,
            accounts.InvitationRequest(
                email="o@congty-x.vn", full_name="N", role=Role.BRANCH_LEADER, branch_id=cast.branch_a.pk
            ),
        )


@pytest.mark.parametrize("who", ["broker", "leader", "officer"])
def test_users_who_administer_no_business_cannot_invite(cast, client, who):
    client.force_login(getattr(cast.users, who))
    assert client.get("/account/invite/").status_code == 403
    response = client.post(
        "/account/invite/", {"email": "nv@congty-x.vn", "full_name": "N", "businesses": [cast.business_x.pk]}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="nv@congty-x.vn").exists()
    assert "/account/invite/" not in client.get("/account/").content.decode()


def test_a_broker_is_invited_by_each_business_and_acts_for_both(cast, client):
    client.force_login(cast.users.business)
    client.post(
        "/account/invite/", {"email": "dl@broker.vn", "full_name": "Đại Lý", "businesses": [cast.business_x.pk]}
    )
    broker = User.objects.get(email="dl@broker.vn")
    client.force_login(cast.users.rival)
    response = client.post(
        "/account/invite/", {"email": "DL@broker.vn", "full_name": "Đại Lý", "businesses": [cast.business_y.pk]}
    )
    assert response.status_code == 302
    assert set(broker.businesses.all()) == {cast.business_x, cast.business_y}
    assert User.objects.filter(email__iexact="dl@broker.vn").count() == 1
    assert AuditEvent.objects.filter(action="user.memberships_added", actor=cast.users.rival).exists()
    # Not accepted yet: a fresh invitation naming both businesses.
    latest = OutboxMessage.objects.filter(kind="invitation", recipient=broker).latest("id")
    assert cast.business_x.name in latest.body and cast.business_y.name in latest.body


def test_an_active_user_added_to_a_business_is_told_by_mail(cast):
    broker = cast.users.outsider
    broker.email = "outsider@broker.vn"
    broker.save()
    user, created = accounts.invite(
        cast.users.admin,
        accounts.InvitationRequest(email="outsider@broker.vn", full_name="O", businesses=(cast.business_x,)),
    )
    assert (user, created) == (broker, False)
    assert OutboxMessage.objects.get(recipient=broker).kind == "memberships_added"


def test_administrator_invites_a_broker_for_several_businesses_by_tax_code(cast, client):
    client.force_login(cast.users.admin)
    response = client.post(
        "/account/invite/",
        {
            "email": "dl@broker.vn",
            "full_name": "Đại Lý",
            "role": Role.BUSINESS,
            "tax_codes": f"{cast.business_x.tax_code}, {cast.business_y.tax_code}",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="dl@broker.vn").businesses.count() == 2


def test_invitation_form_explains_what_is_missing(cast, client):
    client.force_login(cast.users.admin)
    response = client.post(
        "/account/invite/", {"email": "x@haiquan.example", "full_name": "X", "role": Role.TEAM_LEADER}
    )
    assert response.status_code == 400
    assert "This role needs this field." in response.content.decode()
    response = client.post(
        "/account/invite/",
        {"email": "x@haiquan.example", "full_name": "X", "role": Role.BUSINESS, "tax_codes": "0100109106"},
    )
    assert "No business has the tax code" in response.content.decode()


def test_an_existing_customs_account_cannot_be_invited_again(cast):
    cast.users.leader.email = "leader@haiquan.example"
    cast.users.leader.save()
    with pytest.raises(ValidationError):
        accounts.invite(
            cast.users.admin,
            accounts.InvitationRequest(
                email="leader@haiquan.example", full_name="L", role=Role.BRANCH_LEADER, branch_id=cast.branch_a.pk
            ),
        )


# --- sessions -----------------------------------------------------------------------------------


def sign_in(client_class, user_agent: str):
    client = client_class(HTTP_USER_AGENT=user_agent)
    response = client.post("/accounts/login/", {"username": "leader", "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_user_sees_their_sessions_and_ends_one_or_all_others(cast):
    phone = sign_in(Client, "Mozilla/5.0 (iPhone) Safari")
    office = sign_in(Client, "Mozilla/5.0 (Windows NT 10.0) Firefox")
    laptop = sign_in(Client, "Mozilla/5.0 (Macintosh) Chrome")
    other = Client()
    other.force_login(cast.users.rival)

    page = office.get("/account/sessions/").content.decode()
    assert "iPhone" in page and "Macintosh" in page and "Windows NT" in page
    listed = accounts.active_sessions(cast.users.leader, office.session.session_key)
    assert len(listed) == 3 and listed[0].is_current
    assert all(s.signed_in_at is not None for s in listed)
    assert office.session.session_key not in page

    phone_ref = accounts.session_ref(phone.session.session_key)
    office.post("/account/sessions/end/", {"session": phone_ref})
    assert phone.get("/account/").status_code == 302  # signed out
    assert laptop.get("/account/").status_code == 200
    event = AuditEvent.objects.get(action="user.sessions_ended")
    assert event.changes == {"count": 1, "all_others": False}

    office.post("/account/sessions/end/")
    assert laptop.get("/account/").status_code == 302
    assert office.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 200  # someone else's session is never touched


def test_a_user_cannot_end_someone_elses_session(cast):
    victim = Client()
    victim.force_login(cast.users.rival)
    attacker = sign_in(Client, "x")
    attacker.post("/account/sessions/end/", {"session": accounts.session_ref(victim.session.session_key)})
    assert victim.get("/account/").status_code == 200
    assert Session.objects.count() == 2
    assert not AuditEvent.objects.filter(action="user.sessions_ended").exists()


def test_reset_requests_cannot_flood_a_mailbox(cast, client, settings):
    settings.PAGE_LIMITS = {**settings.PAGE_LIMITS, "password-reset": (3, 3600)}
    cast.users.business.email = "ketoan@congty-x.vn"
    cast.users.business.save()
    start = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    with clock.at(start):
        answers = [client.post(RESET_URL, {"email": "ketoan@congty-x.vn"}).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    # One mail per account and window however many requests got through.
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 1
    settings.PAGE_LIMITS = {**settings.PAGE_LIMITS, "password-reset": (10, 3600)}
    with clock.at(start + datetime.timedelta(seconds=accounts.RESET_MAIL_WINDOW_SECONDS)):
        client.post("/accounts/password_reset/", {"email": "ketoan@congty-x.vn"})
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 2


def test_administrator_invites_an_officer_attached_to_their_officer_record(cast, client):
    spare = cast.officers.oa2  # no account yet
    client.force_login(cast.users.admin)
    page = client.get("/account/invite/").content.decode()
    assert spare.full_name in page and cast.officers.oa1.full_name not in page  # oa1 has an account
    response = client.post(
        "/account/invite/",
        {"email": "binh@haiquan.example", "full_name": spare.full_name, "role": Role.OFFICER, "officer": spare.pk},
    )
    assert response.status_code == 302
    assert User.objects.get(email="binh@haiquan.example").officer == spare


def test_password_fields_speak_vietnamese_by_default(cast, client, vietnamese_default):
    client.force_login(cast.users.business)
    page = client.get("/accounts/password_change/").content.decode()
    assert "Mật khẩu mới" in page
