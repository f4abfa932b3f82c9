"""The API's pagination: DRF's page numbers, with a page that is not a number answered 400 (DRF answers
404 "Invalid page" for `page=abc` as for a page past the end). A page past the end stays 404, with a
message naming `page` and the last page: a program asking for page N+1 must learn that the list ended,
not receive page N again (HTML pages show the last page instead: core.query.get_page)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from core.query import InvalidQuery, page_number


class PortalPagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        try:
            return page_number(request.query_params, self.page_query_param)
        except InvalidQuery as exc:
            raise ValidationError(exc.errors) from None

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            pages = self.django_paginator_class(queryset, self.get_page_size(request)).num_pages
            raise NotFound(
                _("page: there is no page %(number)s; the last page is %(last)s.")
                % {"number": self.get_page_number(request, None), "last": pages}
            ) from None
