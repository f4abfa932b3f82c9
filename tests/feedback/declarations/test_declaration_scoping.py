"""Every role sees exactly its own declarations, by page and by API; out of scope is a 404."""

import pytest
from django.test import Client

from feedback.models import Declaration
from tests.conftest import PASSWORD

DX, DY, DX_PENDING = "101234567890", "101234567891", "301234567892"

# role -> the declaration numbers it must see (and no other)
EXPECTED = {
    "business": {DX, DX_PENDING},
    "rival": {DY},
    "broker": {DX, DY, DX_PENDING},
    "outsider": set(),
    "officer": {DX},  # oa1 handled dx only
    "team_leader": {DX},  # team A1
    "leader": {DX, DX_PENDING},  # branch A
    "other_leader": {DY},  # branch B
    "staff": {DX, DY, DX_PENDING},
    "integration": {DX, DY, DX_PENDING},
    "admin": {DX, DY, DX_PENDING},
}


@pytest.mark.parametrize(("role", "expected"), EXPECTED.items())
def test_queryset_scoping_per_role(cast, role, expected):
    user = getattr(cast.users, role)
    assert set(Declaration.objects.for_user(user).values_list("number", flat=True)) == expected


@pytest.mark.parametrize(("role", "expected"), EXPECTED.items())
def test_api_list_and_detail_scoping_per_role(cast, api_client, role, expected):
    api_client.force_authenticate(getattr(cast.users, role))
    listed = {row["number"] for row in api_client.get("/api/v1/declarations/").json()["results"]}
    assert listed == expected
    for number in (DX, DY, DX_PENDING):
        status = api_client.get(f"/api/v1/declarations/{number}/").status_code
        assert status == (200 if number in expected else 404), number


@pytest.mark.parametrize(("role", "expected"), EXPECTED.items())
def test_pages_scoping_per_role(cast, role, expected):
    client = Client()
    assert client.login(username=getattr(cast.users, role).username, password=PASSWORD)
    listing = client.get("/declarations/").content.decode()
    for number in (DX, DY, DX_PENDING):
        assert (number in listing) == (number in expected), number
        status = client.get(f"/declarations/{number}/").status_code
        assert status == (200 if number in expected else 404), number


def test_unknown_number_and_other_business_number_answer_alike(cast, api_client):
    api_client.force_authenticate(cast.users.business)
    unknown = api_client.get("/api/v1/declarations/109999999999/")
    foreign = api_client.get(f"/api/v1/declarations/{DY}/")
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json() == foreign.json()


def test_anonymous_gets_nothing(cast, api_client):
    assert api_client.get("/api/v1/declarations/").status_code == 401
    response = Client().get("/declarations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inactive_user_sees_nothing(cast):
    user = cast.users.staff
    user.is_active = False
    assert not Declaration.objects.for_user(user).exists()


def test_declaration_list_query_count_does_not_grow(cast, api_client, django_assert_max_num_queries):
    from tests.conftest import make_declaration

    api_client.force_authenticate(cast.users.staff)
    with django_assert_max_num_queries(6):
        api_client.get("/api/v1/declarations/")
    for i in range(30):
        make_declaration(
            f"1055555555{i:02d}", cast.business_x, cast.branch_a, cast.team_a1, [(cast.officers.oa1, "reception")]
        )
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/declarations/")
    assert response.json()["count"] == 33


def test_declaration_page_query_count_does_not_grow(cast, django_assert_max_num_queries):
    from tests.conftest import make_declaration

    client = Client()
    client.force_login(cast.users.staff)
    for i in range(30):
        make_declaration(f"1055555555{i:02d}", cast.business_x, cast.branch_a, cast.team_a1)
    with django_assert_max_num_queries(8):
        assert client.get("/declarations/").status_code == 200
