"""core.xlsx_reader against crafted files: each is refused with a message before it costs much, and
reading stays under 200 MB of memory (measured with tracemalloc, not with a clock)."""

import io
import tracemalloc

import pytest
from openpyxl import Workbook

from core.xlsx_reader import DEFAULT_LIMITS, Limits, UnreadableWorkbook, read_rows

from .crafted_xlsx import far_rows_undeclared, plain_workbook, whole_sheet_declared, with_dtd, zip_bomb

MEMORY_LIMIT = 200 * 2**20


def _read(content: bytes, limits: Limits = DEFAULT_LIMITS) -> list:
    return list(read_rows(io.BytesIO(content), limits))


def _refusal(content: bytes, limits: Limits = DEFAULT_LIMITS) -> UnreadableWorkbook:
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableWorkbook) as caught:
            _read(content, limits)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, peak
    return caught.value


def test_a_plain_workbook_is_read_row_by_row():
    assert _read(plain_workbook()) == [(1, ("number", "name")), (2, ("1", "a"))]


def test_a_small_file_declaring_the_whole_sheet_is_refused_before_reading():
    content = whole_sheet_declared()
    assert len(content) < 30_000
    assert "more than" in _refusal(content).message  # rows or columns, whichever is checked first


def test_rows_far_down_without_a_declared_dimension_are_refused_while_reading():
    assert "rows" in _refusal(far_rows_undeclared()).message


@pytest.mark.parametrize("megabytes, says", [(150, "once unpacked"), (30, "compressed suspiciously much")])
def test_zip_bombs_are_refused_from_the_zip_directory(megabytes, says):
    content = zip_bomb(megabytes)
    assert len(content) < 1_000_000
    assert says in _refusal(content).message


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"])
def test_xml_with_a_dtd_is_refused(member):
    assert "DTD" in _refusal(with_dtd(member)).message


def test_a_formula_is_refused_naming_its_cell():
    workbook = Workbook()
    workbook.active.append(["code", "Q1"])
    workbook.active.append(["ABC", "=1+4"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    refusal = _refusal(buffer.getvalue())
    assert refusal.cell == "B2" and "B2" in refusal.message


def test_rows_columns_and_cell_length_are_bounded():
    limits = Limits(max_rows=2, max_columns=3, max_cell_chars=10)
    assert "rows" in _refusal(plain_workbook([("a",)] * 4), limits).message
    assert "columns" in _refusal(plain_workbook([("a", "b", "c", "d")]), limits).message
    refusal = _refusal(plain_workbook([("a", "x" * 11)]), limits)
    assert refusal.cell == "B1"


def test_not_a_workbook_is_refused():
    assert "Excel workbook" in _refusal(b"number,name\n1,a\n").message
