"""The CDCI method, pure numpy and pandas (no Django): from answers to component indexes, totals, ranks,
tiers, intervals and year-on-year changes. docs/cdci-methodology.md states it for readers."""

from .composite import (
    ANSWER_COLUMNS,
    DEFAULT_BLEND,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    CdciResult,
    PreviousResult,
    compute_cdci,
)

__all__ = [
    "ANSWER_COLUMNS",
    "DEFAULT_BLEND",
    "DEFAULT_REPLICATES",
    "DEFAULT_SEED",
    "CdciResult",
    "PreviousResult",
    "compute_cdci",
]
