"""Optional stage times of declarations (received, document check, inspection; released = cleared): stored
when given, validated in order at the edge with errors naming item and field, old payloads still valid."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from feedback.models import Declaration
from tests.feedback.declarations.test_import_command import row, run_import, write_csv
from tests.feedback.declarations.test_ingest_api import URL, item

VN = ZoneInfo("Asia/Ho_Chi_Minh")
STAGES = {
    "received_at": "2026-05-15T09:10:00+07:00",
    "registered_at": "2026-05-15T09:30:00+07:00",
    "document_check_done_at": "2026-05-15T10:15:00+07:00",
    "inspection_done_at": "2026-05-15T10:45:00+07:00",
    "cleared_at": "2026-05-15T11:00:00+07:00",
}


@pytest.fixture
def integration(cast, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(cast.users.integration))
    return api_client


def local(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).astimezone(VN)


def test_stage_times_are_stored_shown_and_their_change_audited(cast, integration):
    assert integration.post(URL, item(channel="red", **STAGES), format="json").status_code == 201
    declaration = Declaration.objects.get(number="101111111111")
    assert declaration.received_at == local(STAGES["received_at"])
    assert declaration.document_check_done_at == local(STAGES["document_check_done_at"])
    assert declaration.inspection_done_at == local(STAGES["inspection_done_at"])

    shown = integration.get(f"{URL}101111111111/").json()
    assert {name: local(shown[name]) for name in STAGES} == {name: local(value) for name, value in STAGES.items()}

    later = {**STAGES, "inspection_done_at": "2026-05-15T10:50:00+07:00"}
    assert integration.post(URL, item(channel="red", **later), format="json").json()["updated"] == 1
    resent = integration.post(URL, item(channel="red", **later), format="json")
    assert resent.json() == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_payload_without_stage_times_is_still_valid(cast, integration):
    assert integration.post(URL, item(), format="json").status_code == 201
    declaration = Declaration.objects.get(number="101111111111")
    assert (declaration.received_at, declaration.document_check_done_at, declaration.inspection_done_at) == (
        None,
        None,
        None,
    )


def test_released_at_is_cleared_at(cast, integration):
    body = item(released_at="2026-05-15T11:30:00+07:00")
    del body["cleared_at"]
    assert integration.post(URL, body, format="json").status_code == 201
    assert Declaration.objects.get(number="101111111111").cleared_at == local("2026-05-15T11:30:00+07:00")

    both = item("101111111112", released_at="2026-05-15T11:30:00+07:00")  # cleared_at 11:00
    response = integration.post(URL, both, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]["0"]) == ["released_at"]
    same = item("101111111112", released_at="2026-05-15T04:00:00Z")  # 11:00 in Hà Nội
    assert integration.post(URL, same, format="json").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "earlier"),
    [
        ({"received_at": "2026-05-15T09:31:00+07:00"}, "registered_at", "received_at"),
        ({"document_check_done_at": "2026-05-15T09:00:00+07:00"}, "document_check_done_at", "registered_at"),
        (
            {"document_check_done_at": "2026-05-15T10:15:00+07:00", "inspection_done_at": "2026-05-15T10:00:00+07:00"},
            "inspection_done_at",
            "document_check_done_at",
        ),
        ({"inspection_done_at": "2026-05-15T11:05:00+07:00"}, "cleared_at", "inspection_done_at"),
    ],
)
def test_stage_times_out_of_order_are_a_400_naming_item_and_field(cast, integration, overrides, field, earlier):
    batch = [item("101111111111"), item("101111111112", **overrides)]
    response = integration.post(URL, batch, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"1": {field: [f"This time cannot come before {earlier}."]}}
    assert not Declaration.objects.filter(number__in=["101111111111", "101111111112"]).exists()


@pytest.mark.parametrize("name", ["received_at", "document_check_done_at", "inspection_done_at", "released_at"])
@pytest.mark.parametrize("value", ["1999-12-31T23:00:00+07:00", "2999-01-01T00:00:00+07:00", "hôm qua", 42])
def test_stage_times_out_of_range_or_unparsable_are_refused(cast, integration, name, value):
    body = item(**{name: value})
    if name == "released_at":
        del body["cleared_at"]
        name = "cleared_at"  # the alias is checked as the time it stands for
    response = integration.post(URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]["0"]) == [name]


def test_the_database_refuses_stages_out_of_order(cast):
    declaration = cast.dx
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.filter(pk=declaration.pk).update(
            inspection_done_at=declaration.registered_at - datetime.timedelta(minutes=1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.filter(pk=declaration.pk).update(
            received_at=declaration.registered_at + datetime.timedelta(minutes=1)
        )


def test_the_import_file_takes_optional_stage_columns(cast, tmp_path):
    columns = ["number", "type_code", "channel", "business_tax_code", "business_name", "branch_code", "team_code"]
    columns += ["officers", "received_at", "registered_at", "document_check_done_at", "released_at"]
    rows = [row("102000000001", received_at="15/05/2026 09:05", document_check_done_at="15/05/2026 10:00")]
    rows[0]["released_at"] = rows[0].pop("cleared_at")
    run_import(write_csv(tmp_path / "stages.csv", rows, columns=columns))
    declaration = Declaration.objects.get(number="102000000001")
    assert declaration.received_at == datetime.datetime(2026, 5, 15, 9, 5, tzinfo=VN)
    assert declaration.document_check_done_at == datetime.datetime(2026, 5, 15, 10, 0, tzinfo=VN)
    assert declaration.cleared_at == local("2026-05-15T11:00:00+07:00")
