import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.query import check_date_range, validate_filter_date

from ..choices import Channel
from ..models import Declaration, Rating


class DeclarationFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        check_date_range(self, "cleared_from", "cleared_to")
        return cleaned


class DeclarationFilterSet(django_filters.FilterSet):
    """Filters shared by the declaration pages and the API."""

    number = django_filters.CharFilter(
        field_name="number",
        lookup_expr="startswith",
        label=_("Number starts with"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 1012"), "inputmode": "numeric"}),
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    cleared = django_filters.BooleanFilter(
        field_name="cleared_at", lookup_expr="isnull", exclude=True, label=_("Cleared")
    )
    branch = django_filters.CharFilter(
        field_name="branch__code", label=_("Branch code"), widget=forms.TextInput(attrs={"placeholder": _("e.g. MC")})
    )
    business = django_filters.CharFilter(
        field_name="business__tax_code",
        label=_("Business tax code"),
        widget=forms.TextInput(attrs={"placeholder": _("10 or 13 digits"), "inputmode": "numeric"}),
    )
    cleared_from = django_filters.DateFilter(
        field_name="cleared_at", lookup_expr="date__gte", label=_("Cleared from"), validators=[validate_filter_date]
    )
    cleared_to = django_filters.DateFilter(
        field_name="cleared_at", lookup_expr="date__lte", label=_("Cleared until"), validators=[validate_filter_date]
    )
    rated = django_filters.BooleanFilter(method="filter_rated", label=_("Rated"))

    class Meta:
        model = Declaration
        form = DeclarationFilterForm
        fields = ["number", "channel", "cleared", "branch", "business", "cleared_from", "cleared_to", "rated"]

    def filter_rated(self, queryset, name, value):
        if value is None:
            return queryset
        # (EXISTS on the rating's unique declaration index, answered from the index alone: a join read
        # every rating row of the listed declarations.)
        rated = Exists(Rating.objects.filter(declaration_id=OuterRef("pk")))
        if value:
            return queryset.filter(rated)
        # "Not rated" means "to rate": declarations not yet cleared cannot be rated, so they are left out.
        return queryset.filter(cleared_at__isnull=False).exclude(rated)
