"""What a published CDCI may show: no cell resting on fewer than MIN_CELL respondents.

The survey promises businesses that their answers appear only in aggregate. A per-question mean of a unit
answered by 3 businesses, or a segment count of 2, comes close to naming them, so every public output
(page, API, Excel) takes its numbers from `suppress`, which blanks such cells and says which it blanked.
Units with fewer valid responses than the campaign's minimum are listed by name only, without any number.
"""

import copy

MIN_CELL = 5

# The figures of a ranked unit; all of them are blanked when the unit itself rests on fewer than MIN_CELL.
UNIT_FIGURES = (
    "respondents",
    "effective_n",
    "business_score",
    "assessment",
    "business_share",
    "total",
    "total_low",
    "total_high",
    "rank_low",
    "rank_high",
    "method_rank_median",
    "method_rank_low",
    "method_rank_high",
    "previous_total",
    "total_change",
    "previous_rank",
    "rank_change",
)


def suppress(result: dict) -> tuple[dict, list[dict]]:
    """A copy of a stored result fit for publication, and the list of what was blanked:
    [{"unit": code, "cell": "question:Q1" | "segment:in_province" | "unit"}]."""
    safe = copy.deepcopy(result)
    blanked: list[dict] = []
    counts = safe.get("question_counts") or {}
    ranked = {unit["code"] for unit in safe.get("units", [])}
    small = set()
    for unit in safe.get("units", []):
        code = unit["code"]
        respondents = unit.get("respondents")
        if respondents is not None and respondents < MIN_CELL:
            for name in UNIT_FIGURES:
                if name in unit:
                    unit[name] = None
            for group in ("indexes", "component_changes", "contributions", "component_ranks"):
                unit[group] = dict.fromkeys(unit.get(group) or {})
            blanked.append({"unit": code, "cell": "unit"})
            small.add(code)
        segments = unit.get("segments") or {}
        # One small segment blanks them all: beside the unit's total, the others would give it away.
        if any(count is not None and count < MIN_CELL for count in segments.values()):
            for segment, count in segments.items():
                if count is not None:
                    segments[segment] = None
                    blanked.append({"unit": code, "cell": f"segment:{segment}"})
    means = safe.get("question_means") or {}
    for code in list(means):
        if code not in ranked:  # a unit not ranked gets no number anywhere
            del means[code]
            continue
        unit_counts = counts.get(code) or {}
        for question, mean in means[code].items():
            answered = unit_counts.get(question)
            too_few = code in small or (answered is not None and answered < MIN_CELL)
            if mean is not None and too_few:
                means[code][question] = None
                blanked.append({"unit": code, "cell": f"question:{question}"})
    for code in list(counts):
        if code not in ranked:
            del counts[code]
    return safe, blanked
