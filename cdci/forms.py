"""Forms of the CDCI staff pages. They collect and display; the rules stay in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services


class RunForm(forms.Form):
    """The method settings of a computation."""

    business_weight = forms.IntegerField(
        label=_("Business survey share of the total (%)"),
        min_value=0,
        max_value=100,
        initial=70,
        help_text=_("The rest is the department's own assessment; a unit without one is scored on the survey alone."),
    )
    replicates = forms.IntegerField(
        label=_("Bootstrap replicates"),
        min_value=0,
        max_value=10_000,
        initial=services.RunOptions.replicates,
        help_text=_("1,000 gives stable intervals (95%); 0 skips them."),
    )
    three_year_bounds = forms.BooleanField(
        label=_("Standardise over three years"),
        required=False,
        initial=True,
        help_text=_("Take each question's minimum and maximum over this and the last two published campaigns."),
    )

    def options(self) -> services.RunOptions:
        data = self.cleaned_data
        return services.RunOptions(
            business_weight=float(data["business_weight"]),
            assessment_weight=float(100 - data["business_weight"]),
            replicates=data["replicates"],
            three_year_bounds=data["three_year_bounds"],
        )


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
