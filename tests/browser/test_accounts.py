"""Accounts in a real browser: a forgotten password reset by e-mail, and an invitation accepted."""

import re

import pytest
from playwright.sync_api import expect

from directory.choices import Role
from directory.models import OutboxMessage, User
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-new-passphrase-42"


def link_in(message: OutboxMessage) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def set_password(page, button: str) -> None:
    page.get_by_label("New password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_forgotten_password_is_reset_from_the_link_in_the_mail(cast, page, live_server, settings):
    settings.SITE_URL = live_server.url
    user = cast.users.business
    user.email = "ketoan@congty-x.vn"
    user.save()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgotten password?").click()
    page.get_by_label("Email").fill("ketoan@congty-x.vn")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    page.goto(link_in(OutboxMessage.objects.get(kind="password_reset")))
    set_password(page, "Save the new password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")

    login(page, live_server, "business", NEW_PASSWORD)
    assert page.url.rstrip("/") != f"{live_server.url}/accounts/login"
    expect(page.get_by_role("link", name="My account")).to_be_visible()


def test_administrator_invites_a_business_user_who_sets_a_password_and_signs_in(cast, open_page, live_server, settings):
    settings.SITE_URL = live_server.url
    admin = open_page()
    login(admin, live_server, "admin")
    admin.get_by_role("link", name="My account").click()
    admin.get_by_role("link", name="Invite a user").click()
    admin.get_by_label("E-mail address").fill("nv@congty-x.vn")
    admin.get_by_label("Full name").fill("Nguyễn Thị Hoa")
    admin.get_by_label("Role").select_option(Role.BUSINESS)
    admin.get_by_label("Tax codes of the businesses").fill(cast.business_x.tax_code)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.locator("ul.messages")).to_contain_text("An invitation has been sent to nv@congty-x.vn")

    invitee = open_page()
    invitee.goto(link_in(OutboxMessage.objects.get(kind="invitation")))
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Activate your account")
    set_password(invitee, "Activate my account")
    expect(invitee.locator("ul.messages")).to_contain_text("Your password is set")

    login(invitee, live_server, "nv@congty-x.vn", NEW_PASSWORD)
    expect(invitee.get_by_role("link", name="My account")).to_be_visible()
    assert User.objects.get(username="nv@congty-x.vn").businesses.get() == cast.business_x


def test_user_changes_password_and_ends_another_session(cast, open_page, live_server):
    elsewhere = open_page()
    login(elsewhere, live_server, "leader")
    page = open_page()
    login(page, live_server, "leader")
    page.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Signed-in sessions").click()
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("This session")
    with page.expect_navigation():
        page.get_by_role("button", name="End all other sessions").click()
    expect(page.locator("ul.messages")).to_contain_text("Signed out of 1 other session")
    expect(rows).to_have_count(1)
    elsewhere.reload()
    expect(elsewhere.get_by_role("navigation", name="Main menu").get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("link", name="Back to my account").click()
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Old password").fill(PASSWORD)
    set_password(page, "Change password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    assert User.objects.get(username="leader").check_password(NEW_PASSWORD)
