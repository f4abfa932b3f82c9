"""Refuse control characters (NUL, escape, ...) in the path and the query string before any view runs.

No address or parameter of the portal holds one, and PostgreSQL refuses NUL in text: a `%00` reaching a
query was a 500. The answer is the 400 page (or JSON under /api/), in the user's language.
"""

from django.utils.translation import gettext as _

from .query import InvalidQuery, has_control_characters


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.path):
            raise InvalidQuery({"path": [self.message()]})
        if request.META.get("QUERY_STRING"):  # most requests have none: no QueryDict to parse
            for key, values in request.GET.lists():
                if has_control_characters(key) or any(has_control_characters(value) for value in values):
                    raise InvalidQuery({key: [self.message()]})
        return self.get_response(request)

    @staticmethod
    def message() -> str:
        return _("Control characters (such as NUL) are not allowed.")
