"""What the staff pages of surveys share: who may open them, the campaign looked up in the user's scope,
a service's refusal shown on its form, and the Excel download."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.spreadsheet import XLSX
from directory.choices import Role

from .. import selectors
from ..models import Campaign


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def require_survey_staff(user) -> None:
    """The survey pages are for department staff and administrators; others get 403."""
    if not (user.is_administrator or user.role == Role.DEPARTMENT_STAFF):
        raise PermissionDenied(_("Only department staff run surveys."))


def campaign_in_scope(request, pk: int) -> Campaign:
    """A campaign in the user's scope, or 404 (its existence is not revealed)."""
    return get_object_or_404(selectors.campaigns_for(request.user).select_related("department"), pk=pk)


def add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
