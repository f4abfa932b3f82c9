"""The one cell writer of every spreadsheet the portal writes: header style, number formats, and formula
neutralisation, for the .xlsx workbooks (dashboards, rating rows, CDCI report, survey letters, monitoring
and paper template) and the CSV files.

Text that a spreadsheet could read as a formula (it starts with =, +, - or @, or a tab or carriage return
that some programs strip first) must never become one: a comment "=HYPERLINK(...)" from a business, or a
business name typed that way, would otherwise run in the reader's Excel. In .xlsx files such text is
stored as a string with Excel's quote prefix (shown as typed, never evaluated, even after editing the
cell); in CSV files, which carry no types, it gets a leading apostrophe.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")
# Excel shows these with the reader's own separators: 1.234,5 on a Vietnamese system.
SCORE = "#,##0.00"
DECIMAL = "#,##0.0"
WHOLE = "#,##0"
PERCENT = "0.0%"
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters Excel refuses in a sheet's name, and its length limit.
SHEET_NAME_FORBIDDEN = "[]:*?/\\"
SHEET_NAME_LENGTH = 31


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value):
    """A value for a CSV cell: formula-like text gets a leading apostrophe, everything else is unchanged."""
    return "'" + value if looks_like_formula(value) else value


def set_cell(cell, value, number_format: str | None = None):
    """Write a value into a worksheet cell (normal or write-only); formula-like text stays quoted text."""
    cell.value = value
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format and value is not None and not isinstance(value, str):
        cell.number_format = number_format
    return cell


def write_only_cell(sheet, value, number_format: str | None = None, *, header: bool = False):
    """A cell for openpyxl's write-only mode (`sheet.append([...])`), neutralised and formatted."""
    cell = set_cell(WriteOnlyCell(sheet), value, number_format)
    if header:
        style_header(cell)
    return cell


def style_header(cell):
    cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    return cell


def write_header(sheet, titles: list[str], row: int = 1) -> None:
    """A row of header cells, from column A."""
    for column, title in enumerate(titles, start=1):
        style_header(set_cell(sheet.cell(row=row, column=column), title))


def set_column_widths(sheet, widths: list[float]) -> None:
    """Widths of the columns from A, in Excel's character units."""
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid sheet name for `text`, unique (case-insensitively) among `taken`, which it joins."""
    name = "".join(" " if char in SHEET_NAME_FORBIDDEN else char for char in text).strip()
    name = name[:SHEET_NAME_LENGTH] or "Sheet"
    base, number = name, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: SHEET_NAME_LENGTH - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
