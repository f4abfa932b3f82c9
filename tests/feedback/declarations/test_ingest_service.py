"""feedback.declarations.services.ingest_declarations called directly: the parts the API tests do not reach.

New declarations and their officer links are written with multi-row INSERTs of plain tuples and tax
codes are normalised through a cache (docs/performance.md); these tests pin what that must not change.
"""

import datetime

import pytest

from directory.taxcode import make_tax_codes
from feedback.declarations.services import DeclarationBatchError, ingest_declarations
from feedback.models import Declaration, DeclarationOfficer

NEW_TAX_CODES = make_tax_codes(57, 3, start=9000)


def body(number: str, officers: list[tuple[str, str]], *, tax_code: str | None = None, **overrides) -> dict:
    item = {
        "number": number,
        "type_code": "A11",
        "channel": "green",
        "business_tax_code": tax_code or NEW_TAX_CODES[0],
        "business_name": "Công ty TNHH Lô Hàng",
        "branch_code": "MC",
        "team_code": "",
        "officers": [{"code": code, "stage": stage} for code, stage in officers],
        "registered_at": "2026-05-15T09:30:00+07:00",
        "cleared_at": "2026-05-15T11:00:00+07:00",
    }
    item.update(overrides)
    return item


def links_of(number: str) -> list[tuple[str, str, str | None]]:
    return sorted(
        DeclarationOfficer.objects.filter(declaration__number=number).values_list(
            "officer__code", "stage", "team__code"
        )
    )


def test_ingest_links_each_officer_to_its_own_declaration(cast):
    # Given a batch whose declarations list different officers, in an order unlike their numbers
    batch = [
        body("109000000003", [("OA2", "release")]),
        body("109000000001", [("OA1", "reception"), ("OA2", "document_check")]),
        body("109000000002", [("OA1", "physical_inspection")], tax_code=NEW_TAX_CODES[1]),
    ]

    # When it is ingested
    result = ingest_declarations(batch, actor=cast.users.integration)

    # Then every link belongs to the declaration that listed it, with the officer's team of the day
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert links_of("109000000001") == [("OA1", "reception", "MC-TT"), ("OA2", "document_check", "MC-KS")]
    assert links_of("109000000002") == [("OA1", "physical_inspection", "MC-TT")]
    assert links_of("109000000003") == [("OA2", "release", "MC-KS")]
    # and the team was derived from the first officer, the times kept as sent
    first = Declaration.objects.get(number="109000000001")
    assert first.team == cast.team_a1
    assert first.registered_at == datetime.datetime(2026, 5, 15, 2, 30, tzinfo=datetime.UTC)
    assert first.created_at == first.updated_at


def test_ingest_relinks_only_the_changed_declaration(cast):
    batch = [body("109000000001", [("OA1", "reception")]), body("109000000002", [("OA2", "reception")])]
    ingest_declarations(batch, actor=cast.users.integration)

    batch[1]["officers"] = [{"code": "OA1", "stage": "release"}]
    result = ingest_declarations(batch, actor=cast.users.integration)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert links_of("109000000001") == [("OA1", "reception", "MC-TT")]
    assert links_of("109000000002") == [("OA1", "release", "MC-TT")]


def test_ingest_reports_an_invalid_tax_code_every_time_it_appears(cast):
    # The normalised codes are cached; errors must not be, in one batch or across batches.
    batch = [
        body("109000000001", [], tax_code="0100109107"),
        body("109000000002", [], tax_code="0100109107"),
    ]
    for _attempt in range(2):
        with pytest.raises(DeclarationBatchError) as raised:
            ingest_declarations(batch, actor=cast.users.integration)
        assert set(raised.value.errors.by_item) == {0, 1}
        assert all("business_tax_code" in fields for fields in raised.value.errors.by_item.values())
    assert not Declaration.objects.filter(number__startswith="10900000000").exists()


def test_ingest_accepts_a_cached_tax_code_in_another_spelling(cast):
    tax_code = NEW_TAX_CODES[2]
    ingest_declarations([body("109000000001", [], tax_code=tax_code)], actor=cast.users.integration)

    ingest_declarations([body("109000000002", [], tax_code=f" {tax_code} ")], actor=cast.users.integration)

    numbers = Declaration.objects.filter(business__tax_code=tax_code).values_list("number", flat=True)
    assert sorted(numbers) == ["109000000001", "109000000002"]


def test_ingest_splits_inserts_where_the_database_limits_parameters(cast, monkeypatch):
    # SQLite caps the parameters of one statement (the embedded mode); force the split on any database.
    from django.db import connection

    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    batch = [body(f"10900000000{n}", [("OA1", "reception"), ("OA2", "release")]) for n in range(5)]

    result = ingest_declarations(batch, actor=cast.users.integration)

    assert result.created == 5
    assert DeclarationOfficer.objects.filter(declaration__number__startswith="10900000000").count() == 10
    assert links_of("109000000004") == [("OA1", "reception", "MC-TT"), ("OA2", "release", "MC-KS")]


def test_fast_insert_writes_every_column_of_the_models():
    # The ingest writes rows as tuples, not model instances: a new field would silently get no value.
    from feedback.declarations.services import DECLARATION_INSERT_FIELDS, LINK_INSERT_FIELDS

    for model, written in [(Declaration, DECLARATION_INSERT_FIELDS), (DeclarationOfficer, LINK_INSERT_FIELDS)]:
        columns = {field.attname for field in model._meta.concrete_fields if not field.primary_key}
        written_columns = {model._meta.get_field(name).attname for name in written}
        assert written_columns == columns, f"update feedback.declarations.services.*_INSERT_FIELDS for {model.__name__}"
