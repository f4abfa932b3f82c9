"""The filters of the dashboards, read from the query string so that a link shows the same figures.

`?period=2025-Q2` (any form reports.measures.Period parses: a month, a quarter, a year or a range),
or a custom range `?start=2025-01&end=2025-06`; `unit` (the code of another unit of the same level, a
team's "branch code/team code": the page moves there); `channel` (green, yellow, red; blank = all).
"""

import contextlib
import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.query import check_form
from feedback.choices import Channel

from ..measures import Period

# Offered in the period list: these many recent months, quarters and years.
RECENT_MONTHS = 12
RECENT_QUARTERS = 8
RECENT_YEARS = 4


def period_code(period: Period) -> str:
    """The shortest text Period.parse reads back to `period` (for URLs and the period list)."""
    first, last = period.first, period.last
    if period.month_count == 1:
        return f"{first:%Y-%m}"
    if period.month_count == 3 and first.month % 3 == 1 and first.year == last.year:
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if period.month_count == 12 and first.month == 1:
        return str(first.year)
    return f"{first:%Y-%m}..{last:%Y-%m}"


def period_label(period: Period) -> str:
    """How a person reads a period: 03/2025, Q2/2025, 2025, 01/2025 – 06/2025."""
    code = period_code(period)
    if "-Q" in code:
        year, quarter = code.split("-Q")
        return _("Q%(quarter)s/%(year)s") % {"quarter": quarter, "year": year}
    if ".." in code:
        return f"{period.first:%m/%Y} – {period.last:%m/%Y}"
    if len(code) == 4:
        return code
    return f"{period.first:%m/%Y}"


def default_period(today: datetime.date | None = None) -> Period:
    """The twelve months up to this one: a year of trend, compared with the year before."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    return Period(_next_month(this_month.replace(year=this_month.year - 1)), this_month)


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def period_choices(today: datetime.date | None = None) -> list[tuple[str, str]]:
    today = today or timezone.localdate()
    month = today.replace(day=1)
    choices = [(period_code(default_period(today)), _("Last 12 months"))]
    months = []
    for _step in range(RECENT_MONTHS):
        months.append(Period(month, month))
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    quarters = []
    for _step in range(RECENT_QUARTERS):
        quarters.append(quarter)
        quarter = quarter.previous()
    years = [Period.year(today.year - offset) for offset in range(RECENT_YEARS)]
    for group in (years, quarters, months):
        choices.extend((period_code(period), period_label(period)) for period in group)
    return choices


class MonthInput(forms.TextInput):
    input_type = "month"


class DashboardFilterForm(forms.Form):
    """Period, unit and channel of a dashboard. Always bound to request.GET; `period` is the outcome."""

    period = forms.CharField(label=gettext_lazy("Period"), required=False, widget=forms.Select)
    # Browsers without a month picker show a text box: the placeholder tells the format it reads.
    start = forms.CharField(
        label=gettext_lazy("From (month)"),
        required=False,
        widget=MonthInput(attrs={"placeholder": gettext_lazy("yyyy-mm")}),
    )
    end = forms.CharField(
        label=gettext_lazy("To (month)"),
        required=False,
        widget=MonthInput(attrs={"placeholder": gettext_lazy("yyyy-mm")}),
    )
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("All channels")), *Channel.choices],
    )

    def __init__(self, data, *, units: list[tuple[str, str]], unit_label: str, current_unit: str, **kwargs):
        data = data.copy()
        data.setdefault("unit", current_unit)
        super().__init__(data, **kwargs)
        choices = period_choices()
        wanted = (data.get("period") or "").strip()
        if wanted and wanted not in dict(choices):
            with contextlib.suppress(ValueError):  # a shared link with a period not in the list: offer it too
                choices.insert(0, (wanted, period_label(Period.parse(wanted))))
        self.fields["period"].widget.choices = choices
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = units
        unit_field.label = unit_label
        self.show_units = len(units) > 1

    def _month(self, name: str) -> Period | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        try:
            period = Period.parse(text)
        except ValueError:
            self.add_error(name, _("Enter a month as YYYY-MM, for example 2025-03."))
            return None
        if period.month_count != 1:
            self.add_error(name, _("Enter a month as YYYY-MM, for example 2025-03."))
            return None
        return period

    def clean(self):
        cleaned = super().clean()
        start, end = self._month("start"), self._month("end")
        if start or end:
            if not (start and end):
                self.add_error("end" if start else "start", _("Give both the first and the last month of the range."))
            else:
                try:
                    cleaned["period"] = Period.parse(f"{period_code(start)}..{period_code(end)}")
                except ValueError as exc:
                    self.add_error("end", str(exc))
                return cleaned
        text = (cleaned.get("period") or "").strip()
        if text:
            try:
                cleaned["period"] = Period.parse(text)
            except ValueError as exc:
                self.add_error("period", str(exc))
        else:
            cleaned["period"] = default_period()
        return cleaned

    def filters(self) -> tuple[Period, str | None]:
        """The period and channel to show; InvalidQuery (a 400 naming the parameter) where input is wrong."""
        cleaned = check_form(self)
        return cleaned["period"], cleaned.get("channel") or None
