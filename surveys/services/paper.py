"""Paper questionnaires typed into the template (surveys.paper_template), stored all or nothing."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import audit
from directory.models import Branch, User

from .. import codes
from ..choices import CampaignStatus, ResponseSource
from ..models import Campaign, Invitation, InvitationUnit, Response
from .access import require_staff
from .answering import finish_submission, is_blank, parse_value, store_answers

# The columns of the paper template besides one per question code.
PAPER_CODE_COLUMN = "code"
PAPER_UNIT_COLUMN = "unit"
PAPER_COMMENT_COLUMN = "comment"


@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class PaperImportError(ValidationError):
    """The paper file was refused as a whole; `cells` lists each error with its row and column."""

    def __init__(self, cells: list[CellError]):
        super().__init__([str(cell) for cell in cells])
        self.cells = cells


def import_paper_responses(
    campaign: Campaign, rows: Iterable[Mapping[str, Any]], *, actor: User | None, first_row: int = 2
) -> list[Response]:
    """Store paper questionnaires, one row per response: the invitation code, the unit code, one column
    per question code, optionally a comment. All or nothing: any error refuses the whole file with
    the row number (counted from `first_row`, the first data row of the sheet) and the column.
    A code that already answered is refused. Each invitation in the file is submitted."""
    require_staff(actor, campaign.department_id)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.OPEN:
            raise PaperImportError([CellError(first_row, PAPER_CODE_COLUMN, _("The campaign is not open."))])
        questions = {question.code.upper(): question for question in campaign.questions.all()}
        units = {unit.code.upper(): unit for unit in campaign.units.all()}
        rows = list(rows)
        hashes = {codes.hash_code(row.get(PAPER_CODE_COLUMN) or "") for row in rows}
        invitations = {
            invitation.code_hash: invitation
            for invitation in Invitation.objects.filter(campaign=campaign, code_hash__in=hashes).select_for_update()
        }
        unit_links = set(
            InvitationUnit.objects.filter(invitation__in=invitations.values()).values_list("invitation_id", "branch_id")
        )
        errors: list[CellError] = []
        parsed: list[tuple[Invitation, Branch, dict[int, Any], str]] = []
        seen: dict[tuple[int, int], int] = {}
        for index, row in enumerate(rows):
            number = first_row + index
            cells = {str(key).strip().upper(): value for key, value in row.items() if key is not None}
            invitation = invitations.get(codes.hash_code(cells.pop(PAPER_CODE_COLUMN.upper(), None) or ""))
            unit = units.get(str(cells.pop(PAPER_UNIT_COLUMN.upper(), None) or "").strip().upper())
            comment = cells.pop(PAPER_COMMENT_COLUMN.upper(), None)
            if invitation is None:
                errors.append(CellError(number, PAPER_CODE_COLUMN, _("Unknown code.")))
            elif invitation.submitted_at is not None:
                errors.append(CellError(number, PAPER_CODE_COLUMN, _("This code has already answered.")))
            if unit is None:
                errors.append(CellError(number, PAPER_UNIT_COLUMN, _("Unknown unit code.")))
            elif invitation is not None and (invitation.pk, unit.pk) not in unit_links:
                errors.append(CellError(number, PAPER_UNIT_COLUMN, _("This code was not asked about this unit.")))
            elif invitation is not None:
                earlier = seen.setdefault((invitation.pk, unit.pk), number)
                if earlier != number:
                    errors.append(
                        CellError(number, PAPER_CODE_COLUMN, _("Same code and unit as row %(row)s.") % {"row": earlier})
                    )
            values: dict[int, Any] = {}
            for column, raw in cells.items():
                question = questions.get(column)
                if question is None:
                    if not is_blank(raw):
                        errors.append(CellError(number, column, _("No question has this code.")))
                    continue
                if is_blank(raw):
                    continue
                try:
                    values[question.pk] = parse_value(question, raw)
                except ValidationError as exc:
                    errors.extend(CellError(number, question.code, message) for message in exc.messages)
            if invitation is not None and unit is not None:  # else the row has an error and the file is refused
                parsed.append((invitation, unit, values, "" if is_blank(comment) else str(comment).strip()))
        if not rows:
            errors.append(CellError(first_row, PAPER_CODE_COLUMN, _("The file has no answers.")))
        if errors:
            raise PaperImportError(errors)

        # An invitation's unsent web progress (if any) gives way to its paper form.
        Response.objects.filter(
            invitation__in=[invitation for invitation, *_rest in parsed], submitted_at__isnull=True
        ).delete()
        responses = []
        for invitation, unit, values, comment in parsed:
            response = Response.objects.create(
                invitation=invitation,
                campaign=campaign,
                segment=invitation.segment,
                unit=unit,
                source=ResponseSource.PAPER,
                comment=comment,
            )
            store_answers(response, values, ())
            responses.append(response)
        now = timezone.now()
        submitted = []
        for invitation in {invitation.pk: invitation for invitation, *_rest in parsed}.values():
            invitation.campaign = campaign
            submitted.extend(finish_submission(invitation, now))
        audit.record(actor, "survey.paper_imported", campaign, {"responses": len(responses)})
    return submitted
