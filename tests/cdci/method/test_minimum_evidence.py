"""Minimum evidence: units below the minimum of respondents, too few units, thin questions, unanswered
parts, merged segments, capped weights and the effective sample size, on tables computed by hand."""

import numpy as np
import pandas as pd
import pytest

from cdci.method import composite as cdci

from . import steps
from .support import COMPONENTS, ONE_COMPONENT, ONE_QUESTION, QUESTIONS, answers_frame, one_question_units

QUICK = {"replicates": 0, "sensitivity_draws": 0}


def test_a_unit_below_the_minimum_is_not_ranked_and_gets_no_numbers():
    answers = one_question_units({"A": [5, 4, 4], "B": [3, 3, 3], "C": [2, 2, 1], "D": [5, 5]})

    result = cdci.compute_cdci(answers, ONE_QUESTION, ONE_COMPONENT, min_respondents=3, **QUICK)

    assert result.not_enough_units == ["D"]
    assert result.units.index.tolist() == ["A", "B", "C"]  # D (2 respondents) nowhere among the numbers
    for frame in (result.question_means, result.question_counts, result.segment_counts, result.component_indexes):
        assert "D" not in frame.index


def test_fewer_than_three_rankable_units_are_refused():
    answers = one_question_units({"A": [5, 4, 4], "B": [3, 3, 3], "C": [2, 2]})

    with pytest.raises(cdci.CdciInputError, match="only 2 unit"):
        cdci.compute_cdci(answers, ONE_QUESTION, ONE_COMPONENT, min_respondents=3, **QUICK)


def test_a_single_unit_campaign_is_refused_instead_of_scoring_100():
    with pytest.raises(cdci.CdciInputError, match="at least 3"):
        cdci.compute_cdci(one_question_units({"A": [1, 2, 1]}), ONE_QUESTION, ONE_COMPONENT, min_respondents=1, **QUICK)


def test_questions_answered_at_fewer_than_three_units_and_unanswered_parts_are_flagged():
    # q3 and q4 (all of K2) only at A; q2 nowhere at C.
    answers = answers_frame(
        {
            1: ("A", "in_province", {"q1": 5, "q2": 5, "q3": 1, "q4": 0}),
            2: ("B", "in_province", {"q1": 3, "q2": 3}),
            3: ("C", "in_province", {"q1": 1}),
        }
    )

    result = cdci.compute_cdci(answers, QUESTIONS, COMPONENTS, min_respondents=1, min_question_answers=1, **QUICK)

    assert result.flags["questions_at_few_units"] == ["q2", "q3", "q4"]  # q2 at A and B only
    unanswered = result.flags["unanswered"]
    assert {"unit": "B", "component": "K2", "question": None} in unanswered
    assert {"unit": "C", "component": "K1", "question": "q2"} in unanswered
    # B has K1 only: q1 1 + 9*(3-1)/4 = 5.5, q2 5.5, K1 5.5; business 10 * 5.5 = 55 over the weight it has (stated)
    assert result.units.loc["B", "business_score"] == 55.0
    assert result.question_counts.loc["C"].tolist() == [1, 0, 0, 0]


def thin_question_campaign(thin_values: list[int]) -> pd.DataFrame:
    """Units A, B, C with 8 respondents answering q1; at A, 3 of them also answer q2 with `thin_values`;
    B and C answer q2 fully."""
    table = {}
    respondent = 0
    for unit, q1, q2 in (("A", [5, 4, 4, 5, 3, 4, 5, 4], None), ("B", [3] * 8, [4] * 8), ("C", [2] * 8, [2] * 8)):
        for position, value in enumerate(q1):
            respondent += 1
            answers = {"q1": value}
            if q2 is not None:
                answers["q2"] = q2[position]
            elif position < len(thin_values):
                answers["q2"] = thin_values[position]
            table[respondent] = (unit, "in_province", answers)
    return answers_frame(table)


def test_a_question_answered_by_fewer_than_five_at_a_unit_is_left_out_of_its_scores():
    result = cdci.compute_cdci(thin_question_campaign([1, 1, 1]), QUESTIONS, COMPONENTS, min_respondents=5, **QUICK)

    assert result.flags["left_out"] == [{"unit": "A", "question": "q2", "answers": 3}]
    assert np.isnan(result.question_means.loc["A", "q2"])
    assert result.question_counts.loc["A", "q2"] == 3  # the count stays: it names no answer
    # K1 of A is its q1 score alone: mean 4.25 -> 1 + 9 * 3.25 / 4 = 8.3125
    assert result.component_indexes.loc["A", "K1"] == pytest.approx(8.31, abs=0.005)
    assert {"unit": "A", "component": "K1", "question": "q2"} not in result.flags["unanswered"]
    assert result.settings["min_question_answers"] == 5


def test_the_answers_of_a_left_out_question_cannot_be_read_from_any_published_figure():
    options = {"min_respondents": 5, "replicates": 200}
    low = cdci.compute_cdci(thin_question_campaign([1, 1, 1]), QUESTIONS, COMPONENTS, **options)
    high = cdci.compute_cdci(thin_question_campaign([5, 5, 5]), QUESTIONS, COMPONENTS, **options)

    for name in ("total", "business_score", "total_low", "total_high", "rank"):
        assert low.units[name].tolist() == high.units[name].tolist(), name
    pd.testing.assert_frame_equal(low.component_indexes, high.component_indexes)


def test_the_threshold_of_thin_questions_is_a_parameter_checked_at_the_edge():
    answers = thin_question_campaign([1, 1, 1])
    kept = cdci.compute_cdci(answers, QUESTIONS, COMPONENTS, min_respondents=5, min_question_answers=3, **QUICK)
    assert kept.flags["left_out"] == []
    assert kept.question_means.loc["A", "q2"] == 1.0
    with pytest.raises(cdci.CdciInputError, match="min_question_answers"):
        cdci.compute_cdci(answers, QUESTIONS, COMPONENTS, min_question_answers=0, **QUICK)


def test_a_segment_of_fewer_than_five_is_merged():
    # X: 6 in-province answered 5, 2 out-of-province answered 2, invitations 50/50. Out (2) is merged with
    # in: one group, weights 1, mean (6*5 + 2*2) / 8 = 4.25 (not the 50/50 mix 3.5).
    table = {k: ("X", "in_province", {"q1": 5}) for k in range(6)}
    table.update({k: ("X", "out_of_province", {"q1": 2}) for k in range(6, 8)})
    answers = answers_frame(table)
    invited = pd.DataFrame({"unit": ["X", "X"], "segment": ["in_province", "out_of_province"], "invited": [50, 50]})

    assert steps.question_means(answers, invited).loc["X", "q1"] == pytest.approx(4.25)
    assert set(steps.respondent_weights(answers, invited)) == {1.0}


def test_weights_are_capped_at_three_and_the_effective_sample_size_follows():
    # Each unit: 20 in-province answered 5, 5 out-of-province answered 1; invitations 10% in, 90% out.
    # w_in = 0.1 / (20/25) = 0.125; w_out = 0.9 / (5/25) = 4.5, capped at 3.
    # mean = (20*0.125*5 + 5*3*1) / (20*0.125 + 5*3) = 27.5 / 17.5 = 1.5714...
    # Kish n = (sum w)^2 / sum w^2 = 17.5^2 / (20*0.125^2 + 5*9) = 306.25 / 45.3125 = 6.76 -> 6.8
    table, respondent = {}, 0
    for unit in "XYZ":
        for segment, count, value in (("in_province", 20, 5), ("out_of_province", 5, 1)):
            for _ in range(count):
                table[respondent] = (unit, segment, {"q1": value})
                respondent += 1
    answers = answers_frame(table)
    invited = pd.DataFrame(
        {"unit": list("XXYYZZ"), "segment": ["in_province", "out_of_province"] * 3, "invited": [10, 90] * 3}
    )

    weights = steps.respondent_weights(answers, invited)
    result = cdci.compute_cdci(answers, ONE_QUESTION, ONE_COMPONENT, invited=invited, **QUICK)

    assert sorted(set(np.round(weights, 6))) == [0.125, 3.0]
    assert result.question_means.loc["X", "q1"] == pytest.approx(27.5 / 17.5)
    assert result.units["effective_n"].tolist() == [6.8, 6.8, 6.8]
    assert result.units["respondents"].tolist() == [25, 25, 25]
