"""Filters of the inquiry lists (pages and API) and of the public FAQ."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core import clock
from core.search_text import fold

from .choices import InquiryStatus, InquiryTopic
from .models import FaqEntry, Inquiry

SEARCH_MAX_LENGTH = 100


class InquiryFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=InquiryStatus.choices, label=_("Status"))
    topic = django_filters.ChoiceFilter(choices=InquiryTopic.choices, label=_("Topic"), empty_label=_("Any"))
    # A choice, not a boolean: a value that is neither "true" nor "false" answers 400 instead of being ignored.
    overdue = django_filters.ChoiceFilter(
        method="filter_overdue",
        label=_("Overdue"),
        choices=[("true", _("Yes")), ("false", _("No"))],
        empty_label=_("Any"),
    )

    class Meta:
        model = Inquiry
        fields = ["status", "topic", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        overdue = queryset.overdue(clock.now())
        return overdue if value == "true" else queryset.exclude(pk__in=overdue.values("pk"))


class FaqFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=SEARCH_MAX_LENGTH)
    topic = django_filters.ChoiceFilter(choices=InquiryTopic.choices, label=_("Topic"), empty_label=_("All topics"))

    class Meta:
        model = FaqEntry
        fields = ["q", "topic"]

    def search(self, queryset, name, value):
        # Each word anywhere in the question or the answer, with or without its diacritics.
        for word in fold(value).split()[:10]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset
