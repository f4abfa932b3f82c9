"""The 400 answer (handler400): the messages of a query that did not parse, on a page in the user's
language, or as JSON with `detail` and `errors` under /api/; and the 404 answer (handler404), JSON under
/api/ as the schema documents it."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from core.query import InvalidQuery


def bad_request(request, exception=None):
    errors = exception.errors if isinstance(exception, InvalidQuery) else {}
    detail = _("The request is not valid.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "errors": errors or {"non_field_errors": [detail]}}, status=400)
    return render(request, "400.html", {"errors": errors, "detail": detail}, status=400)


def not_found(request, exception=None):
    """handler404: under /api/ a JSON body as DRF's own 404s (an address no route matches, such as a
    negative year), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
