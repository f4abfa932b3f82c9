import copy

import pytest
from django.urls import reverse

from directory.models import AuditEvent, Business
from directory.taxcode import make_tax_codes
from feedback.models import Declaration, DeclarationOfficer

URL = "/api/v1/declarations/"


def item(number="101111111111", **overrides):
    body = {
        "number": number,
        "type_code": "A11",
        "channel": "green",
        "business_tax_code": make_tax_codes(57, 1, start=5000)[0],
        "business_name": "Công ty TNHH Mới",
        "branch_code": "MC",
        "team_code": "MC-TT",
        "officers": [{"code": "OA1", "stage": "reception"}, {"code": "OA2", "stage": "release"}],
        "registered_at": "2026-05-15T09:30:00+07:00",
        "cleared_at": "2026-05-15T11:00:00+07:00",
    }
    body.update(overrides)
    return body


@pytest.fixture
def integration(cast, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.integration))
    return api_client


def test_ingest_creates_declaration_business_and_officer_links(cast, integration):
    response = integration.post(URL, item(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    declaration = Declaration.objects.get(number="101111111111")
    assert declaration.business.name == "Công ty TNHH Mới"
    assert declaration.business.is_in_province  # tax code starts with the department's 57
    assert declaration.team == cast.team_a1
    links = list(declaration.officer_links.order_by("stage").values_list("officer__code", "stage", "team__code"))
    assert links == [("OA1", "reception", "MC-TT"), ("OA2", "release", "MC-KS")]


def test_ingest_same_batch_twice_changes_nothing(cast, integration):
    batch = [item("101111111111"), item("101111111112", channel="red")]
    assert integration.post(URL, batch, format="json").status_code == 201
    audit_before = AuditEvent.objects.count()

    again = integration.post(URL, batch, format="json")

    assert again.status_code == 200
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert Declaration.objects.filter(number__startswith="10111111111").count() == 2
    assert DeclarationOfficer.objects.filter(declaration__number__startswith="10111111111").count() == 4
    assert AuditEvent.objects.count() == audit_before


def test_ingest_changed_declaration_is_updated_and_audited(cast, integration):
    integration.post(URL, item(cleared_at=None), format="json")

    changed = item(channel="yellow", officers=[{"code": "OA1", "stage": "document_check"}])
    response = integration.post(URL, changed, format="json")

    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    declaration = Declaration.objects.get(number="101111111111")
    assert declaration.channel == "yellow"
    assert declaration.cleared_at is not None
    assert list(declaration.officer_links.values_list("stage", flat=True)) == ["document_check"]
    event = AuditEvent.objects.for_object(declaration).get(action="declaration.updated")
    assert event.actor == cast.users.integration
    assert event.changes["channel"] == ["green", "yellow"]
    assert event.changes["cleared_at"][0] is None
    assert "officers" in event.changes


def test_ingest_invalid_batch_writes_nothing_and_names_item_and_field(cast, integration):
    good = item("101111111111")
    bad_number = item("10111", business_tax_code=make_tax_codes(57, 1, start=7000)[0])
    bad_officer = item("101111111113", officers=[{"code": "NOBODY", "stage": "reception"}])
    bad_tax = item("101111111114", business_tax_code="0100109107")

    response = integration.post(URL, [good, bad_number, bad_officer, bad_tax], format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"1", "2", "3"}
    assert "number" in errors["1"]
    assert "officers[0].code" in errors["2"]
    assert "business_tax_code" in errors["3"]
    assert not Declaration.objects.filter(number="101111111111").exists()
    assert not Business.objects.filter(name="Công ty TNHH Mới").exists()


def test_ingest_refuses_branch_of_another_department(cast, integration):
    from directory.models import Branch, Department

    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    Branch.objects.create(department=other, code="HN", name="Hữu Nghị")

    response = integration.post(URL, item(branch_code="HN", team_code=""), format="json")

    assert response.status_code == 400
    assert "branch_code" in response.json()["errors"]["0"]


def test_ingest_unknown_business_needs_a_name(cast, integration):
    response = integration.post(URL, item(business_name=""), format="json")
    assert response.status_code == 400
    assert "business_name" in response.json()["errors"]["0"]


def test_ingest_derives_team_from_officer_membership_on_the_day(cast, integration):
    import datetime

    from directory.services import move_officer_to_team

    move_officer_to_team(cast.officers.oa1, cast.team_a2, datetime.date(2026, 6, 1))
    before = item("101111111111", team_code="", registered_at="2026-05-20T09:00:00+07:00", cleared_at=None)
    after = item("101111111112", team_code="", registered_at="2026-06-02T09:00:00+07:00", cleared_at=None)

    integration.post(URL, [before, after], format="json")

    assert Declaration.objects.get(number="101111111111").team == cast.team_a1
    assert Declaration.objects.get(number="101111111112").team == cast.team_a2


def test_ingest_batch_over_the_limit_is_refused(cast, integration, settings):
    settings.DECLARATION_BATCH_MAX = 2
    batch = [item(f"10111111111{i}") for i in range(3)]
    response = integration.post(URL, batch, format="json")
    assert response.status_code == 400
    assert not Declaration.objects.filter(number__startswith="1011111111").exists()


def test_ingest_duplicate_number_inside_batch_is_an_error(cast, integration):
    response = integration.post(URL, [item(), copy.deepcopy(item())], format="json")
    assert response.status_code == 400
    assert "number" in response.json()["errors"]["1"]


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Token not-a-real-key", 401), ("Bearer abc", 401), ("Token", 401)],
)
def test_ingest_needs_a_valid_token(cast, api_client, header, status):
    if header:
        api_client.credentials(HTTP_AUTHORIZATION=header)
    assert api_client.post(URL, item(), format="json").status_code == status


def test_revoked_token_is_refused(cast, api_client):
    from directory.services import issue_api_token, revoke_api_token

    token, key = issue_api_token(cast.users.integration, "ci")
    revoke_api_token(token)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.post(URL, item(), format="json").status_code == 401


@pytest.mark.parametrize("role", ["business", "officer", "leader", "staff"])
def test_ingest_refuses_other_roles(cast, api_client, token_for, role):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(getattr(cast.users, role)))
    assert api_client.post(URL, item(), format="json").status_code == 403
    assert not Declaration.objects.filter(number="101111111111").exists()


def test_token_is_stored_hashed(cast):
    from directory.services import issue_api_token

    token, key = issue_api_token(cast.users.integration, "ci")
    assert key not in token.key_hash
    assert token.prefix == key[:8]
    assert reverse("api-schema")
