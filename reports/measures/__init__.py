"""The rating figures of a unit (department, branch, team, officer) over a period, read from the
rollups: counts, satisfaction rates, channel-adjusted rates, participation and case figures."""

from .figures import (
    Figures,
    dashboard_figures,
    monthly_series,
    not_enough_ratings_label,
    rank_units,
    unit_measures,
    visible_units,
)
from .periods import Period

__all__ = [
    "Figures",
    "Period",
    "dashboard_figures",
    "monthly_series",
    "not_enough_ratings_label",
    "rank_units",
    "unit_measures",
    "visible_units",
]
