"""Staff review of straight-lined responses, shown without any identity."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.query import get_page

from .. import selectors
from ..choices import Segment
from ..models import Response
from ..services.review import review_response
from .staff import campaign_in_scope


@login_required
@require_GET
def review_list(request, pk: int):
    """Straight-lined responses waiting for a decision, shown without any identity."""
    campaign = campaign_in_scope(request, pk)
    page = get_page(Paginator(selectors.responses_to_review(request.user, campaign), 20), request.GET)
    responses = list(page.object_list)
    answers = selectors.answers_for(request.user, campaign, [row["id"] for row in responses])
    questions = [question for component in selectors.questionnaire(campaign) for question in component.questions.all()]
    for row in responses:
        given = answers.get(row["id"], {})
        row["answers"] = [(question.code, given.get(question.code)) for question in questions]
        row["answered"] = len(given)
    return render(
        request,
        "surveys/review_list.html",
        {
            "campaign": campaign,
            "is_survey_admin": selectors.is_survey_admin(request.user, campaign.department_id),
            "responses": responses,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "segments": dict(Segment.choices),
        },
    )


@login_required
@require_POST
def review_decide(request, pk: int, response_id: int):
    campaign = campaign_in_scope(request, pk)
    response = get_object_or_404(Response.objects.select_related("campaign"), pk=response_id, campaign=campaign)
    accept = request.POST.get("decision") == "accept"
    try:
        review_response(response, accept, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Response accepted: it counts.") if accept else _("Response rejected: it does not count.")
        )
    return redirect("surveys:review-list", pk=campaign.pk)
