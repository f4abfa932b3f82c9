"""The design bootstrap, interval levels, comparisons of adjacent units and rank ranges."""

import numpy as np
import pytest

from cdci.method import composite as cdci
from cdci.method import intervals

from . import steps
from .support import ONE_COMPONENT, ONE_QUESTION, answers_frame, one_question_units

# Scores of q1 on 1-5 become totals 10 * (1 + 9 (mean - 1) / 4): linear, so variances are easy by hand.
SPREAD = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]


def test_the_resampling_variance_is_the_unbiased_one():
    # One stratum of 10 respondents (1..5 twice): sample variance s^2 = 20 / 9; the variance of the mean is
    # s^2 / n = 2/9, and of the total (90/4)^2 * 2/9 = 112.5. Drawing n - 1 of n (Rao-Wu) gives it; drawing
    # n would give 9/10 of it (101.25).
    answers = one_question_units({"A": SPREAD, "B": SPREAD, "C": SPREAD})

    result = cdci.compute_cdci(answers, ONE_QUESTION, ONE_COMPONENT, replicates=4000, sensitivity_draws=0)

    variance = result.bootstrap_totals.var(axis=0, ddof=1)
    assert variance == pytest.approx([112.5] * 3, rel=0.08)


def test_a_business_that_rated_two_units_is_resampled_as_one():
    # Ten businesses each rated A and B with the same answer, and ten others rated C. Resampled as
    # businesses, A and B draw the same businesses in every replicate: their totals never differ.
    table, clusters = {}, {}
    for business, value in enumerate(SPREAD):
        for offset, unit in enumerate("AB"):
            table[2 * business + offset] = (unit, "in_province", {"q1": value})
            clusters[2 * business + offset] = business
    for k, value in enumerate(SPREAD):
        table[100 + k] = ("C", "in_province", {"q1": value})
        clusters[100 + k] = 100 + k
    paired = answers_frame(table, clusters)

    together = cdci.compute_cdci(paired, ONE_QUESTION, ONE_COMPONENT, replicates=200, sensitivity_draws=0)
    apart = cdci.compute_cdci(
        paired.drop(columns="cluster"), ONE_QUESTION, ONE_COMPONENT, replicates=200, sensitivity_draws=0
    )

    columns = list(together.units.index)
    a, b = columns.index("A"), columns.index("B")
    np.testing.assert_array_equal(together.bootstrap_totals[:, a], together.bootstrap_totals[:, b])
    assert not np.array_equal(apart.bootstrap_totals[:, a], apart.bootstrap_totals[:, b])


def test_a_cluster_in_two_segments_is_refused():
    answers = answers_frame(
        {1: ("A", "in_province", {"q1": 5}), 2: ("B", "out_of_province", {"q1": 4})}, clusters={1: 7, 2: 7}
    )
    with pytest.raises(cdci.CdciInputError, match="more than one segment"):
        steps.question_means(answers)


def test_interval_levels_widen_for_small_samples():
    # Student's t: 2.571 (5 df), 2.262 (9 df), 12.706 (1 df); far out it is the normal 1.960.
    assert intervals.t_quantile(0.975, 5) == pytest.approx(2.5706, abs=2e-3)
    assert intervals.t_quantile(0.975, 9) == pytest.approx(2.2622, abs=2e-3)
    assert intervals.t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    # The expanded tail: P(Z > 2.5706) = 0.00508 instead of 0.025 at 5 df; 0.025 with many.
    assert intervals.expanded_tail(0.025, 5) == pytest.approx(0.00508, abs=2e-4)
    assert intervals.expanded_tail(0.025, 1e7) == pytest.approx(0.025, abs=1e-9)


def test_flip_share_and_difference_interval_from_replicates():
    # Four replicates of two units: A - B = 1, -1, 4, 1: B ahead in one of four.
    replicates = np.array([[10.0, 9.0], [11.0, 12.0], [12.0, 8.0], [9.0, 8.0]])

    low, high, behind = intervals.pairwise_differences(replicates, 0.5, np.array([1e7, 1e7]))

    assert behind[0, 1] == 0.25 and behind[1, 0] == 0.75
    # One comparison, tails 0.25: sorted differences -1, 1, 1, 4 at positions 0.75 and 2.25 -> 0.5 and 1.75
    assert low[0, 1] == pytest.approx(0.5) and high[0, 1] == pytest.approx(1.75)
    assert low[1, 0] == pytest.approx(-1.75) and high[1, 0] == pytest.approx(-0.5)


def test_rank_ranges_count_the_units_clearly_ahead_and_behind():
    # Four units in order A, B, C, D. Difference intervals (row - column): A is clearly ahead of C and D,
    # B of D only, C of nobody; everything else includes 0.
    clearly = {("A", "C"), ("A", "D"), ("B", "D")}
    names = "ABCD"
    low = np.full((4, 4), -1.0)
    high = np.full((4, 4), 1.0)
    for i, u in enumerate(names):
        for j, v in enumerate(names):
            if (u, v) in clearly:
                low[i, j], high[i, j] = 0.5, 3.0
                low[j, i], high[j, i] = -3.0, -0.5

    rank_low, rank_high = intervals.rank_intervals(low, high, np.array([1, 2, 3, 4]))

    # A: nobody ahead, 2 behind -> 1..2; B: nobody ahead, D behind -> 1..3; C: A ahead -> 2..4; D: A, B -> 3..4
    assert rank_low.tolist() == [1, 1, 2, 3]
    assert rank_high.tolist() == [2, 3, 4, 4]


def test_adjacent_comparisons_tell_apart_distant_units_and_not_equal_ones():
    # A far ahead; B and C answer exactly alike.
    answers = one_question_units({"A": [5, 5, 4, 5, 5, 4, 5, 5, 5, 4], "B": SPREAD, "C": SPREAD})

    result = cdci.compute_cdci(answers, ONE_QUESTION, ONE_COMPONENT, replicates=500, sensitivity_draws=0)

    comparisons = result.comparisons
    assert comparisons[["ahead", "behind"]].values.tolist()[0] == ["A", result.units.index[1]]
    first, second = comparisons.iloc[0], comparisons.iloc[1]
    assert first["distinguishable"] and first["difference_low"] > 0 and first["flip_share"] == 0
    assert not second["distinguishable"] and second["difference"] == 0
    assert second["difference_low"] < 0 < second["difference_high"]
    assert 0 < second["flip_share"] < 1
    units = result.units
    assert units.loc["A", ["rank_low", "rank_high"]].tolist() == [1, 1]
    assert units.loc["B", ["rank_low", "rank_high"]].tolist() == [2, 3]
    assert (units["total_low"] <= units["total"]).all() and (units["total"] <= units["total_high"]).all()
