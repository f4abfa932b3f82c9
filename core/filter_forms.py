"""Filter forms as people read them, whatever library built the fields (django-filter, Django forms).

- the empty choice of a select reads "All" ("Tất cả"), never django-filter's "---------";
- a yes/no filter offers "All / Yes / No", never Django's "Unknown";
- a date field shows the day-first format it accepts as its placeholder and in a hint under it.
Labels and example placeholders of text fields are given where the filters are declared.
"""

from django import forms
from django.forms.widgets import NullBooleanSelect
from django.utils.translation import gettext_lazy as _

# The format a person types (customs_portal/formats: DATE_INPUT_FORMATS reads it first); ISO also parses.
DATE_PLACEHOLDER = _("dd/mm/yyyy")


def dress_filter_form(form: forms.Form) -> forms.Form:
    """Set the words of `form`'s empty choices, yes/no choices and date hints in place; returns the form."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, NullBooleanSelect):
            widget.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]
        elif isinstance(field, forms.DateField):
            widget.attrs.setdefault("placeholder", DATE_PLACEHOLDER)
            widget.attrs.setdefault("inputmode", "numeric")
            widget.attrs.setdefault("autocomplete", "off")
            # Rendered under the field by templates/_filter_field.html; Django points aria-describedby at it.
            field.help_text = _("Day first: dd/mm/yyyy, for example 31/01/2025.")
            # A form that was already validated has its bound fields, which copied the help text when made.
            form[name].help_text = field.help_text
            widget.attrs["aria-describedby"] = f"{form[name].auto_id}_helptext"
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
            choices: list = list(field.choices)  # type: ignore[arg-type]
            if not choices or choices[0][0] != "":
                continue
            if getattr(field, "empty_label", None) is not None:
                # django-filter's fields add ("", empty_label) in front of the choices they are given.
                field.empty_label = _("All")  # type: ignore[attr-defined]
                field.choices = choices[1:]
            else:
                field.choices = [("", _("All")), *choices[1:]]
    return form
