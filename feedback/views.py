from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .filters import DeclarationFilterSet
from .selectors import declarations_for


class DeclarationListView(LoginRequiredMixin, ListView):
    """The declarations the user may see (a business: its own), newest first."""

    template_name = "feedback/declaration_list.html"
    paginate_by = 25
    context_object_name = "declarations"

    def get_queryset(self):
        self.filterset = DeclarationFilterSet(self.request.GET, queryset=declarations_for(self.request.user))
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context


class DeclarationDetailView(LoginRequiredMixin, DetailView):
    template_name = "feedback/declaration_detail.html"
    context_object_name = "declaration"

    def get_object(self, queryset=None):
        # Out of scope answers 404, like a number that does not exist: existence is not revealed.
        return get_object_or_404(declarations_for(self.request.user), number=self.kwargs["number"])
