"""The workbook of the yearly charter review: the unit's figures per commitment, its branches or teams,
the months, and the worst cases; written through core.spreadsheet (formula neutralisation, styles)."""

from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheet import PERCENT, WHOLE, set_cell, set_column_widths, workbook_bytes, write_header
from directory.choices import CharterCode

from .choices import DECLARATION_COMMITMENTS
from .presenters import status_text


def _figure_headers() -> list[str]:
    return [
        _("Commitment"),
        _("Limit"),
        _("Measured"),
        _("Within"),
        _("Share within"),
        _("Median (min)"),
        _("90th percentile (min)"),
        _("Note"),
    ]


def _figure_cells(sheet, row: int, column: int, figure) -> None:
    set_cell(sheet.cell(row, column), figure.measured, WHOLE)
    set_cell(sheet.cell(row, column + 1), figure.within, WHOLE)
    set_cell(sheet.cell(row, column + 2), figure.share_within, PERCENT)
    set_cell(sheet.cell(row, column + 3), figure.median_minutes, WHOLE)
    set_cell(sheet.cell(row, column + 4), figure.p90_minutes, WHOLE)


def review_workbook(report, months, worst) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")
    set_cell(
        summary.cell(1, 1),
        _("Service charter compliance: %(unit)s, %(period)s")
        % {"unit": report.unit.name, "period": report.period.code},
    )
    write_header(summary, _figure_headers(), row=3)
    for index, figure in enumerate(report.unit.figures, start=4):
        set_cell(summary.cell(index, 1), figure.label)
        set_cell(summary.cell(index, 2), f"{figure.limit} {figure.unit_label}")
        _figure_cells(summary, index, 3, figure)
        set_cell(summary.cell(index, 8), status_text(figure))
    set_column_widths(summary, [40, 18, 12, 12, 12, 14, 16, 60])

    units = workbook.create_sheet(_("Teams") if report.branch is not None else _("Branches"))
    headers = [_("Code"), _("Unit"), _("Commitment"), *_figure_headers()[2:7]]
    write_header(units, headers)
    row = 2
    for child in report.children:
        for figure in child.figures:
            if figure.code not in DECLARATION_COMMITMENTS:
                continue
            set_cell(units.cell(row, 1), child.code)
            set_cell(units.cell(row, 2), child.name)
            set_cell(units.cell(row, 3), figure.label)
            _figure_cells(units, row, 4, figure)
            row += 1
    set_column_widths(units, [12, 36, 36, 12, 12, 12, 14, 16])

    by_month = workbook.create_sheet(_("Months"))
    write_header(by_month, [_("Month"), _("Commitment"), *_figure_headers()[2:7]])
    row = 2
    for month, figures in months:
        for figure in figures:
            if figure.code not in DECLARATION_COMMITMENTS:
                continue
            set_cell(by_month.cell(row, 1), month.strftime("%m/%Y"))
            set_cell(by_month.cell(row, 2), figure.label)
            _figure_cells(by_month, row, 3, figure)
            row += 1
    set_column_widths(by_month, [10, 36, 12, 12, 12, 14, 16])

    cases = workbook.create_sheet(_("Worst cases"))
    write_header(
        cases, [_("Commitment"), _("Declaration"), _("Branch"), _("Team"), _("Month"), _("Minutes"), _("Limit (min)")]
    )
    row = 2
    for code, rows in worst.items():
        for case in rows:
            set_cell(cases.cell(row, 1), str(CharterCode(code).label))
            set_cell(cases.cell(row, 2), case["number"])
            set_cell(cases.cell(row, 3), case["branch_name"])
            set_cell(cases.cell(row, 4), case["team_name"])
            set_cell(cases.cell(row, 5), case["month"].strftime("%m/%Y"))
            set_cell(cases.cell(row, 6), case["minutes"], WHOLE)
            set_cell(cases.cell(row, 7), case["limit_minutes"], WHOLE)
            row += 1
    set_column_widths(cases, [36, 16, 30, 30, 10, 10, 12])
    return workbook_bytes(workbook)
