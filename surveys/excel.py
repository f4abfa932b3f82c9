"""Excel files of surveys: the paper-answers template and its upload, the letters, the monitoring export.

The template is generated from the campaign's questionnaire: sheet 1 has one row per response (the
invitation code, the unit code, one column per question code, a comment), the question text as a cell
comment on each header, the allowed values as data validation (lists come from a hidden sheet, so
labels with commas work), frozen headers and sensible widths; sheet 2 lists the questions in full.
Reading gives rows keyed by the header, for services.import_paper_responses, which decides.
"""

import datetime
import zipfile
from dataclasses import dataclass, field

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from core.spreadsheet import (
    DATE,
    PERCENT,
    TITLE_FONT,
    WRAP,
    set_cell,
    set_column_widths,
    workbook_bytes,
    write_header,
)

from . import codes, selectors, services
from .choices import AGREEMENT_LEVELS, CampaignStatus, QuestionKind, Segment
from .models import Campaign, Question

# Data validation covers this many answer rows; more rows still import, unchecked by Excel.
TEMPLATE_ROWS = 2000
SMALL = "< 5"


# --- paper answers ------------------------------------------------------------------------------------


def _yes_no_labels() -> tuple[str, str]:
    # Values services.parse_value reads in either language.
    return ("Có", "Không") if (translation.get_language() or "vi").startswith("vi") else ("Yes", "No")


def allowed_values(question: Question) -> str:
    """The allowed values of a question, in words, for the header comment and the questions sheet."""
    if question.kind == QuestionKind.AGREEMENT_5:
        return "; ".join(f"{level} = {label}" for level, label in AGREEMENT_LEVELS.items())
    if question.kind == QuestionKind.YES_NO:
        yes, no = _yes_no_labels()
        return _("%(yes)s (or 1), %(no)s (or 0)") % {"yes": yes, "no": no}
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return "; ".join(question.choice_label(choice) for choice in question.choices)
    unit = question.unit_label
    return _("A number, zero or more") + (f" ({unit})" if unit else "")


def paper_template(campaign: Campaign) -> bytes:
    """The workbook staff fill in from paper questionnaires, in the active language."""
    questions = [question for component in selectors.questionnaire(campaign) for question in component.questions.all()]
    units = list(campaign.units.order_by("code"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Answers")[:31]
    lists = workbook.create_sheet("Lists")
    lists.sheet_state = "hidden"
    guide = workbook.create_sheet(_("Questions")[:31])

    headers = [services.PAPER_CODE_COLUMN, services.PAPER_UNIT_COLUMN, *(q.code for q in questions)]
    headers.append(services.PAPER_COMMENT_COLUMN)
    write_header(sheet, headers)
    sheet.freeze_panes = "C2"
    sheet.row_dimensions[1].height = 22
    last_row = TEMPLATE_ROWS + 1

    def comment(column: int, text: str) -> None:
        note = Comment(text, "CDCI")
        note.width, note.height = 320, 160
        sheet.cell(row=1, column=column).comment = note

    comment(1, _("The code printed on the business's letter (dashes and spaces do not matter)."))
    comment(2, _("The code of the unit rated:") + "\n" + "\n".join(f"{unit.code} = {unit.name}" for unit in units))
    comment(len(headers), _("Optional comment of the business."))

    def validation(rule: DataValidation, column: int, prompt: str) -> None:
        letter = get_column_letter(column)
        rule.error = _("This value is not allowed here: %(allowed)s") % {"allowed": prompt}
        rule.errorTitle = _("Value not allowed")
        rule.prompt = prompt[:255]
        rule.showErrorMessage = True
        rule.showInputMessage = True
        rule.allow_blank = True
        rule.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(rule)

    # Hidden lists: column A the unit codes, then one column per single-choice question.
    lists_name = quote_sheetname(lists.title)
    for row, unit in enumerate(units, start=1):
        set_cell(lists.cell(row=row, column=1), unit.code)
    if units:
        validation(
            DataValidation(type="list", formula1=f"{lists_name}!$A$1:$A${len(units)}"),
            2,
            ", ".join(unit.code for unit in units),
        )
    list_column = 1
    yes, no = _yes_no_labels()
    for column, question in enumerate(questions, start=3):
        comment(column, f"{question.code}. {question.text}\n\n{allowed_values(question)}")
        if question.kind == QuestionKind.AGREEMENT_5:
            rule = DataValidation(type="whole", operator="between", formula1="1", formula2="5")
        elif question.kind == QuestionKind.YES_NO:
            rule = DataValidation(type="list", formula1=f'"{yes},{no},1,0"')
        elif question.kind == QuestionKind.SINGLE_CHOICE:
            list_column += 1
            letter = get_column_letter(list_column)
            for row, choice in enumerate(question.choices, start=1):
                set_cell(lists.cell(row=row, column=list_column), question.choice_label(choice))
            rule = DataValidation(type="list", formula1=f"{lists_name}!${letter}$1:${letter}${len(question.choices)}")
        else:
            rule = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(services.MAX_NUMBER))
        validation(rule, column, allowed_values(question))
    # Codes are text: Excel must not turn a code of digits into a number.
    for row in range(2, last_row + 1):
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=2).number_format = "@"
    set_column_widths(sheet, [30, 10, *([9] * len(questions)), 50])

    write_header(guide, [_("Column"), _("Component index"), _("Question"), _("Allowed values"), _("Required")])
    for row, question in enumerate(questions, start=2):
        values = [
            question.code,
            f"{question.component.code} {question.component.name}",
            question.text,
            allowed_values(question),
            _("Yes") if question.required else _("No"),
        ]
        for column, value in enumerate(values, start=1):
            set_cell(guide.cell(row=row, column=column), value).alignment = WRAP
    guide.freeze_panes = "A2"
    set_column_widths(guide, [10, 30, 70, 40, 10])
    return workbook_bytes(workbook)


class UnreadableFile(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class PaperSheet:
    """The answer rows of an uploaded template, keyed by header, and where they start."""

    rows: list[dict]
    first_row: int = 2
    letters: dict[str, str] = field(default_factory=dict)  # header (upper case) -> column letter


def _cell(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(values) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def read_paper_upload(upload) -> PaperSheet:
    """Read the first sheet of a filled-in template. Refuses (UnreadableFile) a file that is not a
    workbook, a header without the code and unit columns, and empty rows between answers (the row
    numbers of the errors would no longer match the sheet)."""
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UnreadableFile(_("This file cannot be read as an Excel workbook.")) from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(value).strip() if value is not None else "" for value in next(rows, None) or ()]
        data = [tuple(_cell(value) for value in row) for row in rows]
    finally:
        workbook.close()
    upper = [name.upper() for name in header]
    for required in (services.PAPER_CODE_COLUMN, services.PAPER_UNIT_COLUMN):
        if required.upper() not in upper:
            raise UnreadableFile(
                _("Row 1 must name the columns; the column “%(column)s” is missing. Use the template of this page.")
                % {"column": required}
            )
    while data and _blank(data[-1]):
        data.pop()
    empty = [str(number) for number, values in enumerate(data, start=2) if _blank(values)]
    if empty:
        raise UnreadableFile(
            _("Rows %(rows)s are empty: delete empty rows between answers and upload again.")
            % {"rows": ", ".join(empty)}
        )
    named = [(index, name) for index, name in enumerate(header) if name]
    return PaperSheet(
        rows=[{name: values[index] if index < len(values) else None for index, name in named} for values in data],
        first_row=2,
        letters={name.upper(): get_column_letter(index + 1) for index, name in named},
    )


# --- letters ------------------------------------------------------------------------------------------


def letters_workbook(campaign: Campaign, invitations) -> bytes:
    """One row per invitation: business, tax code, segment, units, e-mail, code, link (for a mail merge).
    The codes are re-derived (services.invitation_code); this file is as sensitive as the letters."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Letters")[:31]
    segments = dict(Segment.choices)
    write_header(
        sheet,
        [
            _("Business"),
            _("Tax code"),
            _("Segment"),
            _("Units to rate"),
            _("E-mail"),
            _("Code"),
            _("Link"),
            pgettext("survey invitation", "Answered"),
        ],
    )
    for row, invitation in enumerate(invitations, start=2):
        code = services.invitation_code(invitation)
        values = [
            invitation.business.name,
            invitation.business.tax_code,
            str(segments.get(invitation.segment, invitation.segment)),
            "; ".join(link.branch.name for link in invitation.unit_links.all()),
            invitation.business.email,
            codes.format_code(code),
            services.answer_url(code),
            _("Yes") if invitation.submitted_at else "",
        ]
        for column, value in enumerate(values, start=1):
            set_cell(sheet.cell(row=row, column=column), value)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:H{max(sheet.max_row, 1)}"
    set_column_widths(sheet, [45, 16, 16, 45, 30, 28, 60, 10])
    return workbook_bytes(workbook)


# --- monitoring ---------------------------------------------------------------------------------------


def _count(value):
    return SMALL if value is None else value


def progress_workbook(campaign: Campaign, progress: dict, summary: str) -> bytes:
    """The monitoring figures: a summary sheet, then by segment and by unit (counts below 5 as "< 5")."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Summary")[:31]
    set_cell(sheet.cell(row=1, column=1), f"{campaign.title} — {campaign.department.name}").font = TITLE_FONT
    set_cell(sheet.cell(row=2, column=1), summary)
    generated = formats.date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
    facts = [
        (_("Year"), campaign.year),
        (_("Status"), str(CampaignStatus(campaign.status).label)),
        (_("Opens on"), campaign.open_on),
        (_("Closes on"), campaign.close_on),
        (_("Invited"), progress["total"]["invited"]),
        (_("Sent"), progress["total"]["sent"]),
        (pgettext("survey invitation", "Opened"), progress["total"]["opened"]),
        (pgettext("survey invitation", "Answered"), progress["total"]["answered"]),
        (_("Valid"), progress["total"]["valid"]),
        (_("Response rate"), progress["response_rate"]),
        (_("Valid rate"), progress["valid_rate"]),
        (_("Generated at"), generated),
    ]
    for row, (label, value) in enumerate(facts, start=4):
        set_cell(sheet.cell(row=row, column=1), label).font = Font(bold=True)
        cell = set_cell(sheet.cell(row=row, column=2), float(value) if hasattr(value, "as_tuple") else value)
        if label in (_("Response rate"), _("Valid rate")):
            cell.number_format = PERCENT
        elif isinstance(value, datetime.date):
            cell.number_format = DATE
    set_column_widths(sheet, [24, 30])

    metrics = [
        _("Invited"),
        _("Sent"),
        pgettext("survey invitation", "Opened"),
        pgettext("survey invitation", "Answered"),
        _("Valid"),
        _("Response rate"),
    ]
    segments = workbook.create_sheet(_("By segment")[:31])
    write_header(segments, [_("Segment"), *metrics])
    labels = dict(Segment.choices)
    for row, segment in enumerate(Segment.values, start=2):
        figures = progress["by_segment"][segment]
        answered = figures["answered"]
        rate = answered / figures["sent"] if answered is not None and figures["sent"] else None
        values = [str(labels[segment]), figures["invited"], figures["sent"], figures["opened"], _count(answered)]
        values += [_count(figures["valid"]), rate]
        for column, value in enumerate(values, start=1):
            cell = set_cell(segments.cell(row=row, column=column), value)
            if column == len(values):
                cell.number_format = PERCENT
    segments.freeze_panes = "B2"
    set_column_widths(segments, [22, 12, 12, 12, 12, 12, 14])

    units = workbook.create_sheet(_("By unit")[:31])
    write_header(units, [_("Unit code"), _("Unit"), *metrics[:-1]])
    for row, figures in enumerate(progress["by_unit"], start=2):
        values = [figures["unit_code"], figures["unit_name"], figures["invited"], figures["sent"], figures["opened"]]
        values += [_count(figures["answered"]), _count(figures["valid"])]
        for column, value in enumerate(values, start=1):
            set_cell(units.cell(row=row, column=column), value)
    units.freeze_panes = "C2"
    set_column_widths(units, [12, 40, 12, 12, 12, 12, 12])
    return workbook_bytes(workbook)
