"""The declaration pages: the list (for a business, what it may rate), one declaration with its rating,
and the rating form (form -> confirmation -> send).

They serve every role that sees declarations, but what they add to the declaration is the rating, so
they live with the ratings; whether a declaration can still be rated is feedback.ratings.window's.
"""

import typing

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from core import clock
from core.compiled import CompiledQuery
from core.filter_forms import dress_filter_form
from core.paging import CappedPaginator
from core.query import LastPageListMixin, check_form, page_number
from directory.choices import Role
from directory.models import BusinessMembership, User
from directory.permissions import has_role

from ..cases.rules import due_working_days
from ..choices import Level, Reason, SubmissionChannel
from ..declarations.filters import DeclarationFilterSet
from ..declarations.selectors import declarations_for, with_shown_relations
from ..models import Declaration, DeclarationOfficer
from .forms import RatingForm, handled_by
from .services import AlreadyRated, submit_rating
from .window import RatingWindow, as_pending, count_to_rate, open_for_rating, rating_window


def _rating_of(declaration: Declaration):
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    return getattr(declaration, "rating", None)


# A business's list order: newest clearance first, declarations in progress last.
BUSINESS_ORDER = (F("cleared_at").desc(nulls_last=True), F("registered_at").desc(), F("pk").desc())
# Above this many businesses for one user, the merged page costs more queries' planning than it saves.
MERGED_BUSINESSES = 500
# A business id no row has, compiled into the merged page's part and replaced by each business's id.
PART_BUSINESS = -2_000_000_001


class DeclarationListView(LoginRequiredMixin, LastPageListMixin, ListView):
    """The declarations the user may see (a business: its own), newest first; "to rate" for businesses."""

    template_name = "feedback/declaration_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator
    context_object_name = "declarations"

    def get_queryset(self):
        self.is_business = self.request.user.role == Role.BUSINESS
        self.filterset = DeclarationFilterSet(self.request.GET, queryset=declarations_for(self.request.user))
        page_number(self.request.GET)
        check_form(self.filterset.form)  # a filter that does not parse is a 400 naming it, never ignored
        queryset = self.filterset.qs
        self.to_rate = self.filterset.form.cleaned_data.get("rated") is False
        if self.is_business:
            # A business works on what has cleared: newest clearance first, declarations in progress last.
            queryset = queryset.order_by(*BUSINESS_ORDER)
        if self.to_rate:
            # "To rate" on this page means what can still be rated: declarations whose window closed are left out.
            queryset = open_for_rating(queryset)
        return queryset

    def get_paginator(self, queryset, per_page, **kwargs):
        """An officer's unfiltered list is counted from their own link rows (declaration_officer_idx, index
        only): the same declarations as Declaration.for_user gives an officer, without probing each one
        (54 ms at ten million ratings, for the 10,001 rows of the capped count)."""
        user = self.request.user
        unfiltered = not any(value not in (None, "") for value in self.filterset.form.cleaned_data.values())
        if user.role == Role.OFFICER and not user.is_administrator and unfiltered:
            links = DeclarationOfficer.objects.filter(officer_id=user.officer_id)
            kwargs["count_rows"] = links.values("declaration_id").distinct()
        return super().get_paginator(queryset, per_page, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        """Ids first, then the page's rows: the sort and the (capped) count read the declarations alone, and
        only the 25 rows shown are joined to their business, units, rating and officers."""
        paginator, page, ids, is_paginated = super().paginate_queryset(queryset.values_list("pk", flat=True), page_size)
        if self.is_business:
            ids = self._merged_page_ids(page)
        ids = list(ids)
        rows = with_shown_relations(Declaration.objects.all()).in_bulk(ids)  # ids from the scoped query
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return paginator, page, page.object_list, is_paginated

    def _merged_page_ids(self, page) -> list[int]:
        """The page's ids for a business user, merged from the top rows of each of its businesses.

        A broker acting for 100 businesses has ~100,000 declarations: sorting them all for 25 rows cost
        0.6 s. Each business's first `offset + 25` rows come in order from declaration_business_list_idx,
        and only those are merged (one UNION ALL query). With one business, or very many, the plain
        query is as good."""
        user = typing.cast(User, self.request.user)  # signed in: LoginRequiredMixin
        businesses = list(BusinessMembership.objects.filter(user=user).values_list("business_id", flat=True))
        # SQLite (the embedded mode, small lists) cannot LIMIT the parts of a UNION: the plain query there.
        mergeable = connection.features.supports_slicing_ordering_in_compound
        if not mergeable or not 1 < len(businesses) <= MERGED_BUSINESSES:
            return list(page.object_list)
        end = page.number * page.paginator.per_page
        # Each part reads one of the user's own businesses (its scope, by construction) with the page's
        # filters: one table, no scope joins, so that a hundred parts cost little to plan.
        filtered = self.filterset.filter_queryset(Declaration.objects.all())
        if self.to_rate:
            filtered = open_for_rating(filtered)
        rows = filtered.order_by().values_list("pk", "cleared_at", "registered_at")
        # One part is compiled, with a stand-in business id, and repeated for each business with its id in
        # the stand-in's place: compiling a hundred querysets cost the ORM ~80 ms a page.
        part = CompiledQuery.of(rows.filter(business_id=PART_BUSINESS).order_by(*BUSINESS_ORDER)[:end], PART_BUSINESS)
        params = [param for business in businesses for param in part.params_with({PART_BUSINESS: business})]
        # The columns are (pk, cleared_at, registered_at): BUSINESS_ORDER by their positions.
        merged = " UNION ALL ".join([f"({part.sql})"] * len(businesses))
        per_page = page.paginator.per_page
        with connection.cursor() as cursor:
            cursor.execute(
                f"{merged} ORDER BY 2 DESC NULLS LAST, 3 DESC, 1 DESC LIMIT {per_page} OFFSET {end - per_page}",
                params,
            )
            return [pk for pk, *_sort in cursor.fetchall()]

    def _pending_count(self, paginator, now) -> tuple[int, bool]:
        """How many declarations wait for the business's rating (window.count_to_rate: up to its cap, and
        whether there are more). On "to rate" with no other filter that is the list's own count (a broker's
        month of declarations: counted once, not twice)."""
        others = {name: value for name, value in self.filterset.form.cleaned_data.items() if name != "rated"}
        if self.to_rate and not any(value not in (None, "") for value in others.values()) and not paginator.capped:
            return as_pending(paginator.count)
        return count_to_rate(Declaration.objects.for_user(self.request.user), now=now)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        dress_filter_form(self.filterset.form)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        context["is_business"] = self.is_business
        context["to_rate"] = self.to_rate
        if self.is_business:
            now = clock.now()
            context["pending_count"], context["pending_more"] = self._pending_count(context["paginator"], now)
            for declaration in context["declarations"]:
                declaration.row_rating = _rating_of(declaration)
                declaration.can_rate = rating_window(declaration, now=now).is_open
        return context


def declaration_context(request, declaration: Declaration) -> dict:
    """What the declaration page shows; the rating part only to the business (and administrators)."""
    context = {"declaration": declaration, "officers": handled_by(declaration)}
    if not has_role(request.user, Role.BUSINESS):
        return context
    rating = _rating_of(declaration)
    context["show_rating"] = True
    context["rating"] = rating
    if rating is None:
        window = rating_window(declaration)
        context["can_rate"] = window.is_open and request.user.role == Role.BUSINESS
        context["closes_at"] = window.closes_at
        if not window.is_open:
            context["not_rateable_message"] = window.refusal()
    else:
        context["rated_rows"] = rated_rows(declaration, rating)
        if rating.is_dissatisfied:
            # The deadline the case services apply: the department's policy, else CASE_DUE_WORKING_DAYS.
            context["answer_working_days"] = due_working_days(declaration.branch.department_id)
            case = getattr(rating, "case", None)
            if case is not None:  # only what the business may see of it: the link, its status and due date
                context["case_link"] = {
                    "id": case.pk,
                    "status": case.get_status_display(),
                    "due_at": case.answer_due_at if case.is_open else None,
                }
    return context


def rated_rows(declaration: Declaration, rating) -> list[dict]:
    """The sent rating as rows of text: each officer, the team, the branch, with level and reasons."""
    stages = {officer.pk: stage_list for officer, stage_list in handled_by(declaration)}
    department = declaration.branch.department
    rows = [
        {
            "kind": "officer",
            "kind_label": _("Officer"),
            "name": row.officer.full_name,
            "detail": " · ".join([row.officer.code, *(str(stage) for stage in stages.get(row.officer_id, ()))]),
            "level": row.level,
            "reasons": row.reasons,
        }
        for row in rating.officer_ratings.all()
    ]
    if rating.team_level is not None:
        rows.append(
            {
                "kind": "team",
                "kind_label": department.team_level_name,
                "name": rating.team.name,
                "level": rating.team_level,
                "reasons": rating.team_reasons,
            }
        )
    rows.append(
        {
            "kind": "branch",
            "kind_label": department.branch_level_name,
            "name": rating.branch.name,
            "level": rating.branch_level,
            "reasons": rating.branch_reasons,
        }
    )
    for row in rows:
        row["level_label"] = Level(row["level"]).label
        row["reason_labels"] = [Reason(value).label for value in row["reasons"] if value in Reason.values]
    return rows


class DeclarationDetailView(LoginRequiredMixin, DetailView):
    template_name = "feedback/declaration_detail.html"
    context_object_name = "declaration"

    def get_object(self, queryset=None):
        # Out of scope answers 404, like a number that does not exist: existence is not revealed.
        return get_object_or_404(
            declarations_for(self.request.user).select_related("branch__department", "rating__team", "rating__branch"),
            number=self.kwargs["number"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(declaration_context(self.request, self.object))
        return context


class RateDeclarationView(LoginRequiredMixin, View):
    """Rate a cleared declaration: form -> confirmation (choices carried in hidden fields) -> send.

    Only business users acting for the declaration's business get here; anyone else gets 404, like a
    number that does not exist. submit_rating decides what is valid; its messages go next to the rows.
    """

    def get_declaration(self) -> Declaration:
        user = self.request.user
        assert user.is_authenticated  # LoginRequiredMixin let only signed-in users in
        if user.role != Role.BUSINESS:
            raise Http404
        return get_object_or_404(
            declarations_for(self.request.user).select_related("branch__department", "rating__team", "rating__branch"),
            number=self.kwargs["number"],
        )

    def get(self, request, number):
        declaration = self.get_declaration()
        if _rating_of(declaration) is not None:
            messages.info(request, _("This declaration has already been rated; a rating is sent only once."))
            return redirect("feedback:declaration-detail", number=declaration.number)
        window = rating_window(declaration)
        if not window.is_open:
            return self.render_closed(declaration, window)
        return self.render_form(RatingForm(declaration=declaration), window.closes_at)

    def post(self, request, number):
        declaration = self.get_declaration()
        if _rating_of(declaration) is not None:
            return self.render_already_rated(declaration)
        window = rating_window(declaration)
        if not window.is_open:
            return self.render_closed(declaration, window, status=400)
        form = RatingForm(request.POST, declaration=declaration)
        action = request.POST.get("action", "review")
        if action == "edit" or not form.is_valid():
            return self.render_form(form, window.closes_at, status=200 if form.is_valid() else 400)
        if action != "send":
            return TemplateResponse(
                request,
                "feedback/rate_confirm.html",
                {"declaration": declaration, "form": form, "hidden_values": form.hidden_values()},
            )
        arguments, sent_officers = form.submission()
        try:
            submit_rating(declaration, request.user, channel=SubmissionChannel.WEB, **arguments)
        except AlreadyRated:
            return self.render_already_rated(declaration)
        except PermissionDenied:
            raise Http404
        except ValidationError as error:
            form.add_service_errors(error, sent_officers)
            return self.render_form(form, window.closes_at, status=400)
        messages.success(request, _("Your rating has been sent. Thank you."))
        return redirect("feedback:declaration-detail", number=declaration.number)

    def render_form(self, form: RatingForm, closes_at, status: int = 200):
        context = {"declaration": form.declaration, "form": form, "closes_at": closes_at}
        return TemplateResponse(self.request, "feedback/rate.html", context, status=status)

    def render_closed(self, declaration: Declaration, window: RatingWindow, status: int = 200):
        context = {"declaration": declaration, "not_rateable_message": window.refusal()}
        return TemplateResponse(self.request, "feedback/rate.html", context, status=status)

    def render_already_rated(self, declaration: Declaration):
        # Sent twice (a second tab, a double click) or beaten by the declaration software: the first
        # rating stands, and the page shows it, as the API's 409 does.
        declaration = self.get_declaration()  # reloaded, with the rating that won
        messages.warning(self.request, _("This declaration has already been rated; a rating is sent only once."))
        return TemplateResponse(
            self.request,
            "feedback/declaration_detail.html",
            declaration_context(self.request, declaration),
            status=409,
        )
