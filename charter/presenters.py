"""How charter figures read on pages and in the workbook: durations, shares, limits, statuses."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .selectors import MEASURED, NOT_YET, CommitmentFigure


def duration_text(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(hours)s h %(minutes)02d") % {"hours": minutes // 60, "minutes": minutes % 60}


def share_text(figure: CommitmentFigure) -> str:
    share = figure.share_within
    return "—" if share is None else f"{number_format(share * 100, 1)} %"


def limit_text(figure: CommitmentFigure) -> str:
    return f"{figure.limit} {figure.unit_label}"


def status_text(figure: CommitmentFigure) -> str:
    if figure.status == MEASURED:
        return "" if figure.measured else _("Nothing measured in this period")
    if figure.status == NOT_YET:
        return _("Not measured yet: replies to inquiries will be counted once inquiries are recorded in the portal")
    return _("Not measured: no data on tax-exemption dossiers reaches the portal")


def figure_row(figure: CommitmentFigure) -> dict:
    return {
        "code": figure.code,
        "label": figure.label,
        "limit": limit_text(figure),
        "measured": figure.status == MEASURED and figure.measured > 0,
        "count": number_format(figure.measured, force_grouping=True),
        "share": share_text(figure),
        "median": duration_text(figure.median_minutes),
        "p90": duration_text(figure.p90_minutes),
        "note": status_text(figure),
    }
