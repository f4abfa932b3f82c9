"""The CDCI method, pure numpy and pandas (no Django): from answers to component indexes, totals, ranks,
tiers, intervals, comparisons, sensitivity and year-on-year changes. docs/cdci-methodology.md states it
for readers.

Modules: composite (the steps and compute_cdci), intervals (total, difference and rank intervals from the
replicates), sensitivity (the method's own uncertainty), rounding (half-up, once), validate (input checks,
CdciInputError), coverage (what the coverage study measured)."""

from .composite import (
    ANSWER_COLUMNS,
    CLUSTER,
    DEFAULT_BLEND,
    DEFAULT_CONFIDENCE,
    DEFAULT_DECIMALS,
    DEFAULT_MIN_RESPONDENTS,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    DEFAULT_SENSITIVITY_DRAWS,
    FIXED,
    MINMAX,
    QUESTION_META,
    CdciResult,
    PreviousResult,
    compute_cdci,
    matching_questions,
)
from .coverage import COVERAGE_STUDY, coverage_entry
from .validate import (
    MIN_RANKABLE_UNITS,
    MIN_REPLICATES,
    NORMALISATIONS,
    PUBLISHED_MIN_REPLICATES,
    CdciInputError,
    check_confidence,
    check_min_respondents,
    check_normalisation,
    check_replicates,
    check_weights,
)

__all__ = [
    "ANSWER_COLUMNS",
    "CLUSTER",
    "COVERAGE_STUDY",
    "DEFAULT_BLEND",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_DECIMALS",
    "DEFAULT_MIN_RESPONDENTS",
    "DEFAULT_REPLICATES",
    "DEFAULT_SEED",
    "DEFAULT_SENSITIVITY_DRAWS",
    "FIXED",
    "MINMAX",
    "MIN_RANKABLE_UNITS",
    "MIN_REPLICATES",
    "NORMALISATIONS",
    "PUBLISHED_MIN_REPLICATES",
    "QUESTION_META",
    "CdciInputError",
    "CdciResult",
    "PreviousResult",
    "check_confidence",
    "check_min_respondents",
    "check_normalisation",
    "check_replicates",
    "check_weights",
    "compute_cdci",
    "matching_questions",
    "coverage_entry",
]
