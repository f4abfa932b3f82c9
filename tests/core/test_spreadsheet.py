"""The one cell writer: text that starts like a formula stays inert, in .xlsx cells (normal and
write-only) and in CSV cells; everything else is written as given."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from core.spreadsheet import (
    FORMULA_STARTS,
    csv_text,
    set_cell,
    sheet_title,
    workbook_bytes,
    write_header,
    write_only_cell,
)

PAYLOAD = 'HYPERLINK("http://evil.example/","Xem")'


def test_the_dangerous_prefixes_are_the_six_known_ones():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("prefix", FORMULA_STARTS)
def test_csv_text_prefixes_an_apostrophe(prefix):
    assert csv_text(prefix + PAYLOAD) == "'" + prefix + PAYLOAD


@pytest.mark.parametrize("value", ["Hải quan Móng Cái", "'quoted", "", 12, None, 1.5])
def test_csv_text_leaves_other_values_alone(value):
    assert csv_text(value) == value


@pytest.mark.parametrize("prefix", FORMULA_STARTS)
def test_set_cell_stores_quoted_text_that_survives_a_reload(prefix):
    workbook = Workbook()
    sheet = workbook.active
    set_cell(sheet.cell(row=1, column=1), prefix + PAYLOAD)
    write_header(sheet, [prefix + "header"], row=2)

    reloaded = load_workbook(io.BytesIO(workbook_bytes(workbook))).active

    for cell in (reloaded["A1"], reloaded["A2"]):
        assert cell.data_type == "s"  # a string, never a formula ("f")
        assert cell.quotePrefix
    assert reloaded["A1"].value.endswith(PAYLOAD)


@pytest.mark.parametrize("prefix", FORMULA_STARTS)
def test_write_only_cell_stores_quoted_text(prefix):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Rows")
    sheet.append([write_only_cell(sheet, prefix + PAYLOAD), write_only_cell(sheet, prefix + "h", header=True)])

    reloaded = load_workbook(io.BytesIO(workbook_bytes(workbook))).active

    for cell in (reloaded["A1"], reloaded["B1"]):
        assert cell.data_type == "s"
        assert cell.quotePrefix


def test_set_cell_formats_numbers_and_leaves_plain_text_unquoted():
    sheet = Workbook().active
    number = set_cell(sheet["A1"], 1234.5, "#,##0.0")
    text = set_cell(sheet["A2"], "Chi cục", "#,##0.0")
    assert number.number_format == "#,##0.0"
    assert text.number_format == "General" and not text.quotePrefix


def test_sheet_titles_are_valid_and_unique():
    taken: set[str] = set()
    assert sheet_title("Units: A/B [2025]", taken) == "Units  A B  2025"
    assert sheet_title("x" * 40, taken) == "x" * 31
    assert sheet_title("X" * 40, taken) == "X" * 27 + " (2)"  # unique regardless of case
    assert sheet_title("", taken) == "Sheet"
