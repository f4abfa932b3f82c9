"""Monitoring a campaign: sent, opened, answered and valid, by segment and unit (the page, its JSON for
the page's refresh, and the Excel export)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import selectors
from ..choices import CampaignStatus, Segment
from ..exports import progress_workbook
from ..models import Campaign
from .staff import campaign_in_scope, xlsx_response


def _progress_figures(campaign: Campaign, user) -> dict:
    progress = selectors.campaign_progress(campaign, user=user)
    segment_labels = dict(Segment.choices)
    return {
        "progress": progress,
        "summary": selectors.progress_summary(progress),
        "segments": [
            {"key": segment, "label": segment_labels[segment], **progress["by_segment"][segment]}
            for segment in Segment.values
        ],
        "is_open": campaign.status == CampaignStatus.OPEN,
    }


@login_required
@require_GET
def progress(request, pk: int):
    """Sent, opened, answered, valid, by segment and unit; refreshes itself while the campaign is open."""
    campaign = campaign_in_scope(request, pk)
    return render(
        request,
        "surveys/progress.html",
        {
            "campaign": campaign,
            "is_survey_admin": selectors.is_survey_admin(request.user, campaign.department_id),
            **_progress_figures(campaign, request.user),
        },
    )


@login_required
@require_GET
def progress_json(request, pk: int):
    campaign = campaign_in_scope(request, pk)
    figures = _progress_figures(campaign, request.user)
    progress = figures["progress"]

    def rate(value):
        return None if value is None else float(value)

    return JsonResponse(
        {
            "summary": figures["summary"],
            "is_open": figures["is_open"],
            "total": progress["total"],
            "by_segment": progress["by_segment"],
            "by_unit": progress["by_unit"],
            "response_rate": rate(progress["response_rate"]),
            "valid_rate": rate(progress["valid_rate"]),
            "updated_at": timezone.localtime().isoformat(timespec="seconds"),
        }
    )


@login_required
@require_GET
def progress_export(request, pk: int):
    campaign = campaign_in_scope(request, pk)
    figures = _progress_figures(campaign, request.user)
    content = progress_workbook(campaign, figures["progress"], figures["summary"])
    return xlsx_response(content, f"cdci-{campaign.year}-progress.xlsx")
