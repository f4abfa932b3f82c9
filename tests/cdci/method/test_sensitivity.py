"""The Monte Carlo over the method's own choices (weights, blend, normalisation, aggregation)."""

import numpy as np
import pytest

from cdci.method import composite as cdci
from cdci.method import sensitivity

from .support import COMPONENTS, QUESTIONS, answers_frame


def test_arithmetic_and_geometric_aggregation():
    indexes = np.array([[4.0, 9.0]])
    weights = np.array([50.0, 50.0])

    # arithmetic (4 + 9) / 2 * 10 = 65; geometric sqrt(4 * 9) * 10 = 60
    assert sensitivity.aggregate(indexes, weights, "arithmetic").tolist() == pytest.approx([65.0])
    assert sensitivity.aggregate(indexes, weights, "geometric").tolist() == pytest.approx([60.0])


def test_blend_values_go_ten_points_either_side_within_0_100():
    assert sensitivity.blend_values_around(70.0) == (60.0, 70.0, 80.0)
    assert sensitivity.blend_values_around(95.0) == (85.0, 95.0, 100.0)


def test_a_unit_best_on_everything_stays_first_whatever_the_method():
    # A best on every question, C worst on every question, B between: no weighting, blend, normalisation
    # or aggregation can reorder them.
    table = {}
    for k in range(12):
        table[k] = ("A", "in_province", {"q1": 5, "q2": 5, "q3": 1, "q4": 1})
        table[100 + k] = ("B", "in_province", {"q1": 3, "q2": 3, "q3": k % 2, "q4": 5})
        table[200 + k] = ("C", "in_province", {"q1": 1, "q2": 2, "q3": 0, "q4": 9})

    result = cdci.compute_cdci(answers_frame(table), QUESTIONS, COMPONENTS, replicates=0, sensitivity_draws=300)

    units = result.units
    assert units["method_rank_median"].tolist() == [1, 2, 3]
    assert units["method_rank_low"].tolist() == [1, 2, 3]
    assert units["method_rank_high"].tolist() == [1, 2, 3]
    assert result.settings["sensitivity"]["normalisations"] == ["fixed", "minmax"]


def test_a_trade_off_between_components_moves_ranks_under_other_weights():
    # A excels on K1 and is poor on K2, B the reverse, C in the middle on both: which comes first depends
    # on the weights and on the aggregation (the geometric mean penalises imbalance).
    table = {}
    for k in range(12):
        table[k] = ("A", "in_province", {"q1": 5, "q2": 5, "q3": 0, "q4": 8})
        table[100 + k] = ("B", "in_province", {"q1": 2, "q2": 2, "q3": 1, "q4": 1})
        table[200 + k] = ("C", "in_province", {"q1": 4, "q2": 4, "q3": k % 2, "q4": 4})

    result = cdci.compute_cdci(answers_frame(table), QUESTIONS, COMPONENTS, replicates=0, sensitivity_draws=400)

    units = result.units
    assert (units["method_rank_low"] <= units["method_rank_median"]).all()
    assert (units["method_rank_median"] <= units["method_rank_high"]).all()
    assert (units["method_rank_high"] - units["method_rank_low"]).max() >= 1


def test_no_draws_no_method_ranks():
    table = {k: ("ABC"[k % 3], "in_province", {"q1": 1 + k % 5, "q2": 3, "q3": 1, "q4": 2}) for k in range(30)}

    result = cdci.compute_cdci(answers_frame(table), QUESTIONS, COMPONENTS, replicates=0, sensitivity_draws=0)

    assert result.units["method_rank_median"].isna().all()
    assert result.settings["sensitivity"] is None
