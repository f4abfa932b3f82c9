"""The query parameters of the public CDCI pages and API (`?version=`, `?department=`), parsed by a form:
a value that does not parse is a 400 naming it, never a 500 nor silently the latest version."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.query import check_form


class PublicationQueryForm(forms.Form):
    version = forms.RegexField(
        regex=r"\A[0-9]{1,6}\Z",  # ASCII digits: '²' passes str.isdigit() and int() refuses it
        required=False,
        error_messages={"invalid": _("A version is a whole number, such as 2.")},
    )
    department = forms.CharField(
        required=False,
        max_length=20,
        validators=[RegexValidator(r"\A[A-Za-z0-9_-]+\Z", _("A department code has letters, digits, - and _ only."))],
    )


def publication_query(data) -> tuple[int | None, str | None]:
    """(version, department code) asked for in `data`; InvalidQuery (400) when either does not parse."""
    cleaned = check_form(PublicationQueryForm(data))
    version = cleaned["version"]
    return (int(version) if version else None), (cleaned["department"] or None)
