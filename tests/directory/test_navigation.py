"""Role -> pages, defined once in directory.navigation: the header menu of each role, and the dashboard
each role lands on from the one "Dashboards" address."""

import lxml.html
import pytest

from directory.choices import Role
from directory.navigation import dashboard_url, main_menu, role_of
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CDCI, DECLARATIONS, DASHBOARDS, CASES, ADMIN, ACCOUNT = (
    "/cdci/",
    "/declarations/",
    "/dashboards/",
    "/cases/",
    "/admin/",
    "/account/",
)
FAQ, INQUIRIES, CONFERENCES = "/faq/", "/inquiries/", "/conferences/"
MENUS = {
    "business": [
        ("CDCI", CDCI),
        ("FAQ", FAQ),
        ("Declarations", DECLARATIONS),
        ("My complaints", CASES),
        ("My inquiries", INQUIRIES),
        ("My account", ACCOUNT),
    ],
    "officer": [
        ("CDCI", CDCI),
        ("FAQ", FAQ),
        ("Declarations", DECLARATIONS),
        ("Dashboards", DASHBOARDS),
        ("Cases", CASES),
        ("Inquiries", INQUIRIES),
        ("My account", ACCOUNT),
    ],
    "team_leader": [
        ("CDCI", CDCI),
        ("FAQ", FAQ),
        ("Declarations", DECLARATIONS),
        ("Dashboards", DASHBOARDS),
        ("Cases", CASES),
        ("Inquiries", INQUIRIES),
        ("My account", ACCOUNT),
    ],
    "leader": [
        ("CDCI", CDCI),
        ("FAQ", FAQ),
        ("Declarations", DECLARATIONS),
        ("Dashboards", DASHBOARDS),
        ("Cases", CASES),
        ("Inquiries", INQUIRIES),
        ("Conferences", CONFERENCES),
        ("My account", ACCOUNT),
    ],
    "staff": [
        ("CDCI", CDCI),
        ("FAQ", FAQ),
        ("Declarations", DECLARATIONS),
        ("Dashboards", DASHBOARDS),
        ("Cases", CASES),
        ("Inquiries", INQUIRIES),
        ("Conferences", CONFERENCES),
        ("Administration", ADMIN),
        ("My account", ACCOUNT),
    ],
    "integration": [("CDCI", CDCI), ("FAQ", FAQ), ("Declarations", DECLARATIONS), ("My account", ACCOUNT)],
    "admin": [
        ("CDCI", CDCI),
        ("FAQ", FAQ),
        ("Declarations", DECLARATIONS),
        ("Dashboards", DASHBOARDS),
        ("Cases", CASES),
        ("Inquiries", INQUIRIES),
        ("Conferences", CONFERENCES),
        ("Administration", ADMIN),
        ("My account", ACCOUNT),
    ],
}


def header_menu(client) -> list[tuple[str, str]]:
    html = lxml.html.fromstring(client.get("/").content.decode())
    return [(" ".join(a.text_content().split()), a.get("href")) for a in html.xpath("//nav[@class='main-nav']/a")]


@pytest.mark.parametrize("who", sorted(MENUS))
def test_each_role_sees_its_menu(client, cast, who):
    client.force_login(getattr(cast.users, who))
    assert header_menu(client) == MENUS[who]


def test_a_visitor_sees_the_public_ranking_only(client):
    assert header_menu(client) == [("CDCI", CDCI), ("FAQ", FAQ), ("Log in", "/accounts/login/")]


def test_a_superuser_is_served_as_an_administrator_whatever_their_role(client, cast):
    root = make_user("root", Role.INTEGRATION, department=cast.department, is_superuser=True)
    assert role_of(root) == Role.ADMINISTRATOR
    assert [entry.url for entry in main_menu(root)] == [
        CDCI,
        FAQ,
        DECLARATIONS,
        DASHBOARDS,
        CASES,
        INQUIRIES,
        CONFERENCES,
        ACCOUNT,
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("staff", "/dashboards/"),
        ("admin", "/dashboards/"),
        ("leader", "/dashboards/branch/MC/"),
        ("team_leader", "/dashboards/branch/MC/team/MC-TT/"),
        ("officer", "/dashboards/officer/OA1/"),
        ("business", None),
        ("integration", None),
    ],
)
def test_dashboard_of_each_role(client, cast, who, expected):
    user = getattr(cast.users, who)
    assert dashboard_url(user) == expected
    client.force_login(user)
    response = client.get(DASHBOARDS)
    if expected is None:
        assert response.status_code == 404
    elif expected == DASHBOARDS:
        assert response.status_code == 200
    else:
        assert (response.status_code, response["Location"]) == (302, expected)
