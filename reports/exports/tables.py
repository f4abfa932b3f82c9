"""Writers of the dashboards' figures and of rating rows: Excel (openpyxl) and CSV (UTF-8 with a BOM).

A `Table` holds one table of a dashboard as raw values (numbers, rates as fractions, dates) with the
kind of each column; the page shows it with localised numbers, the CSV download writes it as plain
numbers, and the Excel workbook gives each cell its number format. Excel formats (#,##0.0, 0.0%,
dd/mm/yyyy) are shown by Excel with the reader's separators, so a Vietnamese Excel shows 1.234,5.
Every cell goes through core.spreadsheet, so a comment "=HYPERLINK(...)" comes out inert.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from core.spreadsheet import (
    DATE,
    DATETIME,
    DECIMAL,
    PERCENT,
    SCORE,
    TITLE_FONT,
    WHOLE,
    csv_text,
    looks_like_formula,
    set_cell,
    sheet_title,
    style_header,
    workbook_bytes,
    write_only_cell,
)

BOM = "\ufeff"
CSV = "text/csv; charset=utf-8"
HEADER_ROW = 4

# Column kinds: how a value is shown, written to CSV and formatted in Excel.
TEXT, INT, RATE, MEAN, DAYS, DATE_KIND, DATETIME_KIND = "text", "int", "rate", "mean", "days", "date", "datetime"
# A level from 1 to 5: a whole number that needs no format (no thousands to group), so Excel cells stay plain.
LEVEL = "level"
EXCEL_FORMATS = {INT: WHOLE, RATE: PERCENT, MEAN: SCORE, DAYS: DECIMAL, DATE_KIND: DATE, DATETIME_KIND: DATETIME}
WIDTHS = {TEXT: 34, INT: 11, LEVEL: 11, RATE: 13, MEAN: 11, DAYS: 12, DATE_KIND: 12, DATETIME_KIND: 17}


@dataclass
class Column:
    label: str
    kind: str = TEXT


@dataclass
class Table:
    """One table of figures: `rows` hold raw values; a cell may hold text instead of a number (such as
    "Not enough ratings"). `links` (optional) links each row's first text cell (the unit's name) on the page."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    # On a page, a long table shows one page of rows: {first, last, total, previous, next} (see dashboard_views).
    pager: dict | None = None

    def display_rows(self) -> list[list[dict]]:
        """The rows as the page shows them: localised text and whether the cell is a number."""
        shown = []
        linked = next((i for i, column in enumerate(self.columns) if column.kind == TEXT), 0)
        for index, row in enumerate(self.rows):
            cells = []
            for position, (column, value) in enumerate(zip(self.columns, row, strict=True)):
                link = self.links[index] if position == linked and index < len(self.links) else None
                cells.append({"text": display(value, column.kind), "numeric": column.kind != TEXT, "link": link})
            shown.append(cells)
        return shown


def display(value, kind: str) -> str:
    """A value as a page shows it, in the active language (decimal comma in Vietnamese)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if kind == RATE:
        return formats.number_format(100 * value, 1, use_l10n=True) + "%"
    if kind == MEAN:
        return formats.number_format(value, 2, use_l10n=True)
    if kind == DAYS:
        return formats.number_format(value, 1, use_l10n=True)
    if kind == DATE_KIND:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if kind == DATETIME_KIND:
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if kind == INT:
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    return str(value)


# --- CSV -----------------------------------------------------------------------------------------


def _csv_value(value, kind: str):
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if kind == RATE:
        return round(100 * value, 2)
    if kind in (MEAN, DAYS):
        return round(value, 2)
    if kind == DATETIME_KIND:
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if kind == DATE_KIND:
        return value.strftime("%d/%m/%Y")
    return value


def csv_header(columns: list[Column]) -> list[str]:
    return [csv_text(f"{column.label} (%)" if column.kind == RATE else column.label) for column in columns]


def table_csv(table: Table) -> str:
    """A table as CSV text, starting with the BOM (so that Excel reads UTF-8 and shows Vietnamese)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(csv_header(table.columns))
    for row in table.rows:
        writer.writerow([_csv_value(value, column.kind) for column, value in zip(table.columns, row, strict=True)])
    return buffer.getvalue()


class _Echo:
    def write(self, value):
        return value


def stream_csv(columns: list[Column], rows: Iterable[list]) -> Iterator[str]:
    """CSV lines one by one (for a StreamingHttpResponse): the BOM, the header, then each row."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(csv_header(columns))
    for row in rows:
        yield writer.writerow([_csv_value(value, column.kind) for column, value in zip(columns, row, strict=True)])


# --- Excel: the figures of a dashboard -----------------------------------------------------------


def _excel_value(value, kind: str):
    if kind == DATETIME_KIND and isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones: local time
    return value


def _table_sheet(sheet, table: Table, subtitle: str, taken: set[str]) -> int:
    """Write a table with its title; return the last data row."""
    sheet.title = sheet_title(table.title, taken)
    set_cell(sheet.cell(row=1, column=1), table.title).font = TITLE_FONT
    set_cell(sheet.cell(row=2, column=1), subtitle)
    for position, column in enumerate(table.columns, start=1):
        style_header(set_cell(sheet.cell(row=HEADER_ROW, column=position), column.label))
        sheet.column_dimensions[get_column_letter(position)].width = WIDTHS[column.kind]
    sheet.row_dimensions[HEADER_ROW].height = 45
    for offset, row in enumerate(table.rows, start=1):
        for position, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            set_cell(
                sheet.cell(row=HEADER_ROW + offset, column=position),
                _excel_value(value, column.kind),
                EXCEL_FORMATS.get(column.kind),
            )
    first_text = next((i for i, column in enumerate(table.columns, start=1) if column.kind == TEXT), 1)
    # Header and the unit's name stay in view while scrolling.
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=first_text + 1)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return HEADER_ROW + len(table.rows)


def _bar_chart(sheet, table: Table, value_column: str, last_row: int, title: str) -> None:
    """A native Excel bar chart of one column of a sheet, one bar per unit, best at the top."""
    labels = [column.label for column in table.columns]
    name_column = next(i for i, column in enumerate(table.columns, start=1) if column.kind == TEXT)
    data_column = labels.index(value_column) + 1
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = title
    chart.legend = None
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.add_data(Reference(sheet, min_col=data_column, min_row=HEADER_ROW, max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=name_column, min_row=HEADER_ROW + 1, max_row=last_row))
    chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
    chart.height = max(7.5, 0.7 * len(table.rows) + 3)
    chart.width = 20
    sheet.add_chart(chart, f"B{last_row + 3}")


def figures_workbook(tables: list[Table], subtitle: str, chart: tuple[str, str, str] | None = None) -> bytes:
    """A workbook with one sheet per table. `chart` = (table name, column label, chart title) adds a
    native bar chart of that column under that table."""
    workbook = Workbook()
    taken: set[str] = set()
    for index, table in enumerate(tables):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        last_row = _table_sheet(sheet, table, subtitle, taken)
        if chart and chart[0] == table.name and table.rows:
            _bar_chart(sheet, table, chart[1], last_row, chart[2])
    return workbook_bytes(workbook)


# --- Excel: rating rows, in write-only mode (memory stays flat whatever the count) ---------------------


# Excel's limit of rows per sheet; the header takes one.
EXCEL_MAX_ROWS = 1_048_576


def write_rows_xlsx(
    target,
    title: str,
    columns: list[Column],
    rows: Iterable[list],
    *,
    on_progress: Callable[[int], None] | None = None,
    every: int = 5000,
    rows_per_sheet: int = EXCEL_MAX_ROWS - 1,
) -> int:
    """Stream rows into an .xlsx file (a path or a binary file object) with openpyxl's write-only mode;
    `on_progress(rows written)` is called every `every` rows. Rows beyond `rows_per_sheet` (what fits
    under Excel's row limit) go on to a next sheet, "title (2)" and so on, each with the header.
    Returns the number of rows."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    formats = [EXCEL_FORMATS.get(column.kind) for column in columns]
    kinds = [column.kind for column in columns]
    zone = timezone.get_current_timezone()

    def cell_value(value, kind: str):
        if kind == DATETIME_KIND and isinstance(value, datetime.datetime):
            return value.astimezone(zone).replace(tzinfo=None)  # as _excel_value, with the zone looked up once
        return value

    sheet = None
    count = on_sheet = 0
    for row in rows:
        if sheet is None or on_sheet == rows_per_sheet:
            number = count // rows_per_sheet + 1
            sheet = _rows_sheet(workbook, title if number == 1 else f"{title} ({number})", columns, taken)
            # One formatted cell per column, its value replaced row after row: a write-only sheet writes
            # each row as it is appended, and styling a new cell per value was most of the writing time.
            formatted = [
                write_only_cell(sheet, 0, number_format) if number_format else None for number_format in formats
            ]
            on_sheet = 0
        sheet.append(
            [
                _row_cell(sheet, cell_value(value, kind), template)
                for kind, template, value in zip(kinds, formatted, row, strict=True)
            ]
        )
        count += 1
        on_sheet += 1
        if on_progress and count % every == 0:
            on_progress(count)
    if sheet is None:
        _rows_sheet(workbook, title, columns, taken)
    workbook.save(target)
    return count


def _row_cell(sheet, value, template):
    """What `write_only_cell` would write, cheaply: plain values as they are, numbers and dates in their
    column's formatted cell, formula-like text through the one cell writer."""
    if looks_like_formula(value):
        return write_only_cell(sheet, value)
    if template is None or value is None or isinstance(value, str):
        return value
    template.value = value
    return template


def _rows_sheet(workbook, title: str, columns: list[Column], taken: set[str]):
    sheet = workbook.create_sheet(sheet_title(title, taken))
    for position, column in enumerate(columns, start=1):  # widths must come before the first row
        sheet.column_dimensions[get_column_letter(position)].width = WIDTHS[column.kind]
    sheet.freeze_panes = "B2"
    sheet.append([write_only_cell(sheet, column.label, header=True) for column in columns])
    return sheet


def rating_columns(*, one_officer: bool) -> list[Column]:
    """The columns of an export of rating rows (no business identity)."""
    return [
        Column(_("Declaration number")),
        Column(_("Cleared at"), DATETIME_KIND),
        Column(_("Rated at"), DATETIME_KIND),
        Column(_("Channel")),
        Column(_("Branch")),
        Column(_("Team")),
        Column(_("Branch level"), LEVEL),
        Column(_("Team level"), LEVEL),
        Column(_("Officer's level"), LEVEL) if one_officer else Column(_("Officers' levels")),
        Column(_("Comment")),
    ]
