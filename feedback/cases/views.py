"""The pages of dissatisfaction cases: the inbox (/cases/) and one case with its workflow forms.

Thin: scoping is feedback.cases.selectors (out of scope answers 404), the buttons are what
selectors.allowed_actions says, and each form calls its feedback.cases.services function, which decides
again (its PermissionDenied answers 403, its messages go next to the fields). What a business or a
rated officer sees of a case is what the API's serializers expose to them (feedback.cases.serializers),
so the two can never disagree; the page of a business or an officer never receives the case row itself.
"""

import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import ListView

from core import clock
from core.filter_forms import dress_filter_form
from core.paging import CappedPaginator
from core.query import InvalidQuery, LastPageListMixin, check_form, page_number
from core.uploads import attachment_response
from core.workflow_views import WorkflowStepView
from core.working_time import WorkingCalendar, working_days_between
from directory.calendar import department_calendar
from directory.choices import Role

from ..choices import SYSTEM_ROLE, CaseAction, CaseClosure, CaseConclusion, CaseStatus, Level, Reason
from ..models import CaseAttachment, DissatisfactionCase
from . import rules, services
from .filters import IN_PROGRESS_QUERY, CaseFilterSet
from .forms import STEP_FORMS
from .rules import BUSINESS_VIEW, CUSTOMS_VIEW, OFFICER_VIEW, view_kind
from .selectors import allowed_actions, attachment_for, case_detail_for, cases_for, inbox_counts
from .serializers import BusinessCaseDetailSerializer, OfficerCaseDetailSerializer, side_of

# What the list shows of a case's relations, and the columns of a case and of those it never shows.
LIST_RELATED = ("branch__department", "rating__declaration")
LIST_LEAVES_OUT = (
    "findings",
    "corrective_action",
    "internal_note",
    "answer",
    "dispute_reason",
    "rating__comment",
    "rating__branch_reasons",
    "rating__team_reasons",
)

# `?cases=all` shows a customs inbox's answered and closed cases too; by default it lists the open ones.
CASES_OPEN, CASES_ALL = "open", "all"

# Filters of the inbox a business or an officer is offered; customs users get them all.
SHORT_FILTERS = ("status", "ordering")


# --- display helpers (labels and dates; no rule is decided here) ----------------------------------------


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def due_badge(case, now: datetime.datetime, calendar: WorkingCalendar) -> dict | None:
    """ "Overdue by N days" (calendar days past the due date) or "due in N working days"; None once answered."""
    if not rules.is_open(case):
        return None
    today = rules.local_date(now)
    due_day = rules.local_date(rules.effective_due_at(case))
    if rules.is_overdue(case, now):
        days = max((today - due_day).days, 1)
        return {
            "kind": "overdue",
            "text": ngettext("Overdue by %(days)s day", "Overdue by %(days)s days", days) % {"days": days},
        }
    days = working_days_between(today, due_day, calendar)
    if days <= 0:
        return {"kind": "due-today", "text": _("Due today")}
    text = ngettext("Due in %(days)s working day", "Due in %(days)s working days", days) % {"days": days}
    return {"kind": "due-soon" if days <= rules.DUE_SOON_WORKING_DAYS else "due-later", "text": text}


def item_rows(items: list[dict], department) -> list[dict]:
    """What was rated 1 or 2, as rows of text: the kind of unit, its name, the level and the reasons."""
    kinds = {
        "officer": _("Officer"),
        "team": department.team_level_name if department else _("Team"),
        "branch": department.branch_level_name if department else _("Branch"),
    }
    return [
        {
            "kind": item.get("kind"),
            "kind_label": kinds.get(item.get("kind", ""), ""),
            "name": item.get("name", ""),
            "code": item.get("code", "") if item.get("kind") == "officer" else "",
            "level": item.get("level"),
            "level_label": _label(Level, item.get("level")),
            "reason_labels": [_label(Reason, reason) for reason in item.get("reasons", [])],
        }
        for item in items
    ]


def _role_label(role: str) -> str:
    if role == SYSTEM_ROLE:
        return _("Automatic")
    return _label(Role, role)


def _event_details(event) -> list[str]:
    """The parts of an event's details worth a line in the (customs) timeline."""
    details = event.details or {}
    lines = []
    if event.action == CaseAction.ASSIGNED and details.get("verifier"):
        lines.append(_("Verifier: %(name)s") % {"name": details["verifier"]})
    if event.action == CaseAction.CONCLUDED:
        if details.get("conclusion"):
            lines.append(
                _("Conclusion: %(conclusion)s") % {"conclusion": _label(CaseConclusion, details["conclusion"])}
            )
        if details.get("internal_note"):
            lines.append(_("Internal note: %(note)s") % {"note": details["internal_note"]})
    if event.action == CaseAction.ESCALATED:
        why = details.get("why")
        if why == "overdue":
            lines.append(_("Not answered by the due date."))
        elif why == "disputed":
            lines.append(_("The business disputed the answer."))
    if event.action == CaseAction.HANDLING_RATED and details.get("level"):
        lines.append(_("Level: %(level)s") % {"level": f"{details['level']} · {_label(Level, details['level'])}"})
    if event.action == CaseAction.ESCALATED and details.get("why") == "handling":
        lines.append(_("The business rated the handling as dissatisfied."))
    if event.action == CaseAction.DISPUTED and details.get("new_due_at"):
        when = _when(details["new_due_at"])
        if when is not None:
            lines.append(
                _("New answer due by %(date)s")
                % {"date": formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")}
            )
    if event.action == CaseAction.CLOSED and details.get("how"):
        lines.append(_label(CaseClosure, details["how"]))
    return lines


def _with(query, **changes) -> str:
    """The query string `query` (a QueryDict) with the `changes` applied (None removes a parameter)."""
    query = query.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def _when(value):
    return parse_datetime(value) if isinstance(value, str) else value


def _plain_choices(form) -> None:
    """Words for the filter's empty choices: "All" rather than "Unknown" or dashes (core.filter_forms), the
    inbox order for the sort."""
    dress_filter_form(form)
    ordering = form.fields.get("ordering")
    if ordering is not None:
        ordering.empty_label = _("Inbox order")
        ordering.choices = [
            ("due_at", _("Due date, earliest first")),
            ("-due_at", _("Due date, latest first")),
            ("-opened_at", _("Opened, newest first")),
            ("opened_at", _("Opened, oldest first")),
        ]


# --- the inbox ----------------------------------------------------------------------------------------------


class CaseListView(LoginRequiredMixin, LastPageListMixin, ListView):
    """The cases the user may see, filtered and paginated; counts of the open ones above the table."""

    template_name = "feedback/case_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator
    context_object_name = "cases"

    def get_queryset(self):
        user = self.request.user
        self.kind = view_kind(user)
        if user.role == Role.INTEGRATION and not user.is_administrator:
            raise Http404  # machines have no cases
        # The list shows none of the long texts; leaving them out keeps the sorted rows narrow.
        listed = cases_for(user).select_related(None).select_related(*LIST_RELATED).defer(*LIST_LEAVES_OUT)
        self.only_open = self._only_open()
        if self.only_open:
            listed = listed.still_open()
        self.filterset = CaseFilterSet(self.request.GET, queryset=listed, request=self.request)
        page_number(self.request.GET)
        check_form(self.filterset.form)  # a filter that does not parse is a 400 naming it, never ignored
        return self.filterset.qs

    def _only_open(self) -> bool:
        """A customs inbox shows the open cases unless a status is chosen or `cases=all` asks for every one:
        what a leader works on, read from the open cases' partial index, instead of sorting the
        department's whole history on every view. Businesses and officers see all of theirs (a few)."""
        wanted = self.request.GET.get("cases", "")
        if wanted not in ("", CASES_OPEN, CASES_ALL):
            raise InvalidQuery({"cases": [_("Show either the open cases or all cases.")]})
        if self.kind != CUSTOMS_VIEW or self.request.GET.getlist("status"):
            return False
        return wanted != CASES_ALL

    def paginate_queryset(self, queryset, page_size):
        """Ids first, then the page's rows: the sort reads narrow columns, and only the 25 rows shown are
        read whole and joined to their branch, rating and declaration, by primary key. The ids come from
        the user's scoped query; repeating the scope's joins on the 25 made PostgreSQL walk all of a
        business's cases to find them (a broker's 2,900 per business at ten million ratings)."""
        paginator, page, ids, is_paginated = super().paginate_queryset(queryset.values_list("pk", flat=True), page_size)
        ids = list(ids)
        shown = DissatisfactionCase.objects.select_related(*LIST_RELATED).defer(*LIST_LEAVES_OUT).order_by()
        rows = shown.in_bulk(ids)
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return paginator, page, page.object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        now = clock.now()
        calendars = {}  # department id -> its calendar, read once per page
        for case in context["cases"]:
            items = case.items
            if self.kind == OFFICER_VIEW:
                items = rules.items_seen_by_officer(items, user.officer_id)
            case.item_rows = item_rows(items, case.branch.department)
            department_id = case.branch.department_id
            if department_id not in calendars:
                calendars[department_id] = department_calendar(department_id)
            case.due_badge = due_badge(case, now, calendars[department_id])
        query = self.request.GET.copy()
        query.pop("page", None)
        _plain_choices(self.filterset.form)
        fields = self.filterset.form
        if self.kind != CUSTOMS_VIEW:
            fields = [fields[name] for name in SHORT_FILTERS]
        context.update(
            filter=self.filterset,
            filter_fields=fields,
            filters_in_use=any(key != "page" for key in self.request.GET),
            query_without_page=query.urlencode(),
            view_kind=self.kind,
            counts=inbox_counts(user, now) if self.kind == CUSTOMS_VIEW else None,
            only_open=self.only_open,
            all_cases_query=_with(query, cases=CASES_ALL),
            open_cases_query=_with(query, cases=None),
            showing_all=self.kind == CUSTOMS_VIEW and self.request.GET.get("cases") == CASES_ALL,
            in_progress_query=IN_PROGRESS_QUERY,
        )
        return context


# --- one case -------------------------------------------------------------------------------------------------


def _case_for(request, pk: int):
    # Out of scope answers 404, exactly like a case that does not exist.
    return get_object_or_404(
        case_detail_for(request.user).select_related(
            "branch__department",
            "rating__declaration__business",
            "rating__declaration__branch",
            "rating__declaration__team",
        ),
        pk=pk,
    )


def _public_context(request, case) -> dict:
    """A business's view: only what BusinessCaseDetailSerializer exposes, with dates as datetimes."""
    data = BusinessCaseDetailSerializer(case, context={"request": request}).data
    return {
        "status": data["status"],
        "status_label": _label(CaseStatus, data["status"]),
        "opened_at": _when(data["opened_at"]),
        "due_at": _when(data["due_at"]),
        "item_rows": item_rows(data["items"], case.branch.department),
        "comment": data["comment"],
        "conclusion": data["conclusion"],
        "conclusion_label": _label(CaseConclusion, data["conclusion"]) if data["conclusion"] else "",
        "answer": data["answer"],
        "answered_at": _when(data["answered_at"]),
        "dispute_until": _when(data["dispute_until"]),
        "disputed_at": _when(data["disputed_at"]),
        "dispute_reason": data["dispute_reason"],
        "closed_at": _when(data["closed_at"]),
        "closed_how_label": _label(CaseClosure, data["closed_how"]) if data["closed_how"] else "",
        "events": [
            {
                "created_at": _when(event["created_at"]),
                "action": event["action"],
                "action_label": _public_action_label(event),
                "text": event["text"],
                "attachments": [
                    _web_file(case.pk, item["id"], item["name"], item["size"]) for item in event["attachments"]
                ],
            }
            for event in data["events"]
        ],
        "next_step_text": data["next_step_text"],
        "next_step": data["next_step"],
        "handling_ratings": [
            {"level": row["level"], "level_label": _label(Level, row["level"]), "comment": row["comment"]}
            for row in data["handling_ratings"]
        ],
        "allowed_actions": data["allowed_actions"],
    }


def _web_file(case_id: int, attachment_id: int, name: str, size: int) -> dict:
    return {
        "name": name,
        "size": size,
        "url": reverse("feedback:case-attachment", kwargs={"pk": case_id, "attachment_id": attachment_id}),
    }


def _public_action_label(event: dict) -> str:
    if event["action"] == CaseAction.MESSAGE:
        return _("Your message") if event["side"] == "business" else _("Message from customs")
    return _label(CaseAction, event["action"])


def _officer_context(request, case) -> dict:
    """A rated officer's view: only what OfficerCaseDetailSerializer exposes."""
    data = OfficerCaseDetailSerializer(case, context={"request": request}).data
    return {
        "status": data["status"],
        "status_label": _label(CaseStatus, data["status"]),
        "opened_at": _when(data["opened_at"]),
        "due_at": _when(data["due_at"]),
        "item_rows": item_rows(data["items"], case.branch.department),
        "comment": data["comment"],
        "my_explanation": data["my_explanation"],
        "allowed_actions": data["allowed_actions"],
        # The declaration as the API names it to the officer: its number and branch, never the business.
        "declaration": {"number": data["declaration"], "branch": data["branch"]},
    }


def _customs_context(request, case) -> dict:
    events = [
        {
            "created_at": event.created_at,
            "actor": (event.actor.get_full_name() or event.actor.username) if event.actor else "",
            "role_label": _role_label(event.actor_role),
            "action": event.action,
            "action_label": _label(CaseAction, event.action),
            "text": event.text,
            "details": _event_details(event),
            "attachments": [
                _web_file(case.pk, item.pk, item.original_name, item.size) for item in event.attachments.all()
            ],
            "side": side_of(event),
        }
        for event in case.events.all()
    ]
    return {
        "case": case,
        "item_rows": item_rows(case.items, case.branch.department),
        "events": events,
        "explanations": list(case.explanations.all()),
        "handling_ratings": [
            {
                "level": row.level,
                "level_label": _label(Level, row.level),
                "comment": row.comment,
                "rated_at": row.rated_at,
            }
            for row in case.handling_ratings.all()
        ],
        "allowed_actions": allowed_actions(case, request.user),
        "due_badge": due_badge(case, clock.now(), department_calendar(case.branch.department_id)),
    }


def render_case(request, case, *, bound_form=None, status: int = 200):
    """The case page for this user, with a form for each step allowed now (`bound_form` keeps a failed one)."""
    kind = view_kind(request.user)
    context = {"view_kind": kind, "case_id": case.pk, "declaration": case.rating.declaration}
    if kind == BUSINESS_VIEW:
        context["public"] = _public_context(request, case)
        allowed = context["public"]["allowed_actions"]
    elif kind == OFFICER_VIEW:
        context["mine"] = _officer_context(request, case)
        context["declaration"] = context["mine"]["declaration"]  # the row itself never reaches the page
        allowed = context["mine"]["allowed_actions"]
    else:
        context.update(_customs_context(request, case))
        allowed = context["allowed_actions"]
    step_forms = {}
    for action in allowed:
        if bound_form is not None and bound_form.action == action:
            step_forms[action] = bound_form
        else:
            step_forms[action] = STEP_FORMS[action](case=case)
    if bound_form is not None and bound_form.action not in step_forms:
        # The step is no longer offered (the case moved on): its messages are shown above the forms.
        context["stale_errors"] = bound_form.non_field_errors()
    context["forms"] = step_forms
    return TemplateResponse(request, "feedback/case_detail.html", context, status=status)


class CaseDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        return render_case(request, _case_for(request, pk))


STEP_DONE = {
    "assign": lambda: _("The verifier has been assigned and told by e-mail."),
    "findings": lambda: _("The findings have been recorded."),
    "explanation": lambda: _("Your explanation has been sent to the branch leader."),
    "conclude": lambda: _("The conclusion has been recorded. Now write the answer to the business."),
    "answer": lambda: _("The answer has been sent to the business."),
    "accept": lambda: _("Thank you. You accepted the answer; the case is closed."),
    "dispute": lambda: _("Your dispute has been sent; the department will review the case."),
    "rate_handling": lambda: _("Thank you for rating the handling of your complaint."),
    "message": lambda: _("Your message has been sent."),
    "note": lambda: _("The internal note has been added."),
}


class CaseStepView(WorkflowStepView):
    """POST one workflow step; the service decides, its refusals come back on the case page (a
    PermissionDenied from the service is Django's 403)."""

    step_forms = STEP_FORMS
    step_done = STEP_DONE
    form_object = "case"
    invalid_transition = services.InvalidTransition
    detail_url_name = "feedback:case-detail"

    def get_object(self, request, pk: int):
        return _case_for(request, pk)

    def render(self, request, obj, *, bound_form, status: int):
        return render_case(request, obj, bound_form=bound_form, status=status)

    @staticmethod
    def run(action: str, case, data: dict, user) -> None:
        if action == "assign":
            services.assign(case, data["verifier"], user)
        elif action == "findings":
            services.record_findings(case, data["findings"], user)
        elif action == "explanation":
            services.add_officer_explanation(case, data["explanation"], user)
        elif action == "conclude":
            services.conclude(case, data["conclusion"], data["corrective_action"], data["internal_note"], user)
        elif action == "answer":
            services.answer(case, data["answer"], user)
        elif action == "accept":
            services.accept(case, user)
        elif action == "dispute":
            services.dispute(case, data["reason"], user)
        elif action == "rate_handling":
            services.rate_handling(case, data["level"], data["comment"], user)
        elif action in ("message", "note"):
            services.send_message(case, data["text"], data["files"], user, internal=action == "note")


class CaseAttachmentView(LoginRequiredMixin, View):
    """Download a file of a message: only for users who may see the case and that message (404 otherwise)."""

    def get(self, request, pk: int, attachment_id: int):
        try:
            attachment = attachment_for(request.user, pk, attachment_id)
        except CaseAttachment.DoesNotExist:
            raise Http404 from None
        return attachment_response(attachment)
