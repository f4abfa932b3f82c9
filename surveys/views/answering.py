"""The public questionnaire under /survey/<code>/: the business knows the survey only through its code,
and the pages show nothing of it but its name."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from directory.throttling import limit_per_address

from .. import codes, selectors
from ..choices import AGREEMENT_LEVELS, CampaignStatus, QuestionKind
from ..forms import AnswerPageForm, CommentsForm, display_number, field_name, initial_value
from ..models import Answer, Invitation, Response
from ..services.answering import AlreadySubmitted, SurveyClosed, invitation_for_code, mark_opened, save_answers, submit
from ..services.invitations import invitation_code


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
    # Per address, so that trying codes one after another is slow.
    return never_cache(limit_per_address("survey-code")(wrapped))


class Questionnaire:
    """What every answering page needs: the invitation, its units, the component indexes in order and
    the answers saved so far ({(unit id, question id): (value, choice)})."""

    def __init__(self, invitation: Invitation):
        self.invitation = invitation
        self.campaign = invitation.campaign
        self.code = invitation_code(invitation)
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
                "message": AlreadySubmitted(invitation).message,
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
                "message": SurveyClosed(campaign).message,
                "campaign": campaign,
            },
        )
    return None


def _refused(request, exc: SurveyClosed | AlreadySubmitted):
    """The page for SurveyClosed or AlreadySubmitted raised while saving (the state changed meanwhile)."""
    state = "used" if isinstance(exc, AlreadySubmitted) else "closed"
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
    invitation = invitation_for_code(code)
    if (refusal := _state_page(request, invitation)) is not None:
        return refusal
    assert invitation is not None  # an unknown code got its 404 page above
    if codes.normalize_code(code) != code:
        # One canonical address per code (a typed code may have dashes or lower case).
        return redirect("surveys:answer", code=codes.normalize_code(code))
    mark_opened(invitation)
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
    invitation = invitation_for_code(code)
    if (refusal := _state_page(request, invitation)) is not None:
        return refusal
    assert invitation is not None  # an unknown code got its 404 page above
    questionnaire = Questionnaire(invitation)
    if not 1 <= step <= questionnaire.total:
        return render(request, "surveys/answer_state.html", {"state": "unknown"}, status=404)
    component = questionnaire.components[step - 1]
    questions = list(component.questions.all())
    form_options: dict[str, Any] = {"questions": questions, "units": questionnaire.units}
    if request.method == "POST":
        form = AnswerPageForm(request.POST, **form_options)
        if form.is_valid():
            try:
                _save_page(invitation, questionnaire, form)
            except (SurveyClosed, AlreadySubmitted) as exc:
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
        save_answers(invitation, unit, answers)


@_public
@require_http_methods(["GET", "POST"])
def answer_review(request, code: str):
    """Every answer on one page, with a link back to each part, an optional comment per unit, and Submit."""
    invitation = invitation_for_code(code)
    if (refusal := _state_page(request, invitation)) is not None:
        return refusal
    assert invitation is not None  # an unknown code got its 404 page above
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
                        save_answers(invitation, unit, {}, comment=comment)
                if request.POST.get("action") == "submit":
                    submit(invitation, every_required=True)
                    return redirect("surveys:answer-done", code=questionnaire.code)
                messages.success(
                    request,
                    _("Your answers are saved. You can close this page and come back later with the same link."),
                )
                return redirect("surveys:answer-review", code=questionnaire.code)
            except (SurveyClosed, AlreadySubmitted) as exc:
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
    invitation = invitation_for_code(code)
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
            "message": AlreadySubmitted(invitation).message,
        },
    )
