"""The survey downloads of staff: the letters (for a mail merge) and the monitoring figures.

Every cell is written through core.spreadsheet, so a business name typed like a formula stays text.
"""

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheet import (
    DATE,
    PERCENT,
    TITLE_FONT,
    set_cell,
    set_column_widths,
    workbook_bytes,
    write_header,
)

from . import codes
from .choices import CampaignStatus, Segment
from .models import Campaign
from .services.invitations import answer_url, invitation_code

# What a count hidden by selectors.suppress_small (fewer than MIN_CELL) shows.
SMALL = "< 5"


def letters_workbook(campaign: Campaign, invitations) -> bytes:
    """One row per invitation: business, tax code, segment, units, e-mail, code, link (for a mail merge).
    The codes are re-derived (services.invitations.invitation_code); this file is as sensitive as the letters."""
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
        code = invitation_code(invitation)
        values = [
            invitation.business.name,
            invitation.business.tax_code,
            str(segments.get(invitation.segment, invitation.segment)),
            "; ".join(link.branch.name for link in invitation.unit_links.all()),
            invitation.business.email,
            codes.format_code(code),
            answer_url(code),
            _("Yes") if invitation.submitted_at else "",
        ]
        for column, value in enumerate(values, start=1):
            set_cell(sheet.cell(row=row, column=column), value)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:H{max(sheet.max_row, 1)}"
    set_column_widths(sheet, [45, 16, 16, 45, 30, 28, 60, 10])
    return workbook_bytes(workbook)


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
