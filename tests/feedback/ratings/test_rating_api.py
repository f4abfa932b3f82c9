import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.models import Rating, RatingOfficer
from feedback.ratings.services import submit_rating
from tests.conftest import make_declaration

LIST_URL = "/api/v1/declarations/"


def rating_url(number: str) -> str:
    return f"/api/v1/declarations/{number}/rating/"


@pytest.fixture
def client_for(api_client, token_for):
    """An API client authenticated with a real token of `user`."""

    def as_user(user):
        api_client.credentials(HTTP_AUTHORIZATION=token_for(user))
        return api_client

    return as_user


@pytest.fixture
def business(cast, client_for):
    return client_for(cast.users.business)


def body(**overrides):
    payload = {
        "branch_level": 4,
        "team_level": 5,
        "officers": [{"code": "OA1", "level": 5}, {"code": "OA2", "level": 2, "reasons": ["delay", "attitude"]}],
        "comment": "Cán bộ OA2 xử lý chậm.",
    }
    payload.update(overrides)
    return payload


def test_post_rating_returns_201_with_the_stored_rating(cast, business):
    response = business.post(rating_url("101234567890"), body(), format="json")

    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["branch_level"] == 4 and answer["team_level"] == 5
    assert answer["submitted_via"] == "api"
    assert answer["is_dissatisfied"] is True
    assert [(o["code"], o["level"], o["reasons"]) for o in answer["officers"]] == [
        ("OA1", 5, []),
        ("OA2", 2, ["delay", "attitude"]),
    ]
    rating = Rating.objects.get(declaration=cast.dx)
    assert rating.submitted_by == cast.users.business and rating.comment == "Cán bộ OA2 xử lý chậm."


def test_post_rating_with_branch_level_only_is_201(cast, business):
    response = business.post(rating_url("101234567890"), {"branch_level": 5}, format="json")
    assert response.status_code == 201
    assert response.json()["officers"] == [] and response.json()["team_level"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"branch_level": 6}, "branch_level"),
        ({"branch_level": 0}, "branch_level"),
        ({"team_level": 9}, "team_level"),
        ({"officers": [{"code": "OA1", "level": 7}]}, "officers[0].level"),
    ],
)
def test_post_rating_level_out_of_range_is_400(cast, business, overrides, field):
    response = business.post(rating_url("101234567890"), body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Rating.objects.exists()


def test_post_rating_without_branch_level_is_400(cast, business):
    response = business.post(rating_url("101234567890"), {"team_level": 4}, format="json")
    assert response.status_code == 400
    assert "branch_level" in response.json()


def test_post_rating_unknown_reason_is_400(cast, business):
    response = business.post(rating_url("101234567890"), body(branch_level=1, branch_reasons=["bribe"]), format="json")
    assert response.status_code == 400
    assert "bribe" in response.json()["branch_reasons"][0]


def test_post_rating_officer_not_on_declaration_is_400(cast, business):
    response = business.post(rating_url("101234567890"), body(officers=[{"code": "OB1", "level": 5}]), format="json")
    assert response.status_code == 400
    assert "officers[0].code" in response.json()
    assert not RatingOfficer.objects.exists()


def test_post_rating_not_cleared_is_400(cast, business):
    response = business.post(rating_url("301234567892"), {"branch_level": 5}, format="json")
    assert response.status_code == 400
    assert "declaration" in response.json()


def test_post_rating_after_the_window_is_400(cast, business, settings):
    settings.RATING_WINDOW_DAYS = 30
    make_declaration("101234567800", cast.business_x, cast.branch_a, cast.team_a1, days_ago=31)

    response = business.post(rating_url("101234567800"), {"branch_level": 5}, format="json")

    assert response.status_code == 400
    assert "declaration" in response.json()


def test_post_rating_errors_answer_in_the_users_language(cast, client_for):
    from django.utils import translation

    cast.users.business.language = "en"
    cast.users.business.save(update_fields=["language"])

    response = client_for(cast.users.business).post(rating_url("101234567890"), {"branch_level": 6}, format="json")

    with translation.override("en"):
        expected = translation.gettext("A level is a whole number from 1 (very dissatisfied) to 5 (very satisfied).")
    assert response.json()["branch_level"] == [expected]
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("number", ["101234567891", "109999999999"], ids=["other business", "unknown number"])
def test_post_rating_outside_the_callers_businesses_is_404(cast, business, number):
    response = business.post(rating_url(number), {"branch_level": 5}, format="json")
    assert response.status_code == 404
    assert not Rating.objects.exists()


def test_post_rating_twice_is_409(cast, business):
    assert business.post(rating_url("101234567890"), body(), format="json").status_code == 201

    again = business.post(rating_url("101234567890"), body(branch_level=1), format="json")

    assert again.status_code == 409
    assert Rating.objects.get().branch_level == 4


@pytest.mark.parametrize("role", ["officer", "team_leader", "leader", "staff", "integration"])
def test_post_rating_by_customs_roles_is_403(cast, client_for, role):
    # 403 whatever the number: the role alone forbids it, so no existence is revealed.
    client = client_for(getattr(cast.users, role))
    assert client.post(rating_url("101234567890"), {"branch_level": 5}, format="json").status_code == 403
    assert client.post(rating_url("109999999999"), {"branch_level": 5}, format="json").status_code == 403
    assert not Rating.objects.exists()


def test_post_rating_without_token_is_401(cast, api_client):
    assert api_client.post(rating_url("101234567890"), {"branch_level": 5}, format="json").status_code == 401


def test_get_declaration_shows_rating_once_rated(cast, business):
    assert business.get(f"{LIST_URL}101234567890/").json()["rating"] is None
    submit_rating(cast.dx, cast.users.business, channel="web", branch_level=3, officers=[{"code": "OA1", "level": 4}])

    rating = business.get(f"{LIST_URL}101234567890/").json()["rating"]

    assert rating["branch_level"] == 3 and rating["submitted_via"] == "web"
    assert rating["officers"] == [{"code": "OA1", "full_name": "Nguyễn Văn An", "level": 4, "reasons": []}]


def test_list_rated_false_shows_cleared_unrated_declarations_of_own_businesses(cast, client_for):
    rated = make_declaration("101234567801", cast.business_x, cast.branch_a, cast.team_a1)
    submit_rating(rated, cast.users.business, channel="web", branch_level=5)

    broker = client_for(cast.users.broker)
    to_rate = [d["number"] for d in broker.get(LIST_URL, {"rated": "false"}).json()["results"]]
    done = [d["number"] for d in broker.get(LIST_URL, {"rated": "true"}).json()["results"]]

    assert sorted(to_rate) == ["101234567890", "101234567891"]  # dx_pending is not cleared
    assert done == ["101234567801"]


def test_list_rival_never_sees_the_declarations_of_another_business(cast, client_for):
    rival = client_for(cast.users.rival)
    for params in ({}, {"rated": "false"}, {"number": "1012"}):
        numbers = [d["number"] for d in rival.get(LIST_URL, params).json()["results"]]
        assert numbers == ["101234567891"]
    assert rival.get(f"{LIST_URL}101234567890/").status_code == 404


def test_list_query_count_does_not_grow_with_rows(cast, business, django_assert_max_num_queries):
    officers = [(cast.officers.oa1, "reception"), (cast.officers.oa2, "release")]
    for i in range(30):
        declaration = make_declaration(f"10300000{i:04d}", cast.business_x, cast.branch_a, cast.team_a1, officers)
        if i % 2:
            submit_rating(
                declaration,
                cast.users.business,
                channel="api",
                branch_level=5,
                officers=[{"code": "OA1", "level": 4}, {"code": "OA2", "level": 5}],
            )

    # token, count, page, officers of declarations, officers of ratings (+ a last_used_at write at most)
    with django_assert_max_num_queries(7):
        response = business.get(LIST_URL)

    results = response.json()["results"]
    assert len(results) == 32
    assert sum(1 for d in results if d["rating"] and len(d["rating"]["officers"]) == 2) == 15


def test_schema_documents_the_rating_endpoint(cast, client_for):
    response = client_for(cast.users.business).get("/api/schema/", {"format": "json"})
    operation = response.json()["paths"]["/api/v1/declarations/{number}/rating/"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "403", "404", "409"}
    assert "rated" in {p["name"] for p in response.json()["paths"]["/api/v1/declarations/"]["get"]["parameters"]}


# --- the action's fast paths give the serializers' answers (feedback.ratings.serializers, docs/performance-ratings.md)
def test_post_rating_answer_is_the_rating_as_the_declaration_shows_it(cast, business):
    answer = business.post(rating_url("101234567890"), body(), format="json").json()

    # Built from what was inserted, not read back: it must equal RatingSerializer on the stored rows.
    assert answer == business.get(f"{LIST_URL}101234567890/").json()["rating"]
    assert [o["full_name"] for o in answer["officers"]] == ["Nguyễn Văn An", cast.officers.oa2.full_name]


def test_post_rating_needs_a_token_query_a_declaration_query_and_one_insert(
    cast, business, django_assert_max_num_queries
):
    # token (+ its last_used_at mark, at most once in 5 minutes), the declaration in the caller's scope with
    # its officers and rating, then one INSERT of the rating and its officer rows, in a SAVEPOINT here (the
    # test's transaction; none outside one). A dissatisfied rating costs more: open_case, feedback.cases.services.
    satisfied = body(officers=[{"code": "OA1", "level": 5}, {"code": "OA2", "level": 4}])
    with django_assert_max_num_queries(6):
        assert business.post(rating_url("101234567890"), satisfied, format="json").status_code == 201


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_satisfied_rating_is_one_statement_outside_a_transaction(cast, client_for):
    # given the API outside any transaction, as served (ATOMIC_REQUESTS is off)
    business = client_for(cast.users.business)
    sent = body(branch_level=4, team_level=5, officers=[{"code": "OA1", "level": 5}, {"code": "OA2", "level": 3}])

    with CaptureQueriesContext(connection) as queries:
        answer = business.post(rating_url("101234567890"), sent, format="json")

    # then the rating and both officer rows are written by one INSERT, with no BEGIN, COMMIT or savepoint
    assert answer.status_code == 201
    writes = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SELECT")]
    assert len(writes) <= 2 and sum("INSERT INTO" in sql for sql in writes) == 1, writes
    assert not any(word in sql for sql in writes for word in ("BEGIN", "COMMIT", "SAVEPOINT"))
    rating = Rating.objects.get(declaration=cast.dx)
    assert (rating.branch_level, rating.team_level, rating.is_dissatisfied) == (4, 5, False)
    assert (rating.branch_reasons, rating.team_reasons, rating.comment) == ([], [], sent["comment"])
    rows = sorted(
        RatingOfficer.objects.filter(rating=rating).values_list("officer__code", "level", "team_id", "reasons")
    )
    assert rows == [("OA1", 5, cast.team_a1.pk, []), ("OA2", 3, cast.team_a1.pk, [])]
    # and the answer, built from what was inserted, is the stored rating as the declaration shows it
    assert answer.json() == business.get(f"{LIST_URL}101234567890/").json()["rating"]


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        ({"branch_level": "x"}, {"branch_level": ["A valid integer is required."]}),
        ({"branch_level": 5, "comment": None}, {"comment": ["This field may not be null."]}),
        (
            {"branch_level": 5, "officers": [{"code": "OA1"}]},
            {"officers": {"0": {"level": ["This field is required."]}}},
        ),
        (
            {"branch_level": 5, "team_reasons": "delay"},
            {"team_reasons": ['Expected a list of items but got type "str".']},
        ),
    ],
)
def test_post_rating_shape_errors_are_the_serializers(cast, business, sent, errors):
    response = business.post(rating_url("101234567890"), sent, format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_post_rating_shape_is_checked_after_the_scope(cast, business):
    # As with get_object() first: a number outside the caller's businesses is 404 whatever the body.
    assert business.post(rating_url("101234567891"), {"branch_level": "x"}, format="json").status_code == 404
