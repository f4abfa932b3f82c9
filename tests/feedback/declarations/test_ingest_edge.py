"""The ingest refuses at the edge what used to be stored and then break pages (issue: dates of year 1 or
9999, control characters, non-ASCII digits, absurd UTC offsets, deeply nested JSON): a 400 naming the
item and the field, never a 500, and nothing written."""

import json

import pytest

from feedback.models import Declaration

from .test_ingest_api import URL, item


@pytest.fixture
def integration(cast, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.integration))
    return api_client


def _refused(integration, body) -> dict:
    before = Declaration.objects.count()
    response = integration.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert Declaration.objects.count() == before
    return response.json()["errors"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("registered_at", "0001-01-01T00:00:00+07:00"),
        ("registered_at", "9999-12-31T23:59:59+07:00"),
        ("registered_at", "9999-12-31T23:59:59-12:00"),
        ("registered_at", "1999-12-31T23:59:59+00:00"),
        ("cleared_at", "2031-01-01T00:00:00+07:00"),
        ("cleared_at", "9999-12-31T23:59:59+07:00"),
    ],
)
def test_dates_outside_2000_to_tomorrow_are_refused(integration, field, value):
    errors = _refused(integration, item(**{field: value}))
    assert "between 2000-01-01 and tomorrow" in errors["0"][field][0]


def test_clearance_before_registration_is_refused(integration):
    body = item(registered_at="2026-05-15T09:30:00+07:00", cleared_at="2026-05-14T09:30:00+07:00")
    errors = _refused(integration, body)
    assert errors["0"]["cleared_at"] == ["Clearance cannot come before registration."]


@pytest.mark.parametrize("offset", ["+23:59", "-23:59", "+14:01", "-12:30:01"])
def test_absurd_utc_offsets_are_refused(integration, offset):
    errors = _refused(integration, item(registered_at=f"2026-05-15T09:30:00{offset}", cleared_at=None))
    assert "UTC offset" in errors["0"]["registered_at"][0]


@pytest.mark.parametrize("field", ["business_name", "number", "branch_code", "team_code", "type_code", "channel"])
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
def test_control_characters_in_any_text_field_are_refused(integration, field, character):
    errors = _refused(integration, item(**{field: f"AB{character}C"}))
    assert errors["0"][field] == ["Control characters (such as NUL) are not allowed."]


def test_control_characters_in_an_officer_code_are_refused(integration):
    errors = _refused(integration, item(officers=[{"code": "OA\x001", "stage": "reception"}]))
    assert "officers[0].code" in errors["0"]


@pytest.mark.parametrize("number", ["10123456789²", "١٠١٢٣٤٥٦٧٨٩٠", "１０１２３４５６７８９０", "1012345678٣9"])
def test_declaration_numbers_take_ascii_digits_only(integration, number):
    errors = _refused(integration, item(number=number))
    assert errors["0"]["number"] == ["A declaration number has exactly 12 digits."]


def test_a_declaration_with_non_ascii_digits_in_the_url_is_not_found(cast, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.business))
    assert api_client.get("/api/v1/declarations/١٠١٢٣٤٥٦٧٨٩٠/").status_code == 404
    assert api_client.post("/api/v1/declarations/10123456789²/rating/", {}, format="json").status_code == 404


@pytest.mark.parametrize("depth", [21, 5_000, 100_000])
def test_deeply_nested_json_is_a_400_in_the_portal_error_shape(integration, depth):
    body = "[" * depth + "]" * depth
    response = integration.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.json()["errors"]["non_field_errors"][0]


def test_nesting_inside_strings_does_not_count(integration):
    response = integration.post(URL, item(business_name="[{" * 100), format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("body", ["{", '{"number": NaN}', "\xff\xfe"])
def test_a_json_parse_error_carries_the_errors_key(integration, body):
    response = integration.generic("POST", URL, body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    payload = response.json()
    assert payload["errors"]["non_field_errors"] == [payload["detail"]]


def test_an_ordinary_batch_still_passes(integration):
    response = integration.post(URL, json.loads(json.dumps([item(), item("101111111112")])), format="json")
    assert response.status_code == 201
