"""Long lists read only their page: capped counts, a broker's page merged from its businesses' top rows,
and customs inboxes that open on the open cases."""

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from core.paging import CappedPaginator
from directory.models import Business
from directory.taxcode import make_tax_codes
from feedback.models import Declaration, DissatisfactionCase
from tests.conftest import make_declaration
from tests.feedback.cases.support import complain, walk_to


@pytest.fixture
def mailed_cast(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return cast


def declarations_of(cast, count: int, business, *, start: int) -> list[Declaration]:
    branch, team, officer = (
        (cast.branch_a, cast.team_a1, cast.officers.oa1)
        if business == cast.business_x
        else (cast.branch_b, cast.team_b1, cast.officers.ob1)
    )
    made = []
    for index in range(count):
        declaration = make_declaration(
            f"1088800{start + index:05d}", business, branch, team, [(officer, "reception")], days_ago=1 + index % 9
        )
        made.append(declaration)
    return made


def page_numbers(response) -> list[str]:
    return [declaration.number for declaration in response.context["declarations"]]


def test_capped_paginator_counts_at_most_the_cap_plus_one(cast, django_assert_num_queries):
    paginator = CappedPaginator(Declaration.objects.order_by("-pk"), 2)
    paginator.cap = 2
    with django_assert_num_queries(1):
        assert paginator.count == 3  # the cast holds 3 declarations: the count stopped after cap + 1
    assert paginator.capped and paginator.num_pages == 1  # the pages of the counted rows only
    small = CappedPaginator(Declaration.objects.all(), 2)
    assert (small.count, small.capped, small.num_pages) == (3, False, 2)


def test_declaration_list_says_more_than_the_cap(cast, client, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    client.force_login(cast.users.staff)
    response = client.get("/declarations/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["paginator"].capped
    assert "More than 2 declarations" in response.content.decode()
    # Pages run to the cap: a page past it shows the last counted page, as any page past the end does.
    past = client.get("/declarations/?page=2")
    assert past.status_code == 200
    assert past.context["page_obj"].number == past.context["paginator"].num_pages == 1


def test_broker_page_is_merged_from_each_business_in_the_list_order(mailed_cast, client):
    cast = mailed_cast
    declarations_of(cast, 30, cast.business_x, start=0)
    declarations_of(cast, 25, cast.business_y, start=100)
    # A declaration in progress goes last; a rival business's never shows.
    make_declaration("108880099999", cast.business_x, cast.branch_a, cast.team_a2, cleared=False)
    (tax_z,) = make_tax_codes(57, 1, start=300)
    business_z = Business.objects.create(tax_code=tax_z, name="Công ty Z")
    make_declaration("108880088888", business_z, cast.branch_a, cast.team_a1)
    expected = list(
        Declaration.objects.filter(business__in=[cast.business_x, cast.business_y])
        .order_by(F("cleared_at").desc(nulls_last=True), F("registered_at").desc(), F("pk").desc())
        .values_list("number", flat=True)
    )
    client.force_login(cast.users.broker)
    pages = []
    for number in (1, 2, 3):
        response = client.get(f"/declarations/?page={number}")
        assert response.status_code == 200
        pages += page_numbers(response)
    assert pages == expected
    assert pages[-1] in ("108880099999", "301234567892")  # in progress: last
    # The same merge with a filter: the channel applies in each business's part.
    response = client.get("/declarations/?channel=green")
    assert page_numbers(response) == [n for n in expected if Declaration.objects.get(number=n).channel == "green"][:25]


def test_business_with_one_business_pages_the_plain_way(mailed_cast, client):
    cast = mailed_cast
    declarations_of(cast, 30, cast.business_x, start=0)
    client.force_login(cast.users.business)
    first = page_numbers(client.get("/declarations/"))
    second = page_numbers(client.get("/declarations/?page=2"))
    assert len(first) == 25 and not set(first) & set(second)
    assert all(Declaration.objects.get(number=n).business_id == cast.business_x.pk for n in first + second)


@pytest.mark.parametrize("who", ["staff", "leader", "broker", "officer", "team_leader"])
def test_declaration_list_queries_do_not_grow_with_rows(mailed_cast, client, who, django_assert_max_num_queries):
    cast = mailed_cast
    declarations_of(cast, 40, cast.business_x, start=0)
    declarations_of(cast, 40, cast.business_y, start=100)
    client.force_login(getattr(cast.users, who))
    # session, user, capped count, (memberships, merged ids), ids, rows, officers, rated officers, to rate
    with django_assert_max_num_queries(10):
        assert client.get("/declarations/").status_code == 200


@pytest.fixture
def inbox(mailed_cast):
    """Branch A cases: one new, one answered, one closed."""
    cast = mailed_cast
    declarations = declarations_of(cast, 3, cast.business_x, start=500)
    new, answered, closed = (complain(cast, declaration) for declaration in declarations)
    walk_to(answered, "answered", cast)
    walk_to(closed, "closed", cast)
    return cast, new, answered, closed


def listed(response) -> set[int]:
    return {case.pk for case in response.context["cases"]}


@pytest.mark.parametrize("who", ["leader", "staff"])
def test_customs_inbox_opens_on_the_open_cases(inbox, client, who):
    cast, new, answered, closed = inbox
    client.force_login(getattr(cast.users, who))
    response = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert listed(response) == {new.pk}
    assert "Show all cases" in response.content.decode()
    assert listed(client.get("/cases/?cases=all")) == {new.pk, answered.pk, closed.pk}
    assert listed(client.get("/cases/?status=closed")) == {closed.pk}  # a chosen status is shown as asked


def test_business_sees_all_of_its_complaints(inbox, client):
    cast, new, answered, closed = inbox
    client.force_login(cast.users.business)
    assert listed(client.get("/cases/")) == {new.pk, answered.pk, closed.pk}


def test_other_branch_leader_sees_none_of_them_even_with_all(inbox, client):
    cast, *_cases = inbox
    client.force_login(cast.users.other_leader)
    assert listed(client.get("/cases/?cases=all")) == set()


def test_inbox_refuses_an_unknown_scope_naming_it(inbox, client):
    cast, *_cases = inbox
    client.force_login(cast.users.leader)
    response = client.get("/cases/?cases=everything", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "cases" in response.content.decode()


@pytest.mark.parametrize("who", ["leader", "staff", "business", "officer"])
def test_inbox_queries_do_not_grow_with_cases(inbox, client, who, django_assert_max_num_queries):
    cast, *_cases = inbox
    more = declarations_of(cast, 6, cast.business_x, start=700)
    for declaration in more:
        complain(cast, declaration)
    DissatisfactionCase.objects.update(due_at=timezone.now() + datetime.timedelta(days=3))
    client.force_login(getattr(cast.users, who))
    # session, user, capped count, ids, rows, calendar (2), open counts
    with django_assert_max_num_queries(9):
        assert client.get("/cases/?cases=all").status_code == 200
