"""Forms of the CDCI staff pages. They collect and display; the rules stay in services."""

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import CdciMethod


def component_label(component) -> str:
    english = (translation.get_language() or "vi").startswith("en")
    return component.name_en if english and component.name_en else component.name_vi


class MethodForm(forms.ModelForm):
    """The campaign's CDCI method, with one weight field per component of the questionnaire (blank
    weights keep the questionnaire's). Read-only once the campaign has opened."""

    class Meta:
        model = CdciMethod
        fields = [
            "normalisation",
            "business_weight",
            "assessment_policy",
            "min_respondents",
            "replicates",
            "confidence",
            "seed",
            "three_year_bounds",
            "sensitivity_draws",
        ]

    def __init__(self, *args, components, locked: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.components = list(components)
        chosen = self.instance.component_weights or {}
        for component in self.components:
            self.fields[f"weight_{component.code}"] = forms.DecimalField(
                label=_("Weight of %(component)s (%%)") % {"component": component_label(component)},
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                localize=True,
                initial=chosen.get(component.code, component.weight),
            )
        if locked:
            for field in self.fields.values():
                field.disabled = True

    def weight_fields(self):
        return [self[f"weight_{component.code}"] for component in self.components]

    def changes(self) -> dict:
        """The settings as the service takes them; weights equal to the questionnaire's are stored as
        "the questionnaire's" so a later edit of the questionnaire carries through."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        weights = {c.code: self.cleaned_data[f"weight_{c.code}"] for c in self.components}
        if any(weight is None for weight in weights.values()) or all(
            weights[c.code] == c.weight for c in self.components
        ):
            data["component_weights"] = None
        else:
            data["component_weights"] = {code: float(weight) for code, weight in weights.items()}
        return data

    def _post_clean(self):
        # The service validates and saves (audited): the form does not write to the instance.
        pass


class AssessmentForm(forms.Form):
    """The department's assessment (0-100) and note of each unit of a campaign; blank = no assessment."""

    def __init__(self, *args, units, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units
        for unit in units:
            row = current.get(unit.pk)
            self.fields[f"score_{unit.pk}"] = forms.DecimalField(
                label=_("Assessment of %(unit)s (0-100)") % {"unit": unit.name},
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                localize=True,
                initial=row.score if row else None,
            )
            self.fields[f"note_{unit.pk}"] = forms.CharField(
                label=_("Note on %(unit)s") % {"unit": unit.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=row.note if row else "",
            )

    def rows(self):
        return [(unit, self[f"score_{unit.pk}"], self[f"note_{unit.pk}"]) for unit in self.units]

    def entries(self) -> dict[int, tuple]:
        return {
            unit.pk: (self.cleaned_data[f"score_{unit.pk}"], self.cleaned_data[f"note_{unit.pk}"])
            for unit in self.units
        }


class PublishForm(forms.Form):
    """The note published with a version, and the reason when it is not the first."""

    note = forms.CharField(
        label=_("Note to publish with the ranking"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason for a new version"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when a version is already published, e.g. a corrected assessment."),
    )
    confirmed = forms.BooleanField(
        label=_("I have read the checklist above and the figures it reports."), required=False
    )
    despite_warnings = forms.BooleanField(
        label=_("Publish despite the warnings: the units and limits above will be stated on the public page."),
        required=False,
    )
