import csv
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from openpyxl import Workbook

from directory.choices import Role
from directory.models import AuditEvent, Business, Department, User
from directory.taxcode import make_tax_codes
from feedback.declarations.checks import FIELDS
from feedback.models import Declaration, DeclarationOfficer

TAX_CODES = make_tax_codes(57, 3, start=7000)


def row(number, **overrides):
    values = {
        "number": number,
        "type_code": "A11",
        "channel": "green",
        "business_tax_code": TAX_CODES[0],
        "business_name": "Công ty TNHH Nhập Khẩu",
        "branch_code": "MC",
        "team_code": "MC-TT",
        "officers": "OA1:reception;OA2:release",
        "registered_at": "2026-05-15T09:30:00+07:00",
        "cleared_at": "2026-05-15T11:00:00+07:00",
    }
    values.update(overrides)
    return values


def write_csv(path, rows, columns=FIELDS):
    # utf-8-sig: the byte-order mark Excel puts in front of "CSV UTF-8" files.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_import(path, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_declarations", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def good_rows():
    return [
        row("102000000001"),
        row("102000000002", business_tax_code=TAX_CODES[1], business_name="Công ty B", channel="vàng"),
        row(
            "302000000003",
            branch_code="HG",
            team_code="HG-TT",
            officers="OB1:document_check",
            registered_at="16/05/2026 08:00",
            cleared_at="",
        ),
    ]


def test_import_csv_creates_then_second_run_reports_unchanged(cast, tmp_path):
    path = write_csv(tmp_path / "declarations.csv", good_rows())

    out, err = run_import(path)

    assert "Rows read: 3. Created: 3, updated: 0, unchanged: 0." in out
    assert "3/3" in err  # the progress bar reached the end
    first = Declaration.objects.get(number="102000000001")
    assert first.business.name == "Công ty TNHH Nhập Khẩu"
    assert sorted(first.officer_links.values_list("officer__code", "stage")) == [
        ("OA1", "reception"),
        ("OA2", "release"),
    ]
    assert Declaration.objects.get(number="102000000002").channel == "yellow"
    third = Declaration.objects.get(number="302000000003")
    assert third.cleared_at is None
    assert third.registered_at == datetime.datetime(2026, 5, 16, 1, 0, tzinfo=datetime.UTC)  # 08:00 in Vietnam

    again, _err = run_import(path)

    assert "Created: 0, updated: 0, unchanged: 3." in again


def test_import_changed_row_is_updated_and_audited_as_the_given_user(cast, tmp_path):
    run_import(write_csv(tmp_path / "first.csv", good_rows()))
    changed = good_rows()
    changed[0]["channel"] = "red"

    out, _err = run_import(write_csv(tmp_path / "second.csv", changed), "--user", "integration")

    assert "Created: 0, updated: 1, unchanged: 2." in out
    event = AuditEvent.objects.for_object(Declaration.objects.get(number="102000000001")).get()
    assert event.actor == cast.users.integration
    assert event.changes["channel"] == ["green", "red"]


def test_import_xlsx_with_datetime_and_numeric_cells(cast, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(FIELDS))
    values = row(
        102000000009,  # typed as a number: Excel stores it as a number cell
        business_tax_code=int(TAX_CODES[2]),
        officers="OA1:reception",
        registered_at=datetime.datetime(2026, 5, 15, 9, 30),  # noqa: DTZ001 - Excel cells hold no time zone
        cleared_at=datetime.datetime(2026, 5, 15, 10, 45),  # noqa: DTZ001
    )
    sheet.append([values[name] for name in FIELDS])
    sheet.append([None] * len(FIELDS))  # trailing blank rows are common in hand-made sheets
    sheet.append([float(102000000010), *[values[name] for name in FIELDS[1:]]])
    path = tmp_path / "declarations.xlsx"
    workbook.save(path)

    out, _err = run_import(path)

    assert "Rows read: 2. Created: 2" in out
    declaration = Declaration.objects.get(number="102000000009")
    assert declaration.business.tax_code == TAX_CODES[2]
    assert declaration.registered_at == datetime.datetime(2026, 5, 15, 2, 30, tzinfo=datetime.UTC)
    assert declaration.cleared_at == datetime.datetime(2026, 5, 15, 3, 45, tzinfo=datetime.UTC)
    assert Declaration.objects.filter(number="102000000010").exists()


def test_import_bad_rows_write_nothing_and_name_every_row_and_column(cast, tmp_path):
    rows = good_rows()
    rows.insert(1, row("102000000004", registered_at="2026-05-15T12:00:00+07:00"))  # cleared before registered
    rows.append(row("102000000005", officers="OA1:reception;ZZ9:release"))
    rows.append(row("102000000001"))  # same number as the first row
    path = write_csv(tmp_path / "bad.csv", rows)
    businesses_before = Business.objects.count()

    with pytest.raises(CommandError) as raised:
        run_import(path)

    message = str(raised.value)
    assert "Row 3, column cleared_at: Clearance cannot come before registration." in message
    assert "Row 6, column officers (entry 2): Unknown officer code: ZZ9." in message
    assert "Row 7, column number: This number is already in row 2." in message
    assert "Row 2," not in message and "Row 4," not in message
    assert not Declaration.objects.filter(number__startswith="1020").exists()
    assert Business.objects.count() == businesses_before
    assert DeclarationOfficer.objects.filter(declaration__number__startswith="1020").count() == 0


def test_import_missing_columns_are_named(cast, tmp_path):
    columns = [name for name in FIELDS if name not in ("officers", "cleared_at")]
    path = write_csv(tmp_path / "short.csv", good_rows(), columns=columns)

    with pytest.raises(CommandError, match="Missing columns in the header row: officers, cleared_at."):
        run_import(path)


def test_import_branch_outside_users_scope_is_rejected(cast, tmp_path):
    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    User.objects.filter(pk=cast.users.integration.pk).update(department=other)
    path = write_csv(tmp_path / "declarations.csv", good_rows()[:1])

    with pytest.raises(CommandError, match="Row 2, column branch_code: Unknown branch code: MC."):
        run_import(path, "--user", "integration")
    assert not Declaration.objects.filter(number="102000000001").exists()


def test_import_refuses_business_user_and_missing_administrator(cast, tmp_path):
    path = write_csv(tmp_path / "declarations.csv", good_rows())

    with pytest.raises(CommandError, match="may not import"):
        run_import(path, "--user", "business")
    User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMINISTRATOR)).update(is_active=False)
    with pytest.raises(CommandError, match="no active administrator"):
        run_import(path)


def test_import_file_that_is_not_a_workbook_is_a_clear_error(cast, tmp_path):
    path = tmp_path / "declarations.xlsx"
    path.write_bytes(b"number,type_code\n")  # a CSV renamed to .xlsx

    with pytest.raises(CommandError, match="Excel workbook"):
        run_import(path)


def test_import_numeric_13_digit_tax_code_and_capitalised_stage(cast, tmp_path):
    branch_code = make_tax_codes(1, 1, start=300)[0] + "-002"  # a Hà Nội dependent unit, leading 0
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(FIELDS))
    values = row("102000000009", business_tax_code=int(branch_code.replace("-", "")), officers="OA1:Reception")
    sheet.append([values[name] for name in FIELDS])
    path = tmp_path / "declarations.xlsx"
    workbook.save(path)

    run_import(path)

    declaration = Declaration.objects.get(number="102000000009")
    assert declaration.business.tax_code == branch_code
    assert list(declaration.officer_links.values_list("stage", flat=True)) == ["reception"]


# --- crafted files (core.xlsx_reader) ------------------------------------------------------------------------


def _crafted(name):
    from tests.core import crafted_xlsx

    return getattr(crafted_xlsx, name)


@pytest.mark.parametrize(
    "make, says",
    [
        (lambda: _crafted("whole_sheet_declared")(), "more than"),
        (lambda: _crafted("zip_bomb")(150), "once unpacked"),
        (lambda: _crafted("with_dtd")(), "DTD"),
    ],
    ids=["whole-sheet", "zip-bomb", "dtd"],
)
def test_import_refuses_crafted_workbooks_with_a_message(cast, tmp_path, make, says):
    path = tmp_path / "declarations.xlsx"
    path.write_bytes(make())

    with pytest.raises(CommandError, match=says):
        run_import(path)
    assert not Declaration.objects.filter(number__startswith="102").exists()


def test_import_checks_the_header_before_reading_rows(cast, tmp_path):
    workbook = Workbook()
    workbook.active.append(["number", "type_code"])
    workbook.active.append(["102000000001", "=A1"])  # would be refused, were the rows read
    path = tmp_path / "short.xlsx"
    workbook.save(path)

    with pytest.raises(CommandError, match="Missing columns"):
        run_import(path)


def test_import_formula_cell_is_named(cast, tmp_path):
    workbook = Workbook()
    workbook.active.append(list(FIELDS))
    values = row("102000000009", officers="OA1:reception")
    workbook.active.append([values[name] for name in FIELDS])
    workbook.active.cell(row=2, column=FIELDS.index("channel") + 1, value='=IF(1,"green","red")')
    path = tmp_path / "formula.xlsx"
    workbook.save(path)

    with pytest.raises(CommandError, match=r"Cell C2 holds a formula"):
        run_import(path)
    assert not Declaration.objects.filter(number="102000000009").exists()


@pytest.mark.parametrize(
    "overrides, where",
    [
        ({"business_name": "Công ty\x00"}, "Row 2, column business_name"),
        ({"number": "10200000000²"}, "Row 2, column number"),
        ({"registered_at": "9999-01-01T00:00:00+07:00"}, "Row 2, column registered_at"),
        ({"officers": "OA1:nowhere"}, "Row 2, column officers (entry 1)"),
    ],
)
def test_import_errors_name_the_row_and_the_column(cast, tmp_path, overrides, where):
    path = write_csv(tmp_path / "bad.csv", [row(**{"number": "102000000001", **overrides})])
    with pytest.raises(CommandError) as caught:
        run_import(path)
    assert where in str(caught.value)
