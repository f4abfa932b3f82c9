"""What the coverage study (bench/cdci_coverage.py) measured, per normalisation: the lowest empirical
coverage of the 95% total and rank intervals over every unit of every scenario. The result JSON carries
the entry of the normalisation used, so a page can say whether its intervals passed."""

from __future__ import annotations

from typing import Any

COVERAGE_TARGET = 0.93

COVERAGE_STUDY: dict[str, dict[str, Any]] = {
    "fixed": {
        "normalisation": "fixed",
        "min_coverage": None,
        "passed": False,
        "command": "python bench/cdci_coverage.py --normalisation fixed",
    },
    "minmax": {
        "normalisation": "minmax",
        "min_coverage": None,
        "passed": False,
        "command": "python bench/cdci_coverage.py --normalisation minmax",
    },
}


def coverage_entry(normalisation: str) -> dict[str, Any]:
    """A copy of the study's entry for `normalisation` (not measured: passed False)."""
    entry = COVERAGE_STUDY.get(normalisation)
    if entry is None:
        return {"normalisation": normalisation, "min_coverage": None, "passed": False, "command": None}
    return dict(entry)
