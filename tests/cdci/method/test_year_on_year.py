"""Year on year like for like: last year re-expressed on this year's bounds, weights and blend, over the
questions asked the same way, and a decomposition that adds up exactly to the published change."""

import pandas as pd
import pytest

from cdci.method import composite as cdci

from .support import COMPONENTS, QUESTIONS
from .test_composite import HAND, HAND_ANSWERS, answers_frame

ASSESSMENT = pd.Series({"A": 80.0, "B": 90.0})


def previous_year(questions: pd.DataFrame) -> cdci.PreviousResult:
    # Last year A's question means: q1 3, q2 4, q3 0.5, q4 2; published total 70 (under another method),
    # rank 2, assessment 75.
    return cdci.PreviousResult(
        units=pd.DataFrame({"total": [70.0], "rank": [2], "assessment": [75.0], "business_share": [0.7]}, index=["A"]),
        component_indexes=pd.DataFrame({"K1": [9.0], "K2": [9.0]}, index=["A"]),
        question_means=pd.DataFrame({"q1": [3.0], "q2": [4.0], "q3": [0.5], "q4": [2.0]}, index=["A"]),
        questions=questions,
    )


def compute(previous):
    return cdci.compute_cdci(
        answers_frame(HAND_ANSWERS),
        QUESTIONS,
        COMPONENTS,
        assessment=ASSESSMENT,
        previous=previous,
        replicates=0,
        **HAND,
    )


def test_last_year_is_re_expressed_on_this_years_method():
    # Last year on this year's fixed bounds: q1 1 + 9*2/4 = 5.5, q2 7.75, q3 5.5, q4 10 - 9*2/10 = 8.2
    # K1 (5.5 + 7.75)/2 = 6.625, K2 (5.5 + 8.2)/2 = 6.85; business 60*0.6625 + 40*0.685 = 39.75 + 27.4 = 67.15
    # total on this year's blend 0.7*67.15 + 0.3*75 = 69.505 -> 69.51. This year A: 80.77 (K1 7.75, K2 8.65).
    result = compute(previous_year(QUESTIONS))

    a = result.units.loc["A"]
    assert a["previous_total"] == 69.51
    assert a["previous_published_total"] == 70.0
    assert a["total_change"] == pytest.approx(11.26)  # 80.77 - 69.51, not 80.77 - 70
    assert result.settings["previous_like_for_like"] is True
    assert result.settings["previous_questions_matched"] == 4
    # K1 0.7*0.6*(7.75 - 6.625)*10 = 4.725 -> 4.73; K2 0.7*0.4*(8.65 - 6.85)*10 = 5.04; assessment 0.3*5 = 1.5
    # Their sum 11.27 and the change 11.26 differ by the rounding: "other" takes it, so the parts add up.
    parts = result.contributions.loc["A"]
    assert parts[["K1", "K2", "assessment"]].tolist() == pytest.approx([4.73, 5.04, 1.5])
    assert parts["other"] == pytest.approx(-0.01)
    assert round(parts.sum(), 9) == pytest.approx(a["total_change"], abs=1e-9)
    assert result.component_changes.loc["A"].tolist() == pytest.approx([1.12, 1.8])  # 7.75 - 6.63, 8.65 - 6.85


def test_a_question_asked_differently_last_year_is_not_reused():
    # Last year q4 was declared 0-20: not comparable. K2 last year = q3 alone = 5.5;
    # business 39.75 + 40*0.55 = 61.75; total 0.7*61.75 + 22.5 = 65.725 -> 65.73.
    changed = QUESTIONS.assign(scale_max=[5.0, 5.0, 1.0, 20.0])

    result = compute(previous_year(changed))

    assert result.units.loc["A", "previous_total"] == 65.73
    assert result.settings["previous_questions_matched"] == 3
    kind_changed = compute(previous_year(QUESTIONS.assign(kind=["agreement_5", "yes_no", "yes_no", "number"])))
    assert kind_changed.settings["previous_questions_matched"] == 3  # q2's kind differs


def test_the_decomposition_adds_up_exactly_for_every_unit():
    first = cdci.compute_cdci(
        answers_frame(HAND_ANSWERS), QUESTIONS, COMPONENTS, replicates=0, assessment=pd.Series({"C": 55.0}), **HAND
    )
    result = compute(cdci.PreviousResult.from_result(first))

    for unit, parts in result.contributions.iterrows():
        change = result.units.loc[unit, "total_change"]
        assert round(parts.sum(), 9) == pytest.approx(change, abs=1e-9)
