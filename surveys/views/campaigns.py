"""Staff pages of campaigns: the list, creating one, its questionnaire and weights, opening and closing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.query import get_page
from directory.models import Department

from .. import selectors
from ..choices import CampaignStatus
from ..forms import CampaignCreateForm, WeightsForm
from ..models import Invitation
from ..services.campaigns import close_campaign, create_campaign, open_campaign, set_component_weights, weights_total
from .staff import add_errors, campaign_in_scope, require_survey_staff


def _count(queryset) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values("campaign_id").annotate(n=Count("pk")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


@login_required
@require_GET
def campaign_list(request):
    """The campaigns of the user's department, newest first, with their invitations and, as the monitoring
    page counts them, the valid ones (invitations with at least one valid response)."""
    require_survey_staff(request.user)
    campaigns = (
        selectors.campaigns_for(request.user)
        .select_related("department")
        .annotate(
            invitation_count=_count(Invitation.objects.filter(campaign=OuterRef("pk"))),
            valid_count=_count(Invitation.objects.filter(selectors.has_valid_response(), campaign=OuterRef("pk"))),
        )
        .order_by("-year", "department__code")
    )
    page = get_page(Paginator(campaigns, 25), request.GET)
    return render(
        request,
        "surveys/campaign_list.html",
        {
            "campaigns": page.object_list,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
        },
    )


def _departments_for(user):
    if user.is_administrator:
        return Department.objects.order_by("code")
    return Department.objects.filter(pk=user.department_id)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    require_survey_staff(request.user)
    options = {"departments": _departments_for(request.user), "campaigns": selectors.campaigns_for(request.user)}
    form = CampaignCreateForm(request.POST or None, **options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = create_campaign(
                data["department"],
                data["year"],
                copy_from=data["copy_from"],
                actor=request.user,
                title=data["title"],
                open_on=data["open_on"],
                close_on=data["close_on"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The campaign was created as a draft. Check the questionnaire and the weights, then open it."),
            )
            return redirect("surveys:campaign-detail", pk=campaign.pk)
    return render(request, "surveys/campaign_form.html", {"form": form})


@login_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = campaign_in_scope(request, pk)
    return render(
        request,
        "surveys/campaign_detail.html",
        {
            "campaign": campaign,
            "components": selectors.questionnaire(campaign),
            "weights_total": weights_total(campaign),
            "units": campaign.units.order_by("name"),
            "is_survey_admin": selectors.is_survey_admin(request.user, campaign.department_id),
            "to_review": selectors.responses_to_review(request.user, campaign).count(),
            "closes_early": timezone.localdate() < campaign.close_on,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_weights(request, pk: int):
    campaign = campaign_in_scope(request, pk)
    components = list(campaign.components.order_by("position"))
    form = WeightsForm(request.POST or None, components=components)
    if campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("The questionnaire of an open or closed campaign cannot change."))
        return redirect("surveys:campaign-detail", pk=campaign.pk)
    if request.method == "POST" and form.is_valid():
        try:
            set_component_weights(campaign, form.weights(), actor=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The weights are saved."))
            return redirect("surveys:campaign-detail", pk=campaign.pk)
    return render(request, "surveys/campaign_weights.html", {"campaign": campaign, "form": form})


@login_required
@require_POST
def campaign_status(request, pk: int, action: str):
    """Open a draft campaign or close an open one (before its end date: confirmed, with a reason)."""
    campaign = campaign_in_scope(request, pk)
    if action not in ("open", "close"):
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    early = timezone.localdate() < campaign.close_on
    if action == "close" and early and not request.POST.get("confirm_early"):
        messages.error(request, _("Confirm that the campaign closes before its end date."))
        return redirect("surveys:campaign-detail", pk=campaign.pk)
    try:
        if action == "open":
            open_campaign(campaign, actor=request.user)
        else:
            close_campaign(campaign, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if action == "open":
            messages.success(request, _("The campaign is open for answers."))
        else:
            messages.success(request, _("The campaign is closed: no more answers are accepted."))
    return redirect("surveys:campaign-detail", pk=campaign.pk)
