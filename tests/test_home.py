"""The home page: a landing for visitors, and for each role the figures that start its day."""

import datetime

import lxml.html
import pytest
from django.test import Client
from django.utils import timezone

from feedback.cases import jobs, services
from feedback.models import DissatisfactionCase
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to


def home_for(user) -> lxml.html.HtmlElement:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def figures(html) -> str:
    return text_of(html.xpath("//ul[contains(@class,'case-counts')]")[0])


@pytest.fixture
def cases(cast):
    """Three cases at Móng Cái: one new, one assigned and overdue, one answered."""
    new = complain(cast)
    second = complain(
        cast,
        make_declaration(
            "101234567801",
            cast.business_x,
            cast.branch_a,
            cast.team_a1,
            [(cast.officers.oa1, "reception")],
        ),
    )
    walk_to(second, "assigned", cast)
    DissatisfactionCase.objects.filter(pk=second.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=20), due_at=timezone.now() - datetime.timedelta(days=2)
    )
    answered = complain(cast, make_declaration("101234567802", cast.business_x, cast.branch_a, None))
    walk_to(answered, "answered", cast)
    return new, second, answered


def test_visitors_get_the_public_landing(db):
    response = Client().get("/")
    assert response.status_code == 200
    assert "Rate the customs service you received" in response.content.decode()


def test_branch_leader_home_shows_the_inbox_counts_with_links(cast, cases):
    html = home_for(cast.users.leader)

    assert figures(html) == "1 New 1 In progress 1 Overdue"
    links = html.xpath("//ul[contains(@class,'case-counts')]//a/@href")
    assert links == [
        "/cases/?status=new",
        "/cases/?status=assigned&status=verifying&status=concluded",
        "/cases/?overdue=true",
    ]
    assert not html.xpath("//a[@href='/surveys/']")


def test_other_branch_leader_counts_nothing_of_another_branch(cast, cases):
    user = cast.users.other_leader
    assert figures(home_for(user)) == "0 New 0 In progress 0 Overdue"


def test_department_staff_home_adds_escalations_and_the_surveys(cast, cases):
    jobs.escalate_overdue()
    staff = cast.users.staff

    html = home_for(staff)

    assert figures(html) == "1 New 1 In progress 1 Overdue 1 Escalated to the department"
    assert html.xpath("//a[@href='/surveys/']")


def test_business_home_shows_what_to_rate_and_the_answers_to_read(cast, cases):
    _new, _second, answered = cases
    make_declaration("101234567803", cast.business_x, cast.branch_a, None)  # cleared yesterday, not rated
    html = home_for(cast.users.business)

    to_rate = html.xpath("//a[contains(@class,'home-to-rate')]")
    assert to_rate and to_rate[0].get("href") == "/declarations/?rated=false"
    assert "1 cleared declaration is waiting for your rating." in text_of(html)
    assert html.xpath(f"//ul[@class='home-cases']//a[@href='/cases/{answered.pk}/']")
    assert "1 answer is waiting for you to read it." in text_of(html)
    assert "2 complaints are being verified." in text_of(html)


def test_a_brokers_count_to_rate_stops_at_the_cap(cast, monkeypatch):
    # given the broker's five cleared, unrated declarations (dx, dy and three more) in the rating window
    for index in range(3):
        make_declaration(f"10123456781{index}", cast.business_x if index else cast.business_y, cast.branch_a, None)

    monkeypatch.setattr("feedback.ratings.window.PENDING_COUNT_CAP", 5)
    text = text_of(home_for(cast.users.broker))
    assert "5 cleared declarations are waiting for your rating." in text and "More than" not in text

    monkeypatch.setattr("feedback.ratings.window.PENDING_COUNT_CAP", 4)
    assert "More than 4 cleared declarations are waiting for your rating." in text_of(home_for(cast.users.broker))


def test_rival_business_home_knows_nothing_of_other_cases(cast, cases):
    user = cast.users.rival
    html = home_for(user)

    assert "No answer to read." in text_of(html)
    assert not html.xpath("//ul[@class='home-cases']")


def test_officer_home_lists_the_cases_awaiting_an_explanation(cast, cases):
    new, second, _answered = cases
    officer = cast.users.officer
    services.add_officer_explanation(second, "Đã giải trình.", officer)

    html = home_for(officer)

    assert html.xpath("//ul[@class='home-cases']//a/@href") == [f"/cases/{new.pk}/"]


def test_team_leader_home_and_menu_lead_to_the_team_dashboard(cast):
    html = home_for(cast.users.team_leader)

    assert html.xpath("//main//a[contains(@class,'home-dashboard')]/@href") == ["/dashboards/"]
    assert html.xpath("//nav[contains(@class,'main-nav')]//a[@href='/dashboards/']")
    client = Client()
    client.force_login(cast.users.team_leader)
    assert client.get("/dashboards/", follow=True).redirect_chain == [("/dashboards/branch/MC/team/MC-TT/", 302)]


def test_administrator_home_links_to_the_admin(cast):
    html = home_for(cast.users.admin)

    assert html.xpath("//main//a[@href='/admin/']")


def test_home_is_a_few_queries_whatever_the_role(cast, cases, django_assert_max_num_queries):
    for user in (cast.users.leader, cast.users.business, cast.users.officer, cast.users.staff):
        client = Client()
        client.force_login(user)
        with django_assert_max_num_queries(10):
            assert client.get("/").status_code == 200
