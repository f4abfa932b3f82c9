"""The inbox filters of dissatisfaction cases, shared by the case pages and the API."""

from urllib.parse import urlencode

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.query import check_date_range, validate_filter_date

from ..choices import CaseStatus
from ..models import DissatisfactionCase
from . import rules, selectors

# The inbox's query for the cases in progress (linked from the home page and the inbox's own counts).
IN_PROGRESS_QUERY = urlencode([("status", status.value) for status in rules.IN_PROGRESS_STATUSES])


class CaseFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        check_date_range(self, "opened_from", "opened_to")
        return cleaned


class CaseFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, label=_("Status"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    due_soon = django_filters.BooleanFilter(method="filter_due_soon", label=_("Due within two working days"))
    escalated = django_filters.BooleanFilter(
        field_name="escalated_at", lookup_expr="isnull", exclude=True, label=_("Escalated")
    )
    officer = django_filters.CharFilter(
        method="filter_officer", label=_("Officer code"), widget=forms.TextInput(attrs={"placeholder": _("e.g. OA1")})
    )
    team = django_filters.CharFilter(
        field_name="team__code", label=_("Team code"), widget=forms.TextInput(attrs={"placeholder": _("e.g. MC-TT")})
    )
    branch = django_filters.CharFilter(
        field_name="branch__code", label=_("Branch code"), widget=forms.TextInput(attrs={"placeholder": _("e.g. MC")})
    )
    opened_from = django_filters.DateFilter(
        field_name="opened_at", lookup_expr="date__gte", label=_("Opened from"), validators=[validate_filter_date]
    )
    opened_to = django_filters.DateFilter(
        field_name="opened_at", lookup_expr="date__lte", label=_("Opened until"), validators=[validate_filter_date]
    )
    ordering = django_filters.OrderingFilter(
        fields=(("due_at", "due_at"), ("opened_at", "opened_at")), label=_("Sort by")
    )

    class Meta:
        model = DissatisfactionCase
        form = CaseFilterForm
        fields = ["status", "overdue", "due_soon", "escalated", "officer", "team", "branch", "opened_from", "opened_to"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_due_soon(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.due_soon()

    def filter_officer(self, queryset, name, value):
        return selectors.rating_officer(queryset, value.strip()) if value.strip() else queryset
