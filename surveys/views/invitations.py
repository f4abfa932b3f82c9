"""Staff pages of invitations, for survey administrators only (they see who was invited and answered):
the list, building and sending invitations, one more invitation, a new code, the letters."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import jobs
from core.query import check_form, get_page

from .. import codes, selectors
from ..choices import CampaignStatus
from ..exports import letters_workbook
from ..forms import AddInvitationForm
from ..models import Campaign, Invitation, Mailing, MailingKind
from ..services.answering import AlreadySubmitted
from ..services.emails import start_mailing
from ..services.invitations import (
    add_invitation,
    answer_url,
    build_invitations,
    mark_letters_sent,
    regenerate_code,
    remove_invitation,
)
from ..tasks import send_mailing_task
from .staff import add_errors, campaign_in_scope, xlsx_response


def _admin_campaign(request, pk: int) -> Campaign:
    campaign = campaign_in_scope(request, pk)
    if not selectors.is_survey_admin(request.user, campaign.department_id):
        raise PermissionDenied(_("Only a survey administrator can manage invitations."))
    return campaign


class InvitationFilterForm(forms.Form):
    """The invitation list's query string: a search text and a status (NUL and unknown statuses: 400)."""

    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", ""), ("unsent", "unsent"), ("sent", "sent"), ("answered", "answered")]
    )


@login_required
@require_GET
def invitation_list(request, pk: int):
    campaign = _admin_campaign(request, pk)
    invitations = selectors.invitations_for(request.user, campaign)
    filters = check_form(InvitationFilterForm(request.GET))
    query = filters["q"].strip()
    if query:
        invitations = invitations.filter(Q(business__name__icontains=query) | Q(business__tax_code__startswith=query))
    status_filters = {
        "unsent": Q(sent_at__isnull=True),
        "sent": Q(sent_at__isnull=False, submitted_at__isnull=True),
        "answered": Q(submitted_at__isnull=False),
    }
    if filters["status"]:
        invitations = invitations.filter(status_filters[filters["status"]])
    page = get_page(Paginator(invitations, 50), request.GET)
    counts = Invitation.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        unsent=Count("pk", filter=Q(sent_at__isnull=True)),
        without_email=Count("pk", filter=Q(business__email="")),
        answered=Count("pk", filter=Q(submitted_at__isnull=False)),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "surveys/invitation_list.html",
        {
            "campaign": campaign,
            "is_survey_admin": True,
            "invitations": page.object_list,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "query_without_page": params.urlencode(),
            "query": query,
            "status": filters["status"],
            "counts": counts,
            "add_form": AddInvitationForm(campaign=campaign),
            "closed": campaign.status == CampaignStatus.CLOSED,
            "mailings": campaign.mailings.select_related("created_by")[:5],
        },
    )


@login_required
@require_POST
def invitation_action(request, pk: int, action: str):
    """Build invitations from the declarations, send the e-mails or the reminders, record letters posted."""
    campaign = _admin_campaign(request, pk)
    try:
        if action == "build":
            issued = build_invitations(campaign, actor=request.user)
            messages.success(
                request,
                _("%(count)s businesses invited. Download the letters to print their codes.") % {"count": len(issued)},
            )
        elif action in ("send", "remind"):
            kind = MailingKind.INVITATIONS if action == "send" else MailingKind.REMINDERS
            mailing = start_mailing(campaign, kind, actor=request.user)
            jobs.dispatch(send_mailing_task, mailing.pk)
            if kind == MailingKind.INVITATIONS:
                messages.success(request, _("The invitation e-mails are being sent in batches."))
            else:
                messages.success(request, _("Reminders are being sent to businesses that have not answered."))
        elif action == "letters-sent":
            unsent = Invitation.objects.filter(campaign=campaign, sent_at__isnull=True, business__email="")
            count = mark_letters_sent(campaign, unsent.values_list("pk", flat=True), actor=request.user)
            messages.success(request, _("%(count)s letters recorded as posted.") % {"count": count})
        else:
            return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("surveys:invitation-list", pk=campaign.pk)


@login_required
@require_POST
def invitation_add(request, pk: int):
    campaign = _admin_campaign(request, pk)
    form = AddInvitationForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            invitation, code = add_invitation(
                campaign, form.business, list(form.cleaned_data["units"]), actor=request.user
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return _code_page(request, campaign, invitation, code, added=True)
    return render(request, "surveys/invitation_add.html", {"campaign": campaign, "form": form}, status=400)


def _invitation(campaign: Campaign, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("business", "campaign"), pk=invitation_id, campaign=campaign
    )


@login_required
@require_POST
def invitation_remove(request, pk: int, invitation_id: int):
    campaign = _admin_campaign(request, pk)
    invitation = _invitation(campaign, invitation_id)
    try:
        remove_invitation(invitation, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("The invitation of %(business)s was withdrawn.") % {"business": invitation.business.name}
        )
    return redirect("surveys:invitation-list", pk=campaign.pk)


@login_required
@require_POST
def invitation_regenerate(request, pk: int, invitation_id: int):
    campaign = _admin_campaign(request, pk)
    invitation = _invitation(campaign, invitation_id)
    try:
        code = regenerate_code(invitation, actor=request.user)
    except AlreadySubmitted as exc:
        messages.error(request, exc.message)
        return redirect("surveys:invitation-list", pk=campaign.pk)
    return _code_page(request, campaign, invitation, code, added=False)


def _code_page(request, campaign, invitation, code, *, added: bool):
    response = render(
        request,
        "surveys/invitation_code.html",
        {
            "campaign": campaign,
            "invitation": invitation,
            "units": [link.branch for link in invitation.unit_links.select_related("branch").order_by("rank")],
            "code": codes.format_code(code),
            "link": answer_url(code),
            "added": added,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def invitation_letters(request, pk: int):
    """The letters as an Excel sheet: business, tax code, segment, units, code, link."""
    campaign = _admin_campaign(request, pk)
    content = letters_workbook(campaign, selectors.invitations_for(request.user, campaign))
    response = xlsx_response(content, f"cdci-{campaign.year}-letters.xlsx")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def mailing_action(request, pk: int, mailing_id: int, action: str):
    """Cancel a queued or running mailing, or send a failed or cancelled one again."""
    campaign = _admin_campaign(request, pk)
    mailing = get_object_or_404(Mailing, pk=mailing_id, campaign=campaign)
    if action == "cancel":
        jobs.cancel(Mailing, mailing.pk)
    elif action == "retry":
        jobs.retry(Mailing, send_mailing_task, mailing.pk)
    else:
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    return redirect("surveys:invitation-list", pk=campaign.pk)
