"""Checks of the method's inputs and settings, with messages that name what is wrong."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

NORMALISATIONS = ("fixed", "minmax")
# Fewer replicates than this cannot place a 2.5% tail (or the Bonferroni-adjusted tails of the comparisons)
# between observed replicates: a draft is refused below it.
MIN_REPLICATES = 100
# A published interval rests on at least this many replicates (issue: "at least 1,000 when published").
PUBLISHED_MIN_REPLICATES = 1000
MIN_RANKABLE_UNITS = 3


class CdciInputError(ValueError):
    """The inputs or settings cannot be scored; the message says which and why (English, for logs; the
    Django side shows its own translated message)."""


def require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise CdciInputError(f"{name} lacks the column(s) {', '.join(missing)}")


def check_weights(weights: Iterable[float], name: str = "component weights") -> None:
    """Finite, non-negative, summing to 100 (NaN fails every comparison, so it is checked first)."""
    values = [float(weight) for weight in weights]
    if not values:
        raise CdciInputError(f"{name}: none given")
    if not all(math.isfinite(value) for value in values):
        raise CdciInputError(f"{name} must be finite numbers")
    if any(value < 0 for value in values):
        raise CdciInputError(f"{name} cannot be negative")
    total = math.fsum(values)
    if abs(total - 100.0) > 1e-6:
        raise CdciInputError(f"{name} sum to {total:g}, not 100")


def check_blend(blend: Sequence[float]) -> tuple[float, float]:
    if len(blend) != 2:
        raise CdciInputError("blend must be two weights, e.g. (70, 30)")
    business, assessment = (float(part) for part in blend)
    if not (math.isfinite(business) and math.isfinite(assessment)) or business < 0 or assessment < 0:
        raise CdciInputError("blend must be two finite non-negative weights, e.g. (70, 30)")
    if business + assessment <= 0:
        raise CdciInputError("blend weights cannot both be zero")
    return business, assessment


def check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, (int, float)) and math.isfinite(confidence) and 0.0 < confidence < 1.0):
        raise CdciInputError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")


def check_replicates(replicates: int, *, published: bool = False) -> None:
    """0 (no intervals) or enough replicates: MIN_REPLICATES for a draft, PUBLISHED_MIN_REPLICATES to publish."""
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 0:
        raise CdciInputError(f"replicates must be a whole number >= 0, not {replicates!r}")
    least = PUBLISHED_MIN_REPLICATES if published else MIN_REPLICATES
    if 0 < replicates < least:
        raise CdciInputError(f"{replicates} replicates are too few for an interval: use 0 (none) or at least {least}")


def check_normalisation(normalisation: str) -> None:
    if normalisation not in NORMALISATIONS:
        raise CdciInputError(f"normalisation must be one of {', '.join(NORMALISATIONS)}, not {normalisation!r}")


def check_min_respondents(min_respondents: int, name: str = "min_respondents") -> None:
    if isinstance(min_respondents, bool) or not isinstance(min_respondents, int) or min_respondents < 1:
        raise CdciInputError(f"{name} must be a whole number >= 1, not {min_respondents!r}")


def check_decimals(decimals: int) -> None:
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise CdciInputError(f"decimals must be a whole number from 0 to 6, not {decimals!r}")
