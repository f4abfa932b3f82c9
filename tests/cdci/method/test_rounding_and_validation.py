"""Round once (Decimal, half-up) and the checks of inputs and settings."""

import numpy as np
import pandas as pd
import pytest

from cdci.method import composite as cdci
from cdci.method import rounding, validate

from .support import ONE_COMPONENT, ONE_QUESTION, one_question_units


@pytest.mark.parametrize(
    ("value", "expected"), [(2.345, 2.35), (67.705, 67.71), (-2.345, -2.35), (0.125, 0.13), (89.994, 89.99)]
)
def test_half_up_rounding_ignores_binary_noise(value, expected):
    assert rounding.round_half_up_value(value, 2) == expected


def test_differences_of_rounded_figures_are_exact():
    assert rounding.exact_difference(np.array([90.55]), np.array([90.48]), 2).tolist() == [0.07]


def test_rank_and_tier_use_the_rounded_totals():
    totals = pd.Series([85.004, 85.001, 89.995], index=list("ABC"))

    # 85.004 and 85.001 both publish as 85.00: they share rank 2; 89.995 publishes as 90.00: "Rất tốt"
    assert cdci.rank_with_ties(totals).tolist() == [2, 2, 1]
    assert cdci.assign_tiers(totals).tolist() == ["Tốt", "Tốt", "Rất tốt"]


def three_units():
    return one_question_units({"A": [5, 4, 4], "B": [3, 3, 3], "C": [2, 2, 1]})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replicates": 1}, "too few"),
        ({"replicates": 99}, "too few"),
        ({"replicates": -1}, "whole number"),
        ({"confidence": 1.0}, "strictly between"),
        ({"confidence": 0.0}, "strictly between"),
        ({"confidence": float("nan")}, "strictly between"),
        ({"normalisation": "zscore"}, "normalisation"),
        ({"min_respondents": 0}, "min_respondents"),
        ({"blend": (-10, 110)}, "non-negative"),
        ({"component_weights": {"K1": float("nan")}}, "finite"),
        ({"component_weights": {"K9": 100.0}}, "every component"),
        ({"sensitivity_draws": -5}, "sensitivity_draws"),
    ],
)
def test_bad_settings_are_refused_with_a_message(changes, message):
    with pytest.raises(cdci.CdciInputError, match=message):
        cdci.compute_cdci(
            three_units(), ONE_QUESTION, ONE_COMPONENT, **{"replicates": 0, "min_respondents": 3, **changes}
        )


@pytest.mark.parametrize(
    ("weights", "message"), [([np.nan, 100.0], "finite"), ([-10.0, 110.0], "negative"), ([60.0, 30.0], "sum to 90")]
)
def test_component_weights_must_be_finite_non_negative_and_sum_to_100(weights, message):
    with pytest.raises(validate.CdciInputError, match=message):
        validate.check_weights(weights)


def test_a_published_interval_needs_a_thousand_replicates():
    validate.check_replicates(0, published=True)
    validate.check_replicates(1000, published=True)
    validate.check_replicates(200)  # a draft
    with pytest.raises(validate.CdciInputError, match="at least 1000"):
        validate.check_replicates(500, published=True)
