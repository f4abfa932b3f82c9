"""Forms of the survey pages: the public questionnaire (one page per component index) and the staff forms.

The forms collect and display; the rules stay in surveys.services. The questionnaire form checks each value
with services.answering.parse_value, the very parser save_answers uses, only to show every error at once beside
its question before anything is saved.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Branch, Business, Department
from directory.taxcode import normalize_tax_code

from .choices import AGREEMENT_LEVELS, QuestionKind
from .models import MAX_UNITS_PER_INVITATION, Campaign, ComponentIndex, Question
from .services.answering import parse_value

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO_CHOICES = [("1", _("Yes")), ("0", _("No"))]


def field_name(question_id: int, unit_id: int) -> str:
    return f"q{question_id}-u{unit_id}"


def display_number(value: Decimal) -> str:
    """2.50 -> "2,5" (Vietnamese) or "2.5": how a saved number is shown back in the input."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))


def initial_value(question: Question, value: Decimal, choice: str) -> str:
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return choice
    if question.kind == QuestionKind.NUMBER:
        return display_number(value)
    return str(int(value))


class AnswerPageForm(forms.Form):
    """The questions of one component index, each asked about every unit of the invitation.

    Every field is optional: a business may leave a page half done and come back. A field is named
    q<question id>-u<unit id>.
    """

    def __init__(self, *args, questions: list[Question], units: list[Branch], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.units = units
        for question in questions:
            for unit in units:
                self.fields[field_name(question.pk, unit.pk)] = self._field(question, unit)

    @staticmethod
    def _field(question: Question, unit: Branch) -> forms.Field:
        label = question.text
        if question.kind == QuestionKind.AGREEMENT_5:
            choices: list[tuple[str, StrOrPromise]] = [(str(level), text) for level, text in AGREEMENT_LEVELS.items()]
            return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, required=False)
        if question.kind == QuestionKind.YES_NO:
            return forms.ChoiceField(label=label, choices=YES_NO_CHOICES, widget=forms.RadioSelect, required=False)
        if question.kind == QuestionKind.SINGLE_CHOICE:
            choices = [(str(choice["value"]), question.choice_label(choice)) for choice in question.choices]
            return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, required=False)
        return forms.CharField(
            label=label,
            required=False,
            max_length=20,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "number-input"}),
        )

    def clean(self):
        data = super().clean()
        for question in self.questions:
            for unit in self.units:
                name = field_name(question.pk, unit.pk)
                raw = data.get(name)
                if raw in (None, ""):
                    continue
                try:
                    parse_value(question, raw)
                except ValidationError as exc:
                    self.add_error(name, exc.messages)
        return data

    def answers_for(self, unit: Branch) -> dict[int, str]:
        """{question id: raw value} of this page about `unit`; a blank clears a saved answer."""
        return {
            question.pk: self.cleaned_data.get(field_name(question.pk, unit.pk)) or "" for question in self.questions
        }

    def rows(self) -> list[dict]:
        """For the template: each question with its bound field for each unit."""
        return [
            {
                "question": question,
                "cells": [{"unit": unit, "field": self[field_name(question.pk, unit.pk)]} for unit in self.units],
                "has_errors": any(self[field_name(question.pk, unit.pk)].errors for unit in self.units),
            }
            for question in self.questions
        ]


class CommentsForm(forms.Form):
    """The optional comment about each unit, on the review page before submitting."""

    MAX_LENGTH = 2000

    def __init__(self, *args, units: list[Branch], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units
        for unit in units:
            self.fields[f"comment-u{unit.pk}"] = forms.CharField(
                label=_("Comment about %(unit)s (optional)") % {"unit": unit.name},
                required=False,
                max_length=self.MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def comment_for(self, unit: Branch) -> str:
        return self.cleaned_data.get(f"comment-u{unit.pk}", "")

    def unit_fields(self):
        return [(unit, self[f"comment-u{unit.pk}"]) for unit in self.units]


# --- staff forms ------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        # <input type=date> always speaks ISO whatever the page's language.
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value


def first_free_year(departments, start: int) -> int:
    """The first year from `start` in which one of `departments` has no campaign yet (one query)."""
    wanted = {department.pk for department in departments}
    held: dict[int, set[int]] = {}
    for department_id, year in Campaign.objects.filter(department__in=departments, year__gte=start).values_list(
        "department_id", "year"
    ):
        held.setdefault(year, set()).add(department_id)
    year = start
    while wanted and held.get(year, set()) >= wanted:
        year += 1
    return year


class CampaignCreateForm(forms.Form):
    """A new campaign: its year, title, dates, and the questionnaire to start from."""

    department = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("department"))
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("title"), max_length=200, required=False, help_text=_("Blank: “CDCI survey <year>”.")
    )
    open_on = forms.DateField(label=_("opens on"), widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    close_on = forms.DateField(label=_("closes on"), widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    copy_from = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        label=_("questionnaire"),
        required=False,
        empty_label=_("The default questionnaire (8 component indexes)"),
        help_text=_("Copy the questionnaire of an earlier campaign, or start from the default one."),
    )

    def __init__(self, *args, departments, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["copy_from"].queryset = campaigns.select_related("department").order_by("-year")
        self.fields["copy_from"].label_from_instance = lambda campaign: f"{campaign.title} — {campaign.department.code}"
        if departments.count() == 1:
            self.fields["department"].initial = departments.first()
            self.fields["department"].widget = forms.HiddenInput()
        today = timezone.localdate()
        year = first_free_year(departments, today.year)
        self.fields["year"].initial = year
        # The usual season (November and December), never starting in the past: defaults that submit as they are.
        self.fields["open_on"].initial = max(datetime.date(year, 11, 1), today)
        self.fields["close_on"].initial = datetime.date(year, 12, 31)
        latest = self.fields["copy_from"].queryset.first()
        if latest is not None:
            self.fields["copy_from"].initial = latest.pk

    def clean(self):
        data = super().clean()
        copy_from, department = data.get("copy_from"), data.get("department")
        if copy_from and department and copy_from.department_id != department.pk:
            self.add_error("copy_from", _("Choose a campaign of the same department."))
        return data


class WeightsForm(forms.Form):
    """The weight (percent) of each component index of a draft campaign; they must sum to 100."""

    def __init__(self, *args, components: list[ComponentIndex], **kwargs):
        super().__init__(*args, **kwargs)
        self.components = components
        for component in components:
            self.fields[component.code] = forms.DecimalField(
                label=f"{component.code} {component.name}",
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                initial=component.weight,
                localize=True,
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        total = sum((data[component.code] for component in self.components), Decimal(0))
        if total != Decimal(100):
            raise ValidationError(
                _("The weights of the component indexes must sum to 100%% (now %(total)s%%).")
                % {"total": formats.localize(total.quantize(Decimal("0.01")))}
            )
        return data

    def weights(self) -> dict[str, Decimal]:
        return {component.code: self.cleaned_data[component.code] for component in self.components}


class AddInvitationForm(forms.Form):
    """Invite one more business, by tax code, about one or two of the campaign's units."""

    tax_code = forms.CharField(label=_("tax code"), max_length=20)
    units = forms.ModelMultipleChoiceField(
        queryset=Branch.objects.none(),
        label=_("units to rate"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One or two units."),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        units = self.fields["units"]
        assert isinstance(units, forms.ModelMultipleChoiceField)
        units.queryset = campaign.units.order_by("name")

    def clean_tax_code(self):
        try:
            tax_code = normalize_tax_code(self.cleaned_data["tax_code"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        business = Business.objects.filter(tax_code=tax_code).first()
        if business is None:
            raise ValidationError(_("No business has this tax code."))
        self.business = business
        return tax_code

    def clean_units(self):
        units = self.cleaned_data["units"]
        if not 1 <= len(units) <= MAX_UNITS_PER_INVITATION:
            raise ValidationError(_("Choose one or two units."))
        return units


class PaperUploadForm(forms.Form):
    """The filled-in paper template (.xlsx)."""

    MAX_BYTES = 10 * 1024 * 1024

    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload the .xlsx file downloaded from this page."))
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        return upload
