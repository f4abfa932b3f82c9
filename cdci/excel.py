"""The CDCI Excel report (openpyxl), built from a stored result (a draft or a published snapshot).

Sheets: the ranking (with a native bar chart of totals), one per component index (the index, its rank
and change, and the unit's question means), response counts and intervals, and the methodology. Each
sheet prints on A4 landscape, fitted to the page width, with its title and a repeated, frozen header.
Text that a spreadsheet could read as a formula (= + - @ first) is stored as quoted text.
"""

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font

from core.spreadsheet import (
    HEADER_FILL,
    HEADER_FONT,
    PERCENT,
    SCORE,
    TITLE_FONT,
    WHOLE,
    WRAP,
    set_column_widths,
    sheet_title,
    workbook_bytes,
)
from core.spreadsheet import set_cell as _set

from . import selectors
from .methodology import METHOD_SECTIONS

HEADER_ROW = 4


def _prepare(sheet, title: str, subtitle: str, headers: list[str], widths: list[float]) -> None:
    _set(sheet.cell(row=1, column=1), title).font = TITLE_FONT
    _set(sheet.cell(row=2, column=1), subtitle)
    for column, text in enumerate(headers, start=1):
        cell = _set(sheet.cell(row=HEADER_ROW, column=column), text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    set_column_widths(sheet, widths)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=3)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = title
    sheet.oddFooter.center.text = "&P / &N"


def _row(sheet, row: int, values: list, formats_: list[str | None]) -> None:
    for column, (value, number_format) in enumerate(zip(values, formats_, strict=True), start=1):
        _set(sheet.cell(row=row, column=column), value, number_format)


def build_report(result: dict, rates: dict[int, dict] | None = None, *, draft: bool = False) -> bytes:
    """The workbook of a stored result, in the active language."""
    view = selectors.present(result, rates)
    campaign = result.get("campaign", {})
    title = _("CDCI %(year)s: ranking of units") % {"year": campaign.get("year", "")}
    if draft:
        subtitle = _("Draft, not published. Printed on %(date)s.") % {
            "date": formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
        }
    else:
        subtitle = _("%(department)s · %(title)s · version %(version)s · checksum %(checksum)s") % {
            "department": campaign.get("department_name", ""),
            "title": campaign.get("title", ""),
            "version": result.get("version", ""),
            "checksum": (result.get("checksum") or "")[:16],
        }
    workbook = Workbook()
    taken: set[str] = set()
    _ranking_sheet(workbook.active, view, title, subtitle, taken)
    for component in view["components"]:
        _component_sheet(workbook.create_sheet(), component, view, result, subtitle, taken)
    _intervals_sheet(workbook.create_sheet(), view, title, subtitle, taken)
    _method_sheet(workbook.create_sheet(), view, result, title, taken)
    return workbook_bytes(workbook)


def _ranking_sheet(sheet, view: dict, title: str, subtitle: str, taken: set[str]) -> None:
    sheet.title = sheet_title(_("Ranking"), taken)
    headers = [
        _("Rank"),
        _("Unit"),
        _("Valid responses"),
        _("Business score"),
        _("Department's assessment"),
        _("Total"),
        _("%(interval)s: from") % {"interval": view["interval_label"]},
        _("%(interval)s: to") % {"interval": view["interval_label"]},
        _("Tier"),
        _("Rank range (sampling)"),
        _("Change on last year"),
        _("Rank change"),
        _("Satisfaction rate (post-clearance)"),
        _("Effective sample size"),
        _("Rank under other methods: median"),
        # xgettext:no-python-format
        _("Rank under other methods: 90% range"),
    ]
    _prepare(sheet, title, subtitle, headers, [7, 36, 11, 11, 13, 10, 11, 11, 12, 12, 12, 10, 16, 11, 12, 12])
    fmt = [WHOLE, None, WHOLE, SCORE, SCORE, SCORE, SCORE, SCORE, None, None, SCORE, WHOLE, PERCENT, "0.0", "0.0", None]
    for offset, row in enumerate(view["rows"], start=1):
        _row(
            sheet,
            HEADER_ROW + offset,
            [
                row["rank"],
                row["name"],
                row["respondents"],
                row["business_score"],
                row["assessment"],
                row["total"],
                row["total_low"],
                row["total_high"],
                row["tier_label"],
                row["rank_range"],
                row["total_change"],
                row["rank_change"],
                row["satisfaction_rate"],
                row.get("effective_n"),
                row.get("method_rank_median"),
                row["method_rank_range"],
            ],
            fmt,
        )
    last = HEADER_ROW + len(view["rows"])
    if view["rows"]:
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = _("Total by unit")
        chart.y_axis.title = _("Total (0-100)")
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=6, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=2, min_row=HEADER_ROW + 1, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
        chart.height = max(7.5, 0.8 * len(view["rows"]) + 3)
        chart.width = 18
        sheet.add_chart(chart, f"B{last + 3}")
    row = last + 1
    if view["not_enough"]:
        row += 1
        names = ", ".join(unit["name"] for unit in view["not_enough"])
        _set(
            sheet.cell(row=row, column=1),
            _("Not enough responses to be ranked (no figure is published): %(units)s") % {"units": names},
        )
    if view["unscored"]:
        row += 1
        names = ", ".join(unit["name"] for unit in view["unscored"])
        _set(sheet.cell(row=row, column=1), _("Not scored (no valid response): %(units)s") % {"units": names})


def _component_sheet(sheet, component: dict, view: dict, result: dict, subtitle: str, taken: set[str]) -> None:
    sheet.title = sheet_title(f"{component['code']} {component['name']}", taken)
    questions = [q["code"] for q in result.get("questions", []) if q["component"] == component["code"]]
    headers = [_("Rank on the component"), _("Unit"), _("Index (1-10)"), _("Change on last year"), *questions]
    title = _("%(component)s (weight %(weight)s%%)") % {
        "component": component["name"],
        "weight": formats.number_format(component["weight"], 2),
    }
    _prepare(sheet, title, subtitle, headers, [10, 36, 11, 12, *([9] * len(questions))])
    if questions:
        _set(sheet.cell(row=3, column=5), _("Mean answer per question (before standardisation)"))
    rows = sorted(view["rows"], key=lambda r: (r["component_ranks"].get(component["code"]) or 10**6, r["name"]))
    for offset, row in enumerate(rows, start=1):
        cell = next(c for c in row["cells"] if c["component"] == component["code"])
        unit_means = row["question_means"]  # suppressed below 5 respondents
        _row(
            sheet,
            HEADER_ROW + offset,
            [cell["rank"], row["name"], cell["value"], cell["change"], *(unit_means.get(q) for q in questions)],
            [WHOLE, None, SCORE, SCORE, *([SCORE] * len(questions))],
        )


def _intervals_sheet(sheet, view: dict, title: str, subtitle: str, taken: set[str]) -> None:
    sheet.title = sheet_title(_("Responses and intervals"), taken)
    segments = sorted({segment for row in view["rows"] for segment in row["segments"]})
    labels = {"in_province": _("In-province"), "out_of_province": _("Out-of-province")}
    headers = [
        _("Rank"),
        _("Unit"),
        _("Valid responses"),
        *(str(labels.get(segment, segment)) for segment in segments),
        _("Total"),
        _("%(interval)s: from") % {"interval": view["interval_label"]},
        _("%(interval)s: to") % {"interval": view["interval_label"]},
        _("Rank interval: best"),
        _("Rank interval: worst"),
        _("Effective sample size"),
        _("Post-clearance ratings"),
    ]
    _prepare(sheet, title, subtitle, headers, [7, 36, 11, *([12] * len(segments)), 10, 11, 11, 11, 11, 11, 12])
    for offset, row in enumerate(view["rows"], start=1):
        _row(
            sheet,
            HEADER_ROW + offset,
            [
                row["rank"],
                row["name"],
                row["respondents"],
                *(row["segments"].get(segment) for segment in segments),  # None: fewer than 5, suppressed
                row["total"],
                row["total_low"],
                row["total_high"],
                row["rank_low"],
                row["rank_high"],
                row.get("effective_n"),
                row["rated"],
            ],
            [WHOLE, None, WHOLE, *([WHOLE] * len(segments)), SCORE, SCORE, SCORE, WHOLE, WHOLE, "0.0", WHOLE],
        )
    row = HEADER_ROW + len(view["rows"]) + 2
    if view["comparisons"]:
        _set(sheet.cell(row=row, column=1), _("Neighbours in the ranking")).font = Font(bold=True)
        # xgettext:no-python-format
        flips = _("Order flips in (% of resamples)")
        headers = [_("Comparison"), _("Difference"), _("from"), _("to"), flips]
        for column, text in enumerate(headers, start=2):
            cell = _set(sheet.cell(row=row + 1, column=column), text)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        for offset, comparison in enumerate(view["comparisons"], start=2):
            _row(
                sheet,
                row + offset,
                [
                    None,
                    comparison["sentence"],
                    comparison.get("difference"),
                    comparison.get("difference_low"),
                    comparison.get("difference_high"),
                    comparison["flip_percent"],
                ],
                [None, None, SCORE, SCORE, SCORE, "0"],
            )


def _method_sheet(sheet, view: dict, result: dict, title: str, taken: set[str]) -> None:
    sheet.title = sheet_title(_("Methodology"), taken)
    sheet.column_dimensions["A"].width = 110
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    _set(sheet.cell(row=1, column=1), _("How the CDCI is computed")).font = TITLE_FONT
    row = 3
    for section in METHOD_SECTIONS:
        _set(sheet.cell(row=row, column=1), str(section["title"])).font = Font(bold=True)
        row += 1
        for paragraph in section["paragraphs"]:
            _set(sheet.cell(row=row, column=1), str(paragraph)).alignment = WRAP
            row += 1
        for formula in section["formulas"]:
            _set(sheet.cell(row=row, column=1), formula).font = Font(name="Consolas")
            row += 1
        row += 1
    settings = view["settings"]
    _set(sheet.cell(row=row, column=1), _("Settings of this result")).font = Font(bold=True)
    lines = [
        _("Blend: business survey %(business)s%%, department's assessment %(assessment)s%%")
        % {
            "business": formats.number_format(view["business_weight"], 0),
            "assessment": formats.number_format(view["assessment_weight"], 0),
        },
        _("Bootstrap replicates: %(replicates)s, seed %(seed)s, confidence %(confidence)s%%")
        % {
            "replicates": settings.get("replicates", ""),
            "seed": settings.get("seed", ""),
            "confidence": formats.number_format(100 * float(settings.get("confidence", 0.95)), 0),
        },
        _("Earlier campaigns in the minimum and maximum: %(count)s") % {"count": settings.get("history_campaigns", 0)},
        _("Weighted by segment: %(answer)s") % {"answer": _("yes") if settings.get("weight_by_segment") else _("no")},
    ]
    lines.append(
        _("Standardisation: %(normalisation)s; at least %(minimum)s valid responses to rank a unit")
        % {"normalisation": settings.get("normalisation", "minmax"), "minimum": settings.get("min_respondents", "–")}
    )
    if settings.get("component_weights"):
        weights = ", ".join(f"{code} {weight:g}%" for code, weight in settings["component_weights"].items())
        lines.append(_("Component weights: %(weights)s") % {"weights": weights})
    coverage = result.get("coverage") or {}
    lines.append(
        _("Coverage study of the intervals: %(status)s")
        % {"status": _("passed") if coverage.get("passed") else _("not passed or not measured")}
    )
    if result.get("questionnaire_version"):
        lines.append(_("Questionnaire version: %(hash)s") % {"hash": result["questionnaire_version"]})
    if result.get("checksum"):
        lines.append(_("Checksum of the publication: %(hash)s") % {"hash": result["checksum"]})
    for line in lines:
        row += 1
        _set(sheet.cell(row=row, column=1), line)
