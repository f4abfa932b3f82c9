"""Lists that lead to action: what needs the user first, a rating's lowest level, first and last page
links, a page past the end, filter forms in the user's words."""

import datetime

import lxml.html
import pytest
from django.utils import timezone

from directory.models import User
from feedback.cases.forms import AssignForm
from feedback.models import DissatisfactionCase
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to


def listed_case_ids(response) -> list[int]:
    return [case.pk for case in response.context["cases"]]


def declare(cast, number: str, **options):
    return make_declaration(
        number, cast.business_x, cast.branch_a, cast.team_a1, [(cast.officers.oa1, "reception")], **options
    )


def make_overdue(case) -> None:
    now = timezone.now()
    DissatisfactionCase.objects.filter(pk=case.pk).update(
        opened_at=now - datetime.timedelta(days=10), due_at=now - datetime.timedelta(hours=1)
    )


@pytest.fixture
def three_cases(case_cast):
    """Three complaints of business X at Móng Cái, opened in this order: closed, answered, new."""
    cast = case_cast
    closed = walk_to(complain(cast), "closed", cast)
    answered = walk_to(complain(cast, declare(cast, "101234567801")), "answered", cast)
    new = complain(cast, declare(cast, "101234567802"))
    return closed, answered, new


def test_business_inbox_lists_answered_cases_awaiting_it_first_and_closed_ones_last(
    client,
    case_cast,
    three_cases,
):
    closed, answered, new = three_cases
    client.force_login(case_cast.users.business)

    assert listed_case_ids(client.get("/cases/")) == [answered.pk, new.pk, closed.pk]


def test_leader_inbox_lists_overdue_then_new_cases_before_cases_in_hand(client, case_cast):
    cast = case_cast
    in_hand = walk_to(complain(cast), "verifying", cast)  # opened first: the earliest due date of the open ones
    new = complain(cast, declare(cast, "101234567801"))
    overdue = walk_to(complain(cast, declare(cast, "101234567802")), "assigned", cast)
    make_overdue(overdue)
    DissatisfactionCase.objects.filter(pk=in_hand.pk).update(due_at=timezone.now() + datetime.timedelta(hours=1))
    client.force_login(cast.users.leader)

    assert listed_case_ids(client.get("/cases/")) == [overdue.pk, new.pk, in_hand.pk]
    # A sort the user picks still wins over the inbox order.
    assert listed_case_ids(client.get("/cases/", {"ordering": "-due_at"}))[0] == new.pk


def test_staff_inbox_lists_escalated_open_cases_before_overdue_ones(client, case_cast):
    cast = case_cast
    overdue = complain(cast)
    escalated = complain(cast, declare(cast, "101234567801"))
    make_overdue(overdue)
    DissatisfactionCase.objects.filter(pk=escalated.pk).update(escalated_at=timezone.now())
    client.force_login(cast.users.staff)

    assert listed_case_ids(client.get("/cases/")) == [escalated.pk, overdue.pk]


def test_declaration_list_shows_the_lowest_level_of_a_rating_not_the_branch_level(client, case_cast):
    complain(case_cast, branch_level=4, officer_level=2)  # the branch satisfied, officer OA1 not
    client.force_login(case_cast.users.business)

    response = client.get("/declarations/")

    cell = lxml.html.fromstring(response.content.decode()).xpath("//td[contains(@class,'rating-cell')]")[0]
    pill = " ".join(cell.xpath(".//span[contains(@class,'level-pill')]")[0].text_content().split())
    assert pill == "2 · Dissatisfied"
    assert "level-2" in cell.xpath(".//span[contains(@class,'level-pill')]")[0].get("class")


def test_declaration_list_query_count_stays_flat_with_rated_rows(client, case_cast, django_assert_max_num_queries):
    cast = case_cast
    complain(cast, branch_level=4, officer_level=2)
    for index in range(5):
        complain(cast, declare(cast, f"1012345679{index:02d}"), branch_level=3, officer_level=1)
    client.force_login(cast.users.business)

    with django_assert_max_num_queries(16):
        assert client.get("/declarations/").status_code == 200


@pytest.fixture
def thirty_declarations(cast):
    for index in range(30):
        declare(cast, f"10999999{index:04d}")
    return cast


def pagination_links(response) -> dict[str, str]:
    nav = lxml.html.fromstring(response.content.decode()).xpath("//nav[contains(@class,'pagination')]")[0]
    return {(link.get("class") or link.get("rel")): link.get("href") for link in nav.xpath(".//a")}


def test_list_pages_link_the_first_and_the_last_page(client, thirty_declarations):
    client.force_login(thirty_declarations.users.staff)

    first = pagination_links(client.get("/declarations/", {"channel": "green"}))
    last = pagination_links(client.get("/declarations/", {"channel": "green", "page": "2"}))

    assert first == {"next": "?channel=green&page=2", "last-page": "?channel=green&page=2"}
    assert last == {"first-page": "?channel=green&page=1", "prev": "?channel=green&page=1"}


def test_a_page_number_past_the_end_shows_the_last_page(client, thirty_declarations):
    client.force_login(thirty_declarations.users.staff)

    response = client.get("/declarations/", {"page": "99"})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert len(response.context["declarations"]) == response.context["paginator"].count - 25


def test_a_page_number_past_the_end_of_an_empty_inbox_shows_the_empty_page(client, cast):
    client.force_login(cast.users.leader)

    response = client.get("/cases/", {"page": "3"})

    assert response.status_code == 200 and list(response.context["cases"]) == []


def test_the_api_answers_a_page_past_the_end_with_404_naming_page(api_client, token_for, thirty_declarations):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(thirty_declarations.users.staff))

    response = api_client.get("/api/v1/declarations/", {"page": "99"})

    assert response.status_code == 404
    assert response.json()["detail"].startswith("page: there is no page 99; the last page is ")


def test_filter_forms_offer_all_and_show_the_date_format(client, cast, vietnamese_default):
    client.force_login(cast.users.staff)

    for url in ("/declarations/", "/cases/"):
        html = client.get(url).content.decode()
        document = lxml.html.fromstring(html)

        assert "---------" not in html
        assert "Không rõ" not in html  # Django's "Unknown" of a yes/no select
        empty_choices = {
            option.text_content()
            for option in document.xpath("//form[@method='get']//option[@value='' or @value='unknown']")
        }
        assert empty_choices <= {"Tất cả", "Thứ tự hộp xử lý"} and "Tất cả" in empty_choices
        date_inputs = document.xpath("//input[contains(@name,'_from') or contains(@name,'_to')]")
        assert date_inputs and all(field.get("placeholder") == "nn/tt/nnnn" for field in date_inputs)
        for field in date_inputs:
            hint = document.get_element_by_id(field.get("aria-describedby"))
            assert "31/01/2025" in hint.text_content()


def test_a_date_filter_reads_the_day_first_format_it_shows(client, cast):
    client.force_login(cast.users.staff)

    response = client.get("/declarations/", {"cleared_from": "01/01/2000", "cleared_to": "31/12/2099"})

    assert response.status_code == 200
    assert response.context["paginator"].count == 2  # the cast's two cleared declarations


def test_the_assign_form_preselects_the_only_possible_verifier(case_cast):
    case = complain(case_cast)
    assert AssignForm(case=case)["verifier"].value() is None  # the team leader or the branch leader: a choice

    User.objects.filter(pk=case_cast.users.team_leader.pk).update(is_active=False)

    assert AssignForm(case=case)["verifier"].value() == case_cast.users.leader.pk
