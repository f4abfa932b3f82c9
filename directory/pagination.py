"""The API's pagination: DRF's page numbers, with a page that is not a number answered 400 (DRF answers
404 "Invalid page" for `page=abc` as for a page past the end, which stays 404)."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from core.query import InvalidQuery, page_number


class PortalPagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        try:
            return page_number(request.query_params, self.page_query_param)
        except InvalidQuery as exc:
            raise ValidationError(exc.errors) from None
