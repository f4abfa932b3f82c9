"""Forms of the rating page. They only read the input; feedback.ratings.services decides what is valid."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..choices import DISSATISFIED_LEVELS, Level, Reason
from ..models import Declaration
from .services import COMMENT_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass
class RatedUnit:
    """One row of the rating form: an officer who handled the declaration, its team or its branch."""

    key: str  # prefix of the row's fields: "officer_0", "team", "branch"
    kind: str  # "officer", "team", "branch"
    kind_label: "StrOrPromise"
    name: str
    detail: str = ""
    code: str = ""  # the officer's code, as submit_rating expects it
    form: forms.Form | None = field(default=None, repr=False)  # set by RatingForm when it adds the row

    @property
    def _form(self) -> forms.Form:
        assert self.form is not None, "a row is read only once RatingForm has added it"
        return self.form

    @property
    def level(self) -> forms.BoundField:
        return self._form[f"{self.key}_level"]

    @property
    def reasons(self) -> forms.BoundField:
        return self._form[f"{self.key}_reasons"]

    @property
    def chosen_level(self) -> int | None:
        if self.form is None or not hasattr(self.form, "cleaned_data"):
            return None
        return self.form.cleaned_data.get(f"{self.key}_level")

    @property
    def chosen_level_label(self) -> "StrOrPromise":
        level = self.chosen_level
        return Level(level).label if level is not None else ""

    @property
    def chosen_reason_labels(self) -> list["StrOrPromise"]:
        if self.form is None or not hasattr(self.form, "cleaned_data"):
            return []
        return [Reason(value).label for value in self.form.cleaned_data.get(f"{self.key}_reasons") or ()]

    @property
    def is_dissatisfied(self) -> bool:
        return self.chosen_level in DISSATISFIED_LEVELS

    @property
    def has_errors(self) -> bool:
        return bool(self.level.errors or self.reasons.errors)


def handled_by(declaration: Declaration) -> list[tuple]:
    """Each officer who handled the declaration once, with the stages they handled, in the order of the links."""
    officers: dict[int, tuple] = {}
    for link in declaration.officer_links.all():
        officer, stages = officers.setdefault(link.officer_id, (link.officer, []))
        stages.append(link.get_stage_display())
    return list(officers.values())


class RatingForm(forms.Form):
    """The web rating of one declaration: a level (and, for 1 or 2, reasons) per officer, team and branch.

    Only the branch level is asked for here, so that the confirmation has something to show; every
    other rule (window, reasons only with 1 or 2, comment length...) is submit_rating's, whose
    ValidationError `add_service_errors` puts next to the row it names.
    """

    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "maxlength": COMMENT_MAX_LENGTH, "aria-describedby": "comment-hint comment-counter"}
        ),
    )

    def __init__(self, *args, declaration: Declaration, **kwargs):
        super().__init__(*args, **kwargs)
        self.declaration = declaration
        self.units: list[RatedUnit] = []
        for index, (officer, stages) in enumerate(handled_by(declaration)):
            self._add_unit(
                RatedUnit(
                    key=f"officer_{index}",
                    kind="officer",
                    kind_label=_("Officer"),
                    name=officer.full_name,
                    detail=" · ".join([officer.code, *(str(stage) for stage in stages)]),
                    code=officer.code,
                )
            )
        department = declaration.branch.department
        if declaration.team is not None:  # no query when team_id is None
            self._add_unit(
                RatedUnit(key="team", kind="team", kind_label=department.team_level_name, name=declaration.team.name)
            )
        self._add_unit(
            RatedUnit(
                key="branch", kind="branch", kind_label=department.branch_level_name, name=declaration.branch.name
            ),
            required=True,
        )
        self.comment_max_length = COMMENT_MAX_LENGTH

    def _add_unit(self, unit: RatedUnit, *, required: bool = False) -> None:
        unit.form = self
        self.fields[f"{unit.key}_level"] = forms.TypedChoiceField(
            label=_("Level"),
            choices=Level.choices,
            coerce=int,
            empty_value=None,
            required=required,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose a level for %(unit)s.") % {"unit": unit.name}},
        )
        self.fields[f"{unit.key}_reasons"] = forms.MultipleChoiceField(
            label=_("Reasons"), choices=Reason.choices, required=False, widget=forms.CheckboxSelectMultiple
        )
        self.units.append(unit)

    @property
    def officer_units(self) -> list[RatedUnit]:
        return [unit for unit in self.units if unit.kind == "officer"]

    def hidden_values(self) -> list[tuple[str, str]]:
        """The cleaned choices as (name, value) pairs, for the hidden fields of the confirmation."""
        pairs: list[tuple[str, str]] = []
        for unit in self.units:
            level = self.cleaned_data.get(f"{unit.key}_level")
            if level is not None:
                pairs.append((f"{unit.key}_level", str(level)))
            pairs.extend((f"{unit.key}_reasons", reason) for reason in self.cleaned_data.get(f"{unit.key}_reasons", ()))
        pairs.append(("comment", self.cleaned_data.get("comment", "")))
        return pairs

    def submission(self) -> tuple[dict, list[RatedUnit]]:
        """Keyword arguments for submit_rating, and the officer rows in the order they are sent.

        An officer row is sent when it has a level or a reason, so that reasons without a level are
        reported (by the service) rather than dropped.
        """
        data = self.cleaned_data
        sent_officers = [
            unit
            for unit in self.officer_units
            if data.get(f"{unit.key}_level") is not None or data.get(f"{unit.key}_reasons")
        ]
        arguments = {
            "branch_level": data.get("branch_level"),
            "branch_reasons": data.get("branch_reasons", []),
            "team_level": data.get("team_level"),
            "team_reasons": data.get("team_reasons", []),
            "officers": [
                {
                    "code": unit.code,
                    "level": data.get(f"{unit.key}_level"),
                    "reasons": data.get(f"{unit.key}_reasons", []),
                }
                for unit in sent_officers
            ],
            "comment": data.get("comment", ""),
        }
        return arguments, sent_officers

    def add_service_errors(self, error: ValidationError, sent_officers: list[RatedUnit]) -> None:
        """Put submit_rating's messages, keyed by its field names, next to the matching rows."""
        for name, messages in error.message_dict.items():
            self.add_error(self._field_for(name, sent_officers), messages)

    def _field_for(self, name: str, sent_officers: list[RatedUnit]) -> str | None:
        if name in self.fields:
            return name
        if name.startswith("officers[") and "]" in name:
            position = name[len("officers[") : name.index("]")]
            part = name[name.index("]") + 1 :].lstrip(".")
            if position.isdigit() and int(position) < len(sent_officers):
                unit = sent_officers[int(position)]
                return f"{unit.key}_reasons" if part == "reasons" else f"{unit.key}_level"
        # "declaration" (not cleared, window closed), "officers", "channel": about the whole form.
        return None
