"""Pages of CDCI surveys: the public questionnaire reached by an invitation code, and the staff pages.

Thin views: every state change goes through surveys.services, every read for staff through
surveys.selectors. Campaigns are looked up in the user's scope (campaigns_for): out of scope is 404;
in scope but not allowed (the invitation list without the survey-administrator capability) is 403.

The public pages know the business only through its code; they show nothing of it but its name.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from directory.choices import Role
from directory.models import Department

from . import codes, excel, selectors, services
from .choices import AGREEMENT_LEVELS, CampaignStatus, QuestionKind, Segment
from .forms import (
    AddInvitationForm,
    AnswerPageForm,
    CampaignCreateForm,
    CommentsForm,
    PaperUploadForm,
    WeightsForm,
    display_number,
    field_name,
    initial_value,
)
from .models import Answer, Campaign, Invitation, Response
from .tasks import send_invitations_task, send_reminders_task

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the public questionnaire ------------------------------------------------------------------------


def _public(view):
    """No caching, and no referrer to other sites: the code is in the address. ("no-referrer" would make
    the browser send "Origin: null" with the page's own forms, which the CSRF check refuses.)"""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


class Questionnaire:
    """What every answering page needs: the invitation, its units, the component indexes in order and
    the answers saved so far ({(unit id, question id): (value, choice)})."""

    def __init__(self, invitation: Invitation):
        self.invitation = invitation
        self.campaign = invitation.campaign
        self.code = services.invitation_code(invitation)
        self.units = [link.branch for link in invitation.unit_links.select_related("branch").order_by("rank")]
        self.components = selectors.questionnaire(self.campaign)
        self.answers = {
            (unit_id, question_id): (value, choice)
            for unit_id, question_id, value, choice in Answer.objects.filter(
                response__invitation=invitation
            ).values_list("response__unit_id", "question_id", "value", "choice")
        }

    @property
    def total(self) -> int:
        return len(self.components)

    def is_answered(self, question, unit) -> bool:
        return (unit.pk, question.pk) in self.answers

    def missing_required(self, component) -> int:
        return sum(
            1
            for question in component.questions.all()
            if question.required
            for unit in self.units
            if not self.is_answered(question, unit)
        )

    def resume_step(self) -> int | None:
        """The first part with a required question not yet answered (1-based), None when all are."""
        for step, component in enumerate(self.components, start=1):
            if self.missing_required(component):
                return step
        return None

    def initial(self, component) -> dict[str, str]:
        initial = {}
        for question in component.questions.all():
            for unit in self.units:
                saved = self.answers.get((unit.pk, question.pk))
                if saved is not None:
                    initial[field_name(question.pk, unit.pk)] = initial_value(question, *saved)
        return initial

    def required_counts(self) -> list[dict]:
        """Per unit: required questions answered, out of how many (shown on the review page)."""
        required = [
            question for component in self.components for question in component.questions.all() if question.required
        ]
        return [
            {"unit": unit, "answered": sum(1 for q in required if self.is_answered(q, unit)), "required": len(required)}
            for unit in self.units
        ]

    def answer_text(self, question, unit) -> str:
        saved = self.answers.get((unit.pk, question.pk))
        if saved is None:
            return ""
        value, choice = saved
        if question.kind == QuestionKind.AGREEMENT_5:
            return f"{int(value)} – {AGREEMENT_LEVELS.get(int(value), '')}"
        if question.kind == QuestionKind.YES_NO:
            return str(_("Yes") if value else _("No"))
        if question.kind == QuestionKind.SINGLE_CHOICE:
            for option in question.choices:
                if str(option["value"]) == choice:
                    return question.choice_label(option)
            return choice
        label = question.unit_label
        return f"{display_number(value)} {label}".strip()


def _state_page(request, invitation: Invitation | None):
    """The polite page for an unknown code (404), a used code, or a survey that is not open; None when
    the questionnaire can be answered."""
    if invitation is None:
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    if invitation.submitted_at is not None:
        return render(
            request,
            "surveys/answer_state.html",
            {
                "state": "used",
                "message": services.AlreadySubmitted(invitation).message,
                "campaign": invitation.campaign,
            },
        )
    campaign = invitation.campaign
    if not campaign.accepts_answers_on(timezone.localdate()):
        not_yet = campaign.status == CampaignStatus.DRAFT or timezone.localdate() < campaign.open_on
        return render(
            request,
            "surveys/answer_state.html",
            {
                "state": "not_open" if not_yet else "closed",
                "message": services.SurveyClosed(campaign).message,
                "campaign": campaign,
            },
        )
    return None


def _refused(request, exc: Exception):
    """The page for SurveyClosed or AlreadySubmitted raised while saving (the state changed meanwhile)."""
    state = "used" if isinstance(exc, services.AlreadySubmitted) else "closed"
    return render(request, "surveys/answer_state.html", {"state": state, "message": exc.message})


def _answer_context(questionnaire: Questionnaire, **extra) -> dict:
    invitation = questionnaire.invitation
    return {
        "q": questionnaire,
        "campaign": questionnaire.campaign,
        "business_name": invitation.business.name,
        "units": questionnaire.units,
        "code": questionnaire.code,
        "total": questionnaire.total,
        **extra,
    }


@_public
@require_GET
def answer(request, code: str):
    """The invitation's start page: who is asked about which units; a business coming back goes on
    where it stopped (the first part with a required question unanswered)."""
    invitation = services.invitation_for_code(code)
    if (refusal := _state_page(request, invitation)) is not None:
        return refusal
    if codes.normalize_code(code) != code:
        # One canonical address per code (a typed code may have dashes or lower case).
        return redirect("surveys:answer", code=codes.normalize_code(code))
    services.mark_opened(invitation)
    questionnaire = Questionnaire(invitation)
    if questionnaire.answers and "intro" not in request.GET:
        step = questionnaire.resume_step()
        messages.info(request, _("Welcome back: your answers so far are saved. You can go on where you stopped."))
        if step is None:
            return redirect("surveys:answer-review", code=questionnaire.code)
        return redirect("surveys:answer-page", code=questionnaire.code, step=step)
    return render(
        request,
        "surveys/answer_start.html",
        _answer_context(
            questionnaire, has_answers=bool(questionnaire.answers), resume_step=questionnaire.resume_step()
        ),
    )


@_public
@require_http_methods(["GET", "POST"])
def answer_page(request, code: str, step: int):
    """One part of the questionnaire (one component index); saved on every Back, Next or Save."""
    invitation = services.invitation_for_code(code)
    if (refusal := _state_page(request, invitation)) is not None:
        return refusal
    questionnaire = Questionnaire(invitation)
    if not 1 <= step <= questionnaire.total:
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    component = questionnaire.components[step - 1]
    questions = list(component.questions.all())
    form_options = {"questions": questions, "units": questionnaire.units}
    if request.method == "POST":
        form = AnswerPageForm(request.POST, **form_options)
        if form.is_valid():
            try:
                _save_page(invitation, questionnaire, form)
            except (services.SurveyClosed, services.AlreadySubmitted) as exc:
                return _refused(request, exc)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                action = request.POST.get("action", "next")
                if action == "back":
                    if step == 1:
                        return redirect(reverse("surveys:answer", kwargs={"code": questionnaire.code}) + "?intro=1")
                    return redirect("surveys:answer-page", code=questionnaire.code, step=step - 1)
                if action == "save":
                    messages.success(
                        request,
                        _("Your answers are saved. You can close this page and come back later with the same link."),
                    )
                    return redirect("surveys:answer-page", code=questionnaire.code, step=step)
                if step == questionnaire.total:
                    return redirect("surveys:answer-review", code=questionnaire.code)
                return redirect("surveys:answer-page", code=questionnaire.code, step=step + 1)
    else:
        form = AnswerPageForm(initial=questionnaire.initial(component), **form_options)
    parts = [
        {"step": number, "component": item, "done": not questionnaire.missing_required(item)}
        for number, item in enumerate(questionnaire.components, start=1)
    ]
    return render(
        request,
        "surveys/answer_page.html",
        _answer_context(
            questionnaire,
            form=form,
            component=component,
            step=step,
            parts=parts,
            percent=round(100 * (step - 1) / questionnaire.total) if questionnaire.total else 0,
            is_last=step == questionnaire.total,
        ),
    )


def _save_page(invitation: Invitation, questionnaire: Questionnaire, form: AnswerPageForm) -> None:
    """Save the page about each unit; a unit with nothing answered yet and nothing given is skipped, so
    that no empty response is created for it."""
    answered_units = {unit_id for unit_id, _question_id in questionnaire.answers}
    for unit in questionnaire.units:
        answers = form.answers_for(unit)
        if unit.pk not in answered_units and not any(answers.values()):
            continue
        services.save_answers(invitation, unit, answers)


@_public
@require_http_methods(["GET", "POST"])
def answer_review(request, code: str):
    """Every answer on one page, with a link back to each part, an optional comment per unit, and Submit."""
    invitation = services.invitation_for_code(code)
    if (refusal := _state_page(request, invitation)) is not None:
        return refusal
    questionnaire = Questionnaire(invitation)
    comments = {
        response.unit_id: response.comment
        for response in Response.objects.filter(invitation=invitation).only("unit_id", "comment")
    }
    if request.method == "POST":
        form = CommentsForm(request.POST, units=questionnaire.units)
        if form.is_valid():
            try:
                for unit in questionnaire.units:
                    comment = form.comment_for(unit)
                    if unit.pk in comments or comment:
                        services.save_answers(invitation, unit, {}, comment=comment)
                if request.POST.get("action") == "submit":
                    services.submit(invitation)
                    return redirect("surveys:answer-done", code=questionnaire.code)
                messages.success(
                    request,
                    _("Your answers are saved. You can close this page and come back later with the same link."),
                )
                return redirect("surveys:answer-review", code=questionnaire.code)
            except (services.SurveyClosed, services.AlreadySubmitted) as exc:
                return _refused(request, exc)
            except ValidationError as exc:
                errors = (
                    exc.message_dict.get(NON_FIELD_ERRORS, exc.messages) if hasattr(exc, "error_dict") else exc.messages
                )
                form.add_error(None, errors)
    else:
        form = CommentsForm(
            initial={f"comment-u{unit_id}": comment for unit_id, comment in comments.items()}, units=questionnaire.units
        )
    sections = [
        {
            "step": step,
            "component": component,
            "rows": [
                {
                    "question": question,
                    "cells": [
                        {"unit": unit, "text": questionnaire.answer_text(question, unit)}
                        for unit in questionnaire.units
                    ],
                }
                for question in component.questions.all()
            ],
        }
        for step, component in enumerate(questionnaire.components, start=1)
    ]
    return render(
        request,
        "surveys/answer_review.html",
        _answer_context(
            questionnaire,
            form=form,
            sections=sections,
            counts=questionnaire.required_counts(),
            min_completion=round(questionnaire.campaign.min_completion * 100),
        ),
    )


@_public
@require_GET
def answer_done(request, code: str):
    """Thanks, right after submitting; later visits of the link say it has been used."""
    invitation = services.invitation_for_code(code)
    if invitation is None:
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    if invitation.submitted_at is None:
        return redirect("surveys:answer", code=codes.normalize_code(code))
    just_now = (timezone.now() - invitation.submitted_at).total_seconds() < 3600
    return render(
        request,
        "surveys/answer_state.html",
        {
            "state": "thanks" if just_now else "used",
            "campaign": invitation.campaign,
            "message": services.AlreadySubmitted(invitation).message,
        },
    )


# --- staff: campaigns -----------------------------------------------------------------------------------


def _require_survey_staff(user) -> None:
    """The survey pages are for department staff and administrators; others get 403."""
    if not (user.is_administrator or user.role == Role.DEPARTMENT_STAFF):
        raise PermissionDenied(_("Only department staff run surveys."))


def _campaign(request, pk: int) -> Campaign:
    """A campaign in the user's scope, or 404 (its existence is not revealed)."""
    return get_object_or_404(selectors.campaigns_for(request.user).select_related("department"), pk=pk)


def _count(queryset) -> Subquery:
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
    _require_survey_staff(request.user)
    campaigns = (
        selectors.campaigns_for(request.user)
        .select_related("department")
        .annotate(
            invitation_count=_count(Invitation.objects.filter(campaign=OuterRef("pk"))),
            valid_count=_count(Invitation.objects.filter(selectors.has_valid_response(), campaign=OuterRef("pk"))),
        )
        .order_by("-year", "department__code")
    )
    page = Paginator(campaigns, 25).get_page(request.GET.get("page"))
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
    _require_survey_staff(request.user)
    options = {"departments": _departments_for(request.user), "campaigns": selectors.campaigns_for(request.user)}
    form = CampaignCreateForm(request.POST or None, **options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                data["department"],
                data["year"],
                copy_from=data["copy_from"],
                actor=request.user,
                title=data["title"],
                open_on=data["open_on"],
                close_on=data["close_on"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The campaign was created as a draft. Check the questionnaire and the weights, then open it."),
            )
            return redirect("surveys:campaign-detail", pk=campaign.pk)
    return render(request, "surveys/campaign_form.html", {"form": form})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    return render(
        request,
        "surveys/campaign_detail.html",
        {
            "campaign": campaign,
            "components": selectors.questionnaire(campaign),
            "weights_total": services.weights_total(campaign),
            "units": campaign.units.order_by("name"),
            "is_survey_admin": selectors.is_survey_admin(request.user, campaign.department_id),
            "to_review": selectors.responses_to_review(request.user, campaign).count(),
            "closes_early": timezone.localdate() < campaign.close_on,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_weights(request, pk: int):
    campaign = _campaign(request, pk)
    components = list(campaign.components.order_by("position"))
    form = WeightsForm(request.POST or None, components=components)
    if campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("The questionnaire of an open or closed campaign cannot change."))
        return redirect("surveys:campaign-detail", pk=campaign.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_component_weights(campaign, form.weights(), actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The weights are saved."))
            return redirect("surveys:campaign-detail", pk=campaign.pk)
    return render(request, "surveys/campaign_weights.html", {"campaign": campaign, "form": form})


@login_required
@require_POST
def campaign_status(request, pk: int, action: str):
    """Open a draft campaign or close an open one (before its end date: confirmed, with a reason)."""
    campaign = _campaign(request, pk)
    if action not in ("open", "close"):
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    early = timezone.localdate() < campaign.close_on
    if action == "close" and early and not request.POST.get("confirm_early"):
        messages.error(request, _("Confirm that the campaign closes before its end date."))
        return redirect("surveys:campaign-detail", pk=campaign.pk)
    try:
        if action == "open":
            services.open_campaign(campaign, actor=request.user)
        else:
            services.close_campaign(campaign, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if action == "open":
            messages.success(request, _("The campaign is open for answers."))
        else:
            messages.success(request, _("The campaign is closed: no more answers are accepted."))
    return redirect("surveys:campaign-detail", pk=campaign.pk)


# --- staff: invitations (survey administrators) ----------------------------------------------------


def _admin_campaign(request, pk: int) -> Campaign:
    campaign = _campaign(request, pk)
    if not selectors.is_survey_admin(request.user, campaign.department_id):
        raise PermissionDenied(_("Only a survey administrator can manage invitations."))
    return campaign


@login_required
@require_GET
def invitation_list(request, pk: int):
    campaign = _admin_campaign(request, pk)
    invitations = selectors.invitations_for(request.user, campaign)
    query = request.GET.get("q", "").strip()
    if query:
        invitations = invitations.filter(Q(business__name__icontains=query) | Q(business__tax_code__startswith=query))
    status = request.GET.get("status", "")
    status_filters = {
        "unsent": Q(sent_at__isnull=True),
        "sent": Q(sent_at__isnull=False, submitted_at__isnull=True),
        "answered": Q(submitted_at__isnull=False),
    }
    if status in status_filters:
        invitations = invitations.filter(status_filters[status])
    page = Paginator(invitations, 50).get_page(request.GET.get("page"))
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
            "status": status,
            "counts": counts,
            "add_form": AddInvitationForm(campaign=campaign),
            "closed": campaign.status == CampaignStatus.CLOSED,
        },
    )


@login_required
@require_POST
def invitation_action(request, pk: int, action: str):
    """Build invitations from the declarations, send the e-mails or the reminders, record letters posted."""
    campaign = _admin_campaign(request, pk)
    try:
        if action == "build":
            issued = services.build_invitations(campaign, actor=request.user)
            messages.success(
                request,
                _("%(count)s businesses invited. Download the letters to print their codes.") % {"count": len(issued)},
            )
        elif action == "send":
            if campaign.status != CampaignStatus.OPEN:
                raise ValidationError(_("E-mails go out only while the campaign is open."))
            transaction.on_commit(lambda: send_invitations_task.delay(campaign.pk))
            messages.success(request, _("The invitation e-mails are being sent in batches."))
        elif action == "remind":
            if not campaign.accepts_answers_on(timezone.localdate()):
                raise ValidationError(_("Reminders go out only while the campaign accepts answers."))
            transaction.on_commit(lambda: send_reminders_task.delay(campaign.pk))
            messages.success(request, _("Reminders are being sent to businesses that have not answered."))
        elif action == "letters-sent":
            unsent = Invitation.objects.filter(campaign=campaign, sent_at__isnull=True, business__email="")
            count = services.mark_letters_sent(campaign, unsent.values_list("pk", flat=True), actor=request.user)
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
            invitation, code = services.add_invitation(
                campaign, form.business, list(form.cleaned_data["units"]), actor=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
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
        services.remove_invitation(invitation, actor=request.user)
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
        code = services.regenerate_code(invitation, actor=request.user)
    except services.AlreadySubmitted as exc:
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
            "link": services.answer_url(code),
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
    content = excel.letters_workbook(campaign, selectors.invitations_for(request.user, campaign))
    response = _xlsx_response(content, f"cdci-{campaign.year}-letters.xlsx")
    response["Cache-Control"] = "no-store"
    return response


# --- staff: review, paper answers, monitoring --------------------------------------------------------


@login_required
@require_GET
def review_list(request, pk: int):
    """Straight-lined responses waiting for a decision, shown without any identity."""
    campaign = _campaign(request, pk)
    page = Paginator(selectors.responses_to_review(request.user, campaign), 20).get_page(request.GET.get("page"))
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
    campaign = _campaign(request, pk)
    response = get_object_or_404(Response.objects.select_related("campaign"), pk=response_id, campaign=campaign)
    accept = request.POST.get("decision") == "accept"
    try:
        services.review_response(response, accept, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Response accepted: it counts.") if accept else _("Response rejected: it does not count.")
        )
    return redirect("surveys:review-list", pk=campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def paper(request, pk: int):
    """Paper answers: download the template, upload it filled in (all or nothing)."""
    campaign = _campaign(request, pk)
    selectors.campaign_progress(campaign, user=request.user)  # department staff only (PermissionDenied)
    form = PaperUploadForm(request.POST or None, request.FILES or None)
    cell_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            sheet = excel.read_paper_upload(form.cleaned_data["file"])
            responses = services.import_paper_responses(
                campaign, sheet.rows, actor=request.user, first_row=sheet.first_row
            )
        except excel.UnreadableFile as exc:
            form.add_error("file", exc.message)
        except services.PaperImportError as exc:
            cell_errors = [
                {
                    "row": cell.row,
                    "column": cell.column,
                    "letter": sheet.letters.get(cell.column.upper(), ""),
                    "message": cell.message,
                }
                for cell in exc.cells
            ]
        else:
            messages.success(
                request,
                _("%(responses)s paper responses imported (%(valid)s valid).")
                % {"responses": len(responses), "valid": sum(1 for response in responses if response.is_valid)},
            )
            return redirect("surveys:paper", pk=campaign.pk)
    return render(
        request,
        "surveys/paper.html",
        {
            "campaign": campaign,
            "is_survey_admin": selectors.is_survey_admin(request.user, campaign.department_id),
            "form": form,
            "cell_errors": cell_errors,
            "is_open": campaign.status == CampaignStatus.OPEN,
        },
        status=400 if cell_errors else 200,
    )


@login_required
@require_GET
def paper_template(request, pk: int):
    campaign = _campaign(request, pk)
    if not selectors.is_department_staff(request.user, campaign.department_id):
        raise PermissionDenied
    return _xlsx_response(excel.paper_template(campaign), f"cdci-{campaign.year}-paper-answers.xlsx")


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
    campaign = _campaign(request, pk)
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
    campaign = _campaign(request, pk)
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
    campaign = _campaign(request, pk)
    figures = _progress_figures(campaign, request.user)
    content = excel.progress_workbook(campaign, figures["progress"], figures["summary"])
    return _xlsx_response(content, f"cdci-{campaign.year}-progress.xlsx")
