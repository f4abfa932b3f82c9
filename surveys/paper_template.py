"""The paper-answers workbook: the template staff fill in from paper questionnaires, and reading it back.

The template is generated from the campaign's questionnaire: sheet 1 has one row per response (the
invitation code, the unit code, one column per question code, a comment), the question text as a cell
comment on each header, the allowed values as data validation (lists come from a hidden sheet, so
labels with commas work), frozen headers and sensible widths; sheet 2 lists the questions in full.
Reading gives rows keyed by the header, for services.paper.import_paper_responses, which decides.
Every cell is written through core.spreadsheet, so no text can become a formula.
"""

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from core.spreadsheet import WRAP, set_cell, set_column_widths, workbook_bytes, write_header
from core.xlsx_reader import Limits, UnreadableWorkbook, read_rows

from . import selectors
from .choices import AGREEMENT_LEVELS, QuestionKind
from .models import Campaign, Question
from .services.answering import MAX_NUMBER, is_blank
from .services.paper import PAPER_CODE_COLUMN, PAPER_COMMENT_COLUMN, PAPER_UNIT_COLUMN

# Data validation covers this many answer rows; more rows still import, unchecked by Excel.
TEMPLATE_ROWS = 2000


def _yes_no_labels() -> tuple[str, str]:
    # Values services.answering.parse_value reads in either language.
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

    headers = [PAPER_CODE_COLUMN, PAPER_UNIT_COLUMN, *(q.code for q in questions)]
    headers.append(PAPER_COMMENT_COLUMN)
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
            rule = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(MAX_NUMBER))
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


# A campaign has a few thousand invitations; the questionnaire some dozens of questions.
PAPER_LIMITS = Limits(max_rows=20_000, max_columns=200, max_cell_chars=2_000)


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
    return all(is_blank(value) for value in values)


def read_paper_upload(upload) -> PaperSheet:
    """Read the first sheet of a filled-in template. Refuses (UnreadableFile) a file that is not a
    workbook, a header without the code and unit columns, and empty rows between answers (the row
    numbers of the errors would no longer match the sheet)."""
    try:
        rows = read_rows(upload, PAPER_LIMITS)
        _number, first = next(rows, (1, ()))
        header = [str(value).strip() if value is not None else "" for value in first]
        data = [tuple(_cell(value) for value in values) for _number, values in rows]
    except UnreadableWorkbook as exc:
        raise UnreadableFile(exc.message) from exc
    upper = [name.upper() for name in header]
    for required in (PAPER_CODE_COLUMN, PAPER_UNIT_COLUMN):
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
