"""How charter figures read on pages and in the workbook: durations, shares, limits, statuses."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import REPLY_COMMITMENTS
from .selectors import BRANCH_ONLY, MEASURED, CommitmentFigure


def duration_text(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(hours)s h %(minutes)02d") % {"hours": minutes // 60, "minutes": minutes % 60}


def days_text(days: int | None) -> str:
    if days is None:
        return "—"
    return ngettext("%(days)s working day", "%(days)s working days", days) % {"days": days}


def share_text(figure: CommitmentFigure) -> str:
    share = figure.share_within
    return "—" if share is None else f"{number_format(share * 100, 1)} %"


def limit_text(figure: CommitmentFigure) -> str:
    return f"{figure.limit} {figure.unit_label}"


def status_text(figure: CommitmentFigure) -> str:
    if figure.status == MEASURED and figure.code in REPLY_COMMITMENTS:
        if not figure.measured:
            return _("No written inquiry answered or due in this period")
        note = _("Median %(median)s, 90th percentile %(p90)s.") % {
            "median": days_text(figure.median_days),
            "p90": days_text(figure.p90_days),
        }
        if figure.unanswered_late:
            note += " " + ngettext(
                "%(count)s inquiry is still unanswered past its deadline.",
                "%(count)s inquiries are still unanswered past their deadline.",
                figure.unanswered_late,
            ) % {"count": figure.unanswered_late}
        return note
    if figure.status == MEASURED:
        return "" if figure.measured else _("Nothing measured in this period")
    if figure.status == BRANCH_ONLY:
        return _("Replies to inquiries are owed by the branch, not by a team")
    return _("Not measured: no data on tax-exemption dossiers reaches the portal")


def figure_row(figure: CommitmentFigure) -> dict:
    replies = figure.code in REPLY_COMMITMENTS
    return {
        "code": figure.code,
        "label": figure.label,
        "limit": limit_text(figure),
        "measured": figure.status == MEASURED and figure.measured > 0,
        "count": number_format(figure.measured, force_grouping=True),
        "share": share_text(figure),
        "median": days_text(figure.median_days) if replies else duration_text(figure.median_minutes),
        "p90": days_text(figure.p90_days) if replies else duration_text(figure.p90_minutes),
        "note": status_text(figure),
    }
