"""Pages of inquiries (the list, asking, one inquiry with its step forms, its files), the public FAQ and the
dialogue conferences. Thin: scoping is inquiries.selectors (out of scope answers 404), each form calls its
service, which decides again (PermissionDenied answers 403; its messages go next to the fields)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from core import clock
from core.query import InvalidQuery, check_form, get_page, page_number
from core.uploads import attachment_response
from core.workflow_views import WorkflowStepView
from directory.choices import Role

from . import conferences, rules, services
from .choices import InquiryStatus
from .filters import FaqFilterSet, InquiryFilterSet
from .forms import STEP_FORMS, AskForm, ConferenceForm, ProblemForm, ResolveForm
from .models import ConferenceProblem, DialogueConference, Inquiry, InquiryAttachment
from .selectors import inbox_counts, inquiries_for, inquiry_detail_for, public_faq

FAQ_PAGE_SIZE = 20


def _is_business(user) -> bool:
    return user.role == Role.BUSINESS and not user.is_administrator


# --- the list -----------------------------------------------------------------------------------------------


class InquiryListView(LoginRequiredMixin, ListView):
    """A business's own inquiries (newest first); a leader's inbox (open first, by due date)."""

    template_name = "inquiries/inquiry_list.html"
    paginate_by = 25
    context_object_name = "inquiries"

    def get_queryset(self):
        user = self.request.user
        if user.role == Role.INTEGRATION and not user.is_administrator:
            raise Http404  # machines ask through the API, they have no inbox
        self.filterset = InquiryFilterSet(self.request.GET, queryset=inquiries_for(user), request=self.request)
        page_number(self.request.GET)
        check_form(self.filterset.form)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        now = clock.now()
        for inquiry in context["inquiries"]:
            inquiry.overdue = inquiry.is_open and inquiry.due_at < now
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter=self.filterset,
            is_business=_is_business(user),
            counts=None if _is_business(user) else inbox_counts(user),
            query_without_page=query.urlencode(),
        )
        return context


# --- asking -------------------------------------------------------------------------------------------------


@login_required
def ask(request):
    user = request.user
    if user.role != Role.BUSINESS:
        raise PermissionDenied(_("Only a business user can ask a question."))
    form = AskForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inquiry = services.ask_inquiry(
                user,
                subject=data["subject"],
                question=data["question"],
                topic=data["topic"],
                declaration_number=data["declaration"],
                business=data.get("business"),
                department=data.get("department"),
                uploads=data["attachments"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Your question has been sent. Customs answers in writing by %(due)s.")
                % {"due": formats.date_format(timezone.localtime(inquiry.due_at), "SHORT_DATE_FORMAT")},
            )
            return redirect("inquiries:inquiry-detail", pk=inquiry.pk)
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "inquiries/ask.html", {"form": form}, status=status)


# --- one inquiry ----------------------------------------------------------------------------------------


def _inquiry_for(request, pk: int) -> Inquiry:
    return get_object_or_404(inquiry_detail_for(request.user), pk=pk)


def allowed_actions(inquiry: Inquiry, user) -> list[str]:
    """The steps `user` may take now, in the order the page shows them."""
    allowed = []
    if inquiry.is_open and rules.may_assign(user, inquiry):
        allowed.append("assign")
    if inquiry.is_open and rules.may_answer(user, inquiry):
        allowed.append("answer")
    if inquiry.status == InquiryStatus.ANSWERED and rules.acts_for_business(user, inquiry):
        allowed += ["rate", "follow-up"]
    if inquiry.status in (InquiryStatus.ANSWERED, InquiryStatus.CLOSED) and rules.may_publish(user, inquiry):
        allowed.append("publish")
        entry = getattr(inquiry, "faq_entry", None)
        if entry is not None and entry.withdrawn_at is None:
            allowed.append("withdraw")
    return allowed


def render_inquiry(request, inquiry: Inquiry, *, bound_form=None, status: int = 200):
    forms = {}
    for action in allowed_actions(inquiry, request.user):
        if bound_form is not None and bound_form.action == action:
            forms[action] = bound_form
        else:
            forms[action] = STEP_FORMS[action](inquiry=inquiry)
    now = clock.now()
    context = {
        "inquiry": inquiry,
        "is_business": _is_business(request.user),
        "exchanges": list(inquiry.exchanges.all()),
        "events": list(inquiry.events.all()),
        "forms": forms,
        "overdue": inquiry.is_open and inquiry.due_at < now,
        "stale_errors": bound_form.non_field_errors()
        if bound_form is not None and bound_form.action not in forms
        else None,
    }
    return TemplateResponse(request, "inquiries/inquiry_detail.html", context, status=status)


class InquiryDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        return render_inquiry(request, _inquiry_for(request, pk))


STEP_DONE = {
    "assign": lambda: _("The inquiry has been assigned and the officer told by e-mail."),
    "answer": lambda: _("The answer has been sent to the business."),
    "follow-up": lambda: _("Your follow-up question has been sent."),
    "rate": lambda: _("Thank you for rating the answer."),
    "publish": lambda: _("The answer is published in the FAQ."),
    "withdraw": lambda: _("The answer is withdrawn from the FAQ."),
}


class InquiryStepView(WorkflowStepView):
    """POST one step; the service decides, its refusals come back on the inquiry page."""

    step_forms = STEP_FORMS
    step_done = STEP_DONE
    form_object = "inquiry"
    invalid_transition = services.InvalidTransition
    detail_url_name = "inquiries:inquiry-detail"

    def get_object(self, request, pk: int) -> Inquiry:
        return _inquiry_for(request, pk)

    def render(self, request, obj, *, bound_form, status: int):
        return render_inquiry(request, obj, bound_form=bound_form, status=status)

    @staticmethod
    def run(action: str, inquiry: Inquiry, data: dict, user) -> None:
        if action == "assign":
            services.assign_inquiry(inquiry, data["assignee"], user)
        elif action == "answer":
            services.answer_inquiry(inquiry, data["answer"], user, uploads=data["attachments"])
        elif action == "follow-up":
            services.ask_follow_up(inquiry, data["question"], user, uploads=data["attachments"])
        elif action == "rate":
            services.rate_answer(inquiry, data["level"], data["comment"], user)
        elif action == "publish":
            services.publish_faq(inquiry, data["question"], data["answer"], user, topic=data["topic"])
        elif action == "withdraw":
            services.withdraw_faq(inquiry, user)


@login_required
def attachment(request, pk: int, attachment_id: int):
    """A file of an inquiry the user may see; any other answers 404."""
    inquiry = get_object_or_404(Inquiry.objects.for_user(request.user), pk=pk)
    return attachment_response(get_object_or_404(InquiryAttachment, pk=attachment_id, inquiry=inquiry))


# --- the public FAQ -------------------------------------------------------------------------------------------


def faq(request):
    """Published general answers, searchable by words and topic; never a business's identity."""
    filterset = FaqFilterSet(request.GET, queryset=public_faq())
    check_form(filterset.form)
    page = get_page(Paginator(filterset.qs, FAQ_PAGE_SIZE), request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "inquiries/faq.html",
        {
            "filter": filterset,
            "page_obj": page,
            "entries": page.object_list,
            "paginator": page.paginator,
            "is_paginated": page.paginator.num_pages > 1,
            "query_without_page": query.urlencode(),
            "searching": any(request.GET.get(key) for key in ("q", "topic")),
        },
    )


# --- dialogue conferences ---------------------------------------------------------------------------------


def _year(request) -> int:
    text = (request.GET.get("year") or "").strip()
    if not text:
        return clock.now().year
    if not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100):
        raise InvalidQuery({"year": [_("Give a year between 2000 and 2100.")]})
    return int(text)


@login_required
def conference_list(request):
    user = request.user
    if not (user.is_administrator or user.role in (Role.DEPARTMENT_STAFF, Role.BRANCH_LEADER)):
        raise PermissionDenied
    scoped = DialogueConference.objects.for_user(user)
    year = _year(request)
    listed = scoped.filter(held_on__year=year).select_related("branch")
    return TemplateResponse(
        request,
        "inquiries/conference_list.html",
        {
            "year": year,
            "years": sorted({d.year for d in scoped.dates("held_on", "year")} | {year}, reverse=True),
            "conferences": listed,
            "summary": conferences.yearly_summary(scoped, year),
            "may_record": conferences.may_record(user) and bool(user.department_id),
        },
    )


@login_required
def conference_new(request):
    user = request.user
    if not conferences.may_record(user) or user.department is None:
        raise PermissionDenied(_("Only department staff can record a dialogue conference."))
    form = ConferenceForm(request.POST or None, department=user.department)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conference = conferences.record_conference(
                user,
                department=user.department,
                level=data["level"],
                format=data["format"],
                held_on=data["held_on"],
                title=data["title"],
                branch=data["branch"],
                businesses=data["businesses"],
                notes=data["notes"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The conference is recorded. Now add the problems raised."))
            return redirect("inquiries:conference-detail", pk=conference.pk)
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "inquiries/conference_form.html", {"form": form}, status=status)


def _conference_for(request, pk: int) -> DialogueConference:
    return get_object_or_404(
        DialogueConference.objects.for_user(request.user).select_related("branch", "department"), pk=pk
    )


def _render_conference(request, conference, *, problem_form=None, resolve_forms=None, status=200):
    problems = list(conference.problems.select_related("inquiry__business").order_by("id"))
    resolve_forms = resolve_forms or {}
    for problem in problems:
        problem.resolve_form = resolve_forms.get(problem.pk) or ResolveForm(prefix=f"p{problem.pk}")
    may_edit = conferences.may_record(request.user)
    return TemplateResponse(
        request,
        "inquiries/conference_detail.html",
        {
            "conference": conference,
            "businesses": list(conference.businesses.order_by("name")),
            "problems": problems,
            "problem_form": problem_form or ProblemForm(conference=conference),
            "may_edit": may_edit,
        },
        status=status,
    )


@login_required
def conference_detail(request, pk: int):
    return _render_conference(request, _conference_for(request, pk))


@login_required
def conference_problem(request, pk: int):
    conference = _conference_for(request, pk)
    if request.method != "POST":
        return redirect("inquiries:conference-detail", pk=pk)
    form = ProblemForm(request.POST, conference=conference)
    if form.is_valid():
        data = form.cleaned_data
        inquiry = None
        if data["inquiry"]:
            inquiry = Inquiry.objects.for_user(request.user).filter(pk=data["inquiry"]).first()
            if inquiry is None:
                form.add_error("inquiry", _("No such inquiry of your department."))
        if not form.errors:
            try:
                conferences.raise_problem(
                    conference,
                    request.user,
                    inquiry=inquiry,
                    business=data["business"],
                    subject=data["subject"],
                    question=data["question"],
                    topic=data["topic"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The problem is recorded."))
                return redirect("inquiries:conference-detail", pk=pk)
    return _render_conference(request, conference, problem_form=form, status=400)


@login_required
def conference_resolve(request, pk: int, problem_id: int):
    conference = _conference_for(request, pk)
    problem = get_object_or_404(ConferenceProblem, pk=problem_id, conference=conference)
    if request.method != "POST":
        return redirect("inquiries:conference-detail", pk=pk)
    form = ResolveForm(request.POST, prefix=f"p{problem.pk}")
    if form.is_valid():
        try:
            conferences.resolve_problem(problem, form.cleaned_data["resolution"], request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The resolution is recorded."))
            return redirect("inquiries:conference-detail", pk=pk)
    return _render_conference(request, conference, resolve_forms={problem.pk: form}, status=400)
