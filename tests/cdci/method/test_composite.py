"""The CDCI method (cdci/method/) step by step on tables small enough to compute by hand.

No database: these are plain functions on pandas frames. The main table has 3 units (A, B, C),
2 components (K1 weight 60, K2 weight 40) of 2 questions each; q4 is a negative indicator. Fixed bounds:
q1 and q2 agreement 1-5, q3 yes/no 0-1, q4 a number declared 0-10. The table has 2 respondents per unit,
so the whole computation is run with min_respondents=2.
"""

import numpy as np
import pandas as pd
import pytest

from cdci.method import composite as cdci

from . import steps
from .support import COMPONENTS, QUESTIONS, answers_frame

# respondent -> (unit, segment, {question: value})
HAND_ANSWERS = {
    1: ("A", "in_province", {"q1": 5, "q2": 4, "q3": 1, "q4": 2}),
    2: ("A", "out_of_province", {"q1": 3, "q2": 4, "q3": 1, "q4": 4}),
    3: ("B", "in_province", {"q1": 2, "q2": 5, "q3": 0, "q4": 6}),
    4: ("B", "in_province", {"q1": 4, "q2": 3, "q3": 1, "q4": 8}),
    5: ("C", "out_of_province", {"q1": 1, "q2": 4, "q3": 0, "q4": 1}),
    6: ("C", "out_of_province", {"q1": 3, "q2": 4, "q3": 0, "q4": 1}),
}
# Two respondents per unit: every question is "thin", so the rule that leaves thin questions out is off here
# (tests/cdci/method/test_minimum_evidence.py tests it).
HAND = {"min_respondents": 2, "sensitivity_draws": 0, "min_question_answers": 1}


def random_campaign(units: int = 5, respondents: int = 20, seed: int = 1) -> pd.DataFrame:
    """Answers of `respondents` per unit to q1-q4, unit k answering about k/2 points better than unit 0."""
    rng = np.random.default_rng(seed)
    table = {}
    for respondent in range(units * respondents):
        unit = respondent // respondents
        level = np.clip(np.round(2 + unit / 2 + rng.normal(0, 1, size=3)), 1, 5)
        hours = max(0.0, round(10 - unit + rng.normal(0, 3), 1))
        segment = "in_province" if rng.random() < 0.6 else "out_of_province"
        table[respondent] = (f"U{unit}", segment, {"q1": level[0], "q2": level[1], "q3": level[2] >= 3, "q4": hours})
    return answers_frame(table)


@pytest.fixture
def hand_answers():
    return answers_frame(HAND_ANSWERS)


# ----------------------------------------------------------------------------------- question means


def test_question_means_average_each_units_answers(hand_answers):
    means = steps.question_means(hand_answers)

    # A: q1 (5+3)/2 = 4, q2 (4+4)/2 = 4, q3 (1+1)/2 = 1, q4 (2+4)/2 = 3
    # B: q1 (2+4)/2 = 3, q2 (5+3)/2 = 4, q3 (0+1)/2 = 0.5, q4 (6+8)/2 = 7
    # C: q1 (1+3)/2 = 2, q2 (4+4)/2 = 4, q3 0, q4 1
    expected = pd.DataFrame(
        [[4, 4, 1, 3], [3, 4, 0.5, 7], [2, 4, 0, 1]], index=["A", "B", "C"], columns=["q1", "q2", "q3", "q4"]
    )
    pd.testing.assert_frame_equal(means, expected, check_dtype=False, check_names=False)


def test_segment_weighting_matches_the_invited_mix():
    # Unit X: ten in-province respondents answered 5, five out-of-province answered 2; invitations 50/50.
    # (Segments of fewer than 5 respondents are merged: see test_minimum_evidence.py.)
    table = {k: ("X", "in_province", {"q1": 5}) for k in range(1, 11)}
    table.update({k: ("X", "out_of_province", {"q1": 2}) for k in range(11, 16)})
    answers = answers_frame(table)
    invited = pd.DataFrame({"unit": ["X", "X"], "segment": ["in_province", "out_of_province"], "invited": [60, 60]})

    weights = steps.respondent_weights(answers, invited)
    weighted = steps.question_means(answers, invited).loc["X", "q1"]
    unweighted = steps.question_means(answers).loc["X", "q1"]

    # w = P_s / (n_s / n): in 0.5 / (10/15) = 0.75, out 0.5 / (5/15) = 1.5 (the weights average 1)
    assert weights.to_dict() == pytest.approx(
        {**dict.fromkeys(range(1, 11), 0.75), **dict.fromkeys(range(11, 16), 1.5)}
    )
    # weighted (10*0.75*5 + 5*1.5*2) / (7.5 + 7.5) = 52.5 / 15 = 3.5; unweighted (50 + 10) / 15 = 4
    assert weighted == pytest.approx(3.5)
    assert unweighted == pytest.approx(4.0)


def test_segment_weighting_without_invitations_for_a_unit_leaves_it_unweighted():
    answers = answers_frame(
        {
            1: ("X", "in_province", {"q1": 5}),
            2: ("X", "in_province", {"q1": 5}),
            3: ("X", "out_of_province", {"q1": 2}),
            4: ("Z", "in_province", {"q1": 4}),
        }
    )
    invited = pd.DataFrame({"unit": ["Z"], "segment": ["in_province"], "invited": [10]})

    assert steps.question_means(answers, invited).loc["X", "q1"] == pytest.approx(4.0)  # (5 + 5 + 2) / 3


def test_segment_weighting_refuses_invitations_that_match_nothing():
    answers = answers_frame({1: ("X", "in_province", {"q1": 5})})
    invited = pd.DataFrame({"unit": ["X"], "segment": ["in"], "invited": [10]})  # "in", not "in_province"

    with pytest.raises(ValueError, match="invited matches no unit"):
        steps.question_means(answers, invited)


# ---------------------------------------------------------------------------------- standardisation


def test_standardise_on_fixed_bounds(hand_answers):
    scores = steps.standardise_questions(steps.question_means(hand_answers), QUESTIONS)

    # q1 on 1-5: A 1 + 9*(4-1)/4 = 7.75, B 1 + 9*(3-1)/4 = 5.5, C 1 + 9*(2-1)/4 = 3.25
    assert scores["q1"].tolist() == pytest.approx([7.75, 5.5, 3.25])
    # q2: every unit 4 -> 7.75 each (fixed bounds do not stretch equal units to 10)
    assert scores["q2"].tolist() == pytest.approx([7.75, 7.75, 7.75])
    # q3 on 0-1: A 10, B 1 + 9*0.5 = 5.5, C 1
    assert scores["q3"].tolist() == pytest.approx([10, 5.5, 1])
    # q4 negative on 0-10: A 10 - 9*3/10 = 7.3, B 10 - 9*7/10 = 3.7, C 10 - 9*1/10 = 9.1
    assert scores["q4"].tolist() == pytest.approx([7.3, 3.7, 9.1])


def test_a_mean_beyond_the_declared_range_scores_1_or_10():
    means = pd.DataFrame({"q4": [12.0, -1.0]}, index=["A", "B"])

    # q4 negative on 0-10: 12 hours is worse than the range allows -> 1; below 0 -> 10
    assert steps.standardise_questions(means, QUESTIONS)["q4"].tolist() == [1.0, 10.0]


def test_fixed_bounds_need_a_declared_range():
    means = pd.DataFrame({"q4": [3.0]}, index=["A"])

    with pytest.raises(cdci.CdciInputError, match="declared range .* q4"):
        steps.standardise_questions(means, QUESTIONS.assign(scale_min=[1.0, 1.0, 0.0, np.nan]))


def test_minmax_standardise_positive_and_negative_indicators(hand_answers):
    scores = steps.standardise_questions(steps.question_means(hand_answers), QUESTIONS, normalisation="minmax")

    # q1 positive, min 2 max 4: A 1 + 9*(4-2)/2 = 10, B 1 + 9*(3-2)/2 = 5.5, C 1 + 9*0 = 1
    assert scores["q1"].tolist() == pytest.approx([10, 5.5, 1])
    # q3 positive, min 0 max 1: A 10, B 1 + 9*0.5 = 5.5, C 1
    assert scores["q3"].tolist() == pytest.approx([10, 5.5, 1])
    # q4 negative, min 1 max 7: A 10 - 9*(3-1)/6 = 7, B 10 - 9*(7-1)/6 = 1, C 10 - 0 = 10
    assert scores["q4"].tolist() == pytest.approx([7, 1, 10])


def test_minmax_gives_ten_to_everyone_when_all_units_are_equal(hand_answers):
    scores = steps.standardise_questions(steps.question_means(hand_answers), QUESTIONS, normalisation="minmax")

    # q2: every unit's mean is 4, so max == min: 10 for all (not a division by zero)
    assert scores["q2"].tolist() == [10, 10, 10]


def test_minmax_over_three_campaigns_uses_the_history_bounds():
    means = pd.DataFrame({"q1": [4.0, 3.0, 2.0], "q4": [3.0, 7.0, 1.0]}, index=["A", "B", "C"])
    history = pd.DataFrame(
        {
            "year": [2023, 2023, 2024, 2024],
            "unit": ["A", "B", "A", "C"],
            "question": ["q1", "q1", "q1", "q4"],
            "mean": [1.0, 5.0, 3.0, 9.0],
        }
    )

    scores = steps.standardise_questions(means, QUESTIONS, history, normalisation="minmax")

    # q1 over three campaigns: min 1 (A 2023), max 5 (B 2023)
    # A 1 + 9*(4-1)/4 = 7.75, B 1 + 9*(3-1)/4 = 5.5, C 1 + 9*(2-1)/4 = 3.25
    assert scores["q1"].tolist() == pytest.approx([7.75, 5.5, 3.25])
    # q4 (negative): min 1 (C now), max 9 (C 2024): A 10 - 9*(3-1)/8 = 7.75, B 10 - 9*6/8 = 3.25, C 10
    assert scores["q4"].tolist() == pytest.approx([7.75, 3.25, 10])


# ----------------------------------------------------------------------------- components and score


def test_component_index_is_the_mean_of_its_questions(hand_answers):
    scores = steps.standardise_questions(steps.question_means(hand_answers), QUESTIONS, normalisation="minmax")

    indexes = steps.component_indexes(scores, QUESTIONS, COMPONENTS)

    # K1 = (q1 + q2) / 2: A (10+10)/2 = 10, B (5.5+10)/2 = 7.75, C (1+10)/2 = 5.5
    # K2 = (q3 + q4) / 2: A (10+7)/2 = 8.5, B (5.5+1)/2 = 3.25, C (1+10)/2 = 5.5
    assert indexes["K1"].tolist() == pytest.approx([10, 7.75, 5.5])
    assert indexes["K2"].tolist() == pytest.approx([8.5, 3.25, 5.5])


def test_component_index_skips_a_question_the_unit_has_no_answer_for():
    scores = pd.DataFrame({"q1": [4.0], "q2": [np.nan], "q3": [np.nan], "q4": [np.nan]}, index=["A"])

    indexes = steps.component_indexes(scores, QUESTIONS, COMPONENTS)

    assert indexes.loc["A", "K1"] == 4.0  # q1 alone, not (4 + 0) / 2
    assert np.isnan(indexes.loc["A", "K2"])  # nothing to average


def test_business_score_is_the_weighted_mean_scaled_to_100():
    indexes = pd.DataFrame({"K1": [10, 7.75, 5.5, 10], "K2": [8.5, 3.25, 5.5, 10]}, index=["A", "B", "C", "D"])

    scores = steps.business_scores(indexes, COMPONENTS)

    # (60*K1 + 40*K2) / 10: A (600 + 340)/10 = 94, B (465 + 130)/10 = 59.5, C (330 + 220)/10 = 55; all 10 -> 100
    assert scores.tolist() == pytest.approx([94, 59.5, 55, 100])


def test_blend_uses_70_30_with_an_assessment_and_100_0_without():
    business = pd.Series([94.0, 59.5, 55.0], index=["A", "B", "C"])

    blended = steps.blend_totals(business, pd.Series({"A": 80.0, "B": 90.0}))

    # A 0.7*94 + 0.3*80 = 65.8 + 24 = 89.8; B 0.7*59.5 + 0.3*90 = 41.65 + 27 = 68.65; C has none: 55
    assert blended["total"].tolist() == pytest.approx([89.8, 68.65, 55])
    assert blended["business_share"].tolist() == pytest.approx([0.7, 0.7, 1.0])
    # Other weights, e.g. 80/20: A 0.8*94 + 0.2*80 = 91.2
    assert steps.blend_totals(business, pd.Series({"A": 80.0}), blend=(80, 20))["total"]["A"] == pytest.approx(91.2)


# ------------------------------------------------------------------------------ rank, tier, first on


def test_ranks_share_the_best_rank_on_ties():
    totals = pd.Series([90.0, 85.0, 90.0, 70.0, 85.001], index=list("ABCDE"))

    # 90 and 90 share rank 1, the next is 3; at the published 2 decimals 85.001 equals 85
    assert cdci.rank_with_ties(totals).tolist() == [1, 3, 1, 5, 3]


def test_tiers_follow_the_bands():
    totals = pd.Series([92.65, 90.0, 89.99, 80.0, 65.0, 64.99, 12.0], index=list("ABCDEFG"))

    tiers = cdci.assign_tiers(totals)

    assert tiers.tolist() == ["Rất tốt", "Rất tốt", "Tốt", "Tốt", "Khá", "Trung bình", "Trung bình"]
    custom = cdci.assign_tiers(totals, [(85, "A"), (70, "B")])
    assert custom.iloc[:4].tolist() == ["A", "A", "A", "B"]
    assert custom.iloc[4:].isna().all()  # below every band: no tier


def test_first_on_counts_components_led_including_shared_first_places():
    indexes = pd.DataFrame({"K1": [10, 10, 5], "K2": [8, 9, 3], "K3": [7, 2, 7]}, index=["A", "B", "C"])

    # K1: A and B share first; K2: B; K3: A and C share first
    assert cdci.first_on_components(indexes).tolist() == [2, 2, 1]


# ------------------------------------------------------------------------------------ whole method


def test_compute_cdci_matches_the_hand_computation(hand_answers):
    # Recomputed by hand for fixed bounds (the min-max version gave business 94, 59.5, 55):
    # K1 = (q1 + q2) / 2: A (7.75 + 7.75)/2 = 7.75, B (5.5 + 7.75)/2 = 6.625, C (3.25 + 7.75)/2 = 5.5
    # K2 = (q3 + q4) / 2: A (10 + 7.3)/2 = 8.65, B (5.5 + 3.7)/2 = 4.6, C (1 + 9.1)/2 = 5.05
    # business (60 K1 + 40 K2) / 10: A 46.5 + 34.6 = 81.1, B 39.75 + 18.4 = 58.15, C 33 + 20.2 = 53.2
    # total: A 0.7*81.1 + 0.3*80 = 80.77, B 0.7*58.15 + 0.3*90 = 67.705 -> 67.71 (half-up), C 53.2
    result = cdci.compute_cdci(
        hand_answers, QUESTIONS, COMPONENTS, assessment=pd.Series({"A": 80.0, "B": 90.0}), replicates=0, **HAND
    )

    units = result.units
    assert units.index.tolist() == ["A", "B", "C"]
    assert units["respondents"].tolist() == [2, 2, 2]
    assert units["business_score"].tolist() == [81.1, 58.15, 53.2]
    assert units["total"].tolist() == [80.77, 67.71, 53.2]
    assert units["rank"].tolist() == [1, 2, 3]
    assert units["tier"].tolist() == ["Tốt", "Khá", "Trung bình"]
    assert units["first_on"].tolist() == [2, 0, 0]  # A leads K1 (7.75) and K2 (8.65)
    assert units["components"].tolist() == [2, 2, 2]
    assert result.component_indexes.loc["B"].tolist() == [6.63, 4.6]  # 6.625 half-up
    assert result.segment_counts.loc["A"].tolist() == [1, 1]
    assert result.question_bounds.loc["q4"].tolist() == ["negative", 0.0, 10.0]
    assert units["total_low"].isna().all()  # no replicates, no intervals
    assert result.comparisons.empty


def test_change_is_explained_by_each_components_contribution(hand_answers):
    # Last year A had K1 9.5, K2 8: business (60*9.5 + 40*8)/10 = 89, assessment 75,
    # total 0.7*89 + 0.3*75 = 84.8, rank 2 (published figures only: no question means to re-express).
    previous = cdci.PreviousResult(
        units=pd.DataFrame(
            {"total": [84.8], "rank": [2], "business_score": [89.0], "assessment": [75.0], "business_share": [0.7]},
            index=["A"],
        ),
        component_indexes=pd.DataFrame({"K1": [9.5], "K2": [8.0]}, index=["A"]),
    )

    result = cdci.compute_cdci(
        hand_answers,
        QUESTIONS,
        COMPONENTS,
        assessment=pd.Series({"A": 80.0, "B": 90.0}),
        previous=previous,
        replicates=0,
        **HAND,
    )

    a = result.units.loc["A"]
    assert a["total_change"] == pytest.approx(-4.03)  # 80.77 - 84.8
    assert a["rank_change"] == 1  # from 2 to 1
    assert result.component_changes.loc["A"].tolist() == pytest.approx([-1.75, 0.65])  # 7.75 - 9.5, 8.65 - 8
    # K1 0.7 * 0.6 * (7.75 - 9.5) * 10 = -7.35; K2 0.7 * 0.4 * (8.65 - 8) * 10 = 1.82; assessment 0.3 * (80 - 75) = 1.5
    parts = result.contributions.loc["A"]
    assert parts[["K1", "K2", "assessment"]].tolist() == pytest.approx([-7.35, 1.82, 1.5])
    assert parts["other"] == pytest.approx(0.0, abs=1e-9)
    assert parts.sum() == pytest.approx(a["total_change"])
    # B and C were not in last year's result: no change to explain
    assert result.contributions.loc[["B", "C"]].isna().all().all()
    assert np.isnan(result.units.loc["B", "total_change"])


def test_contributions_still_add_up_when_the_blend_changed(hand_answers):
    # Last year A had no assessment (100/0): total = business = (60*9 + 40*7)/10 = 82.
    previous = cdci.PreviousResult(
        units=pd.DataFrame({"total": [82.0], "assessment": [np.nan], "business_share": [1.0]}, index=["A"]),
        component_indexes=pd.DataFrame({"K1": [9.0], "K2": [7.0]}, index=["A"]),
    )

    result = cdci.compute_cdci(
        hand_answers, QUESTIONS, COMPONENTS, assessment=pd.Series({"A": 80.0}), previous=previous, replicates=0, **HAND
    )

    parts = result.contributions.loc["A"]
    # K1 (0.7*0.6*7.75 - 1*0.6*9)*10 = -21.45; K2 (0.7*0.4*8.65 - 1*0.4*7)*10 = -3.78; assessment 0.3*80 = 24
    assert parts[["K1", "K2", "assessment"]].tolist() == pytest.approx([-21.45, -3.78, 24.0])
    assert parts.sum() == pytest.approx(80.77 - 82.0)


def test_previous_result_round_trips_from_a_result(hand_answers):
    first = cdci.compute_cdci(hand_answers, QUESTIONS, COMPONENTS, replicates=0, **HAND)

    again = cdci.compute_cdci(
        hand_answers, QUESTIONS, COMPONENTS, previous=cdci.PreviousResult.from_result(first), replicates=0, **HAND
    )

    assert (again.units["total_change"] == 0).all()
    assert (again.contributions.abs() < 1e-9).all().all()


# -------------------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_reproducible_with_a_seed_and_differs_with_another():
    answers = random_campaign()

    first = cdci.compute_cdci(answers, QUESTIONS, COMPONENTS, replicates=200, seed=11)
    second = cdci.compute_cdci(answers, QUESTIONS, COMPONENTS, replicates=200, seed=11)
    other = cdci.compute_cdci(answers, QUESTIONS, COMPONENTS, replicates=200, seed=12)

    assert first.bootstrap_totals.shape == (200, 5)
    np.testing.assert_array_equal(first.bootstrap_totals, second.bootstrap_totals)
    pd.testing.assert_frame_equal(first.units, second.units)
    assert not np.array_equal(first.bootstrap_totals, other.bootstrap_totals)
    pd.testing.assert_series_equal(first.units["total"], other.units["total"])  # the point estimate stays


def test_intervals_hold_the_point_estimates():
    invited = pd.DataFrame(
        {
            "unit": [f"U{k}" for k in range(5)] * 2,
            "segment": ["in_province"] * 5 + ["out_of_province"] * 5,
            "invited": [50] * 10,
        }
    )
    result = cdci.compute_cdci(random_campaign(), QUESTIONS, COMPONENTS, invited=invited, replicates=300)

    units = result.units
    assert (units["total_low"] <= units["total"]).all() and (units["total"] <= units["total_high"]).all()
    assert (units["rank_low"] <= units["rank"]).all() and (units["rank"] <= units["rank_high"]).all()
    assert (units["total_low"] < units["total_high"]).all()  # 20 respondents leave real uncertainty


def test_one_respondent_per_unit_gives_intervals_of_zero_width(hand_answers):
    # Resampling one respondent always draws that respondent: every replicate must give back the point
    # estimate exactly, which checks that replicates go through the same steps as the point estimate.
    single = hand_answers[hand_answers["respondent_id"].isin([1, 3, 5])]

    result = cdci.compute_cdci(single, QUESTIONS, COMPONENTS, replicates=100, min_respondents=1, min_question_answers=1)

    np.testing.assert_allclose(result.bootstrap_totals, np.tile(result.units["total"].to_numpy(), (100, 1)), atol=0.006)
    assert (result.units["rank_low"] == result.units["rank"]).all()


def test_minmax_bootstrap_recomputes_the_standardisation_in_each_replicate():
    # Three units, one question, min-max: in every replicate the best unit gets 10 (business 100) and the
    # worst 1 (business 10). Standardising with the point min/max would give other values.
    values = [3, 4, 5, 2, 4, 3, 4, 2, 5, 4, 3, 1, 2, 3, 1, 2, 4, 1]
    answers = answers_frame({k: ("ABC"[k // 6], "in_province", {"q1": values[k]}) for k in range(18)})
    questions = pd.DataFrame({"question": ["q1"], "component": ["K1"], "direction": ["positive"]})
    components = pd.DataFrame({"component": ["K1"], "weight": [100.0]})

    result = cdci.compute_cdci(
        answers, questions, components, replicates=200, normalisation="minmax", min_respondents=5, sensitivity_draws=0
    )

    totals = result.bootstrap_totals
    np.testing.assert_allclose(totals.max(axis=1), 100.0)
    np.testing.assert_allclose(totals.min(axis=1), 10.0)
    assert len(np.unique(np.argmax(totals, axis=1))) >= 2  # the leader changes in some replicates


# ------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, q, c: (a, q, c.assign(weight=[60.0, 30.0])), "sum to 90"),
        (lambda a, q, c: (a, q.assign(direction=["positive", "up", "positive", "negative"]), c), "direction"),
        (lambda a, q, c: (a.assign(question=a["question"].replace("q4", "q9")), q, c), "q9"),
        (lambda a, q, c: (pd.concat([a, a.head(1)]), q, c), "twice"),
        (lambda a, q, c: (a.assign(unit=np.where(a.index == 0, "B", a["unit"])), q, c), "more than one unit"),
    ],
)
def test_bad_input_is_refused_with_a_message(hand_answers, change, message):
    answers, questions, components = change(hand_answers, QUESTIONS, COMPONENTS)

    with pytest.raises(cdci.CdciInputError, match=message):
        cdci.compute_cdci(answers, questions, components, replicates=0, **HAND)
