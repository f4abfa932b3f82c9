"""The method's steps one at a time, for tests computed by hand: each is what compute_cdci does at that
step, on pandas frames (the method itself runs them all at once, vectorised over the replicates)."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdci.method.composite import (
    DEFAULT_BLEND,
    FIXED,
    NEGATIVE,
    _blend,
    _blend_shares,
    _business_scores,
    _component_indexes,
    _history_bounds,
    _invited_share,
    _membership,
    _minmax_bounds,
    _point_sums,
    _prepare_survey,
    _question_means,
    _scale_bounds,
    _segment_coefficients,
    _segment_groups,
    _standardise,
    check_normalisation,
    require_columns,
)


def respondent_weights(answers: pd.DataFrame, invited: pd.DataFrame) -> pd.Series:
    """Post-stratification weight of each respondent: w = P_s / (n_s / n) within its unit, with segments
    of fewer than MERGE_SEGMENTS_BELOW respondents merged and weights capped at WEIGHT_CAP."""
    require_columns(answers, ("respondent_id", "unit", "segment"), "answers")
    respondents = answers.drop_duplicates("respondent_id")[["respondent_id", "unit", "segment"]]
    units = pd.Index(sorted(respondents["unit"].unique()))
    segments = pd.Index(sorted(respondents["segment"].unique()))
    unit_codes, segment_codes = units.get_indexer(respondents["unit"]), segments.get_indexer(respondents["segment"])
    drawn = np.zeros((len(units), len(segments)))
    np.add.at(drawn, (unit_codes, segment_codes), 1.0)
    same_group, _merged = _segment_groups(drawn, units, segments)
    coefficients = _segment_coefficients(drawn[None], _invited_share(invited, units, segments), same_group)[0]
    weights = coefficients[unit_codes, segment_codes]
    return pd.Series(weights, index=pd.Index(respondents["respondent_id"], name="respondent_id"), name="weight")


def question_means(answers: pd.DataFrame, invited: pd.DataFrame | None = None) -> pd.DataFrame:
    """Unit x question mean of the answers, weighted by segment when `invited` is given (NaN: no answer)."""
    questions = pd.Index(pd.unique(answers["question"]))
    survey = _prepare_survey(answers, questions, invited)
    value_sums, answer_counts, drawn = _point_sums(survey)
    coefficients = _segment_coefficients(drawn, survey.invited_share, survey.same_group)
    means = _question_means(value_sums, answer_counts, coefficients)[0]
    return pd.DataFrame(means, index=survey.units, columns=questions)


def standardise_questions(
    means: pd.DataFrame,
    questions: pd.DataFrame,
    history: pd.DataFrame | None = None,
    normalisation: str = FIXED,
) -> pd.DataFrame:
    """Unit x question scores on 1-10: on each question's fixed bounds (scale_min, scale_max), or with
    normalisation="minmax" across the units of `means` (and the history's unit means)."""
    check_normalisation(normalisation)
    ordered = questions.set_index("question").reindex(means.columns).rename_axis("question").reset_index()
    scale_low, scale_high = _scale_bounds(ordered, required=normalisation == FIXED)
    history_min, history_max = _history_bounds(history, means.columns)
    values = means.to_numpy(dtype=np.float64)[None]
    if normalisation == FIXED:
        low, high = scale_low[None], scale_high[None]
    else:
        low, high = _minmax_bounds(values, history_min, history_max)
    scores = _standardise(values, (ordered["direction"] == NEGATIVE).to_numpy(), low, high)[0]
    return pd.DataFrame(scores, index=means.index, columns=means.columns)


def component_indexes(scores: pd.DataFrame, questions: pd.DataFrame, components: pd.DataFrame) -> pd.DataFrame:
    """Unit x component mean of the standardised questions (a question the unit lacks is skipped)."""
    ordered = questions.set_index("question").loc[scores.columns].reset_index()
    indexes = _component_indexes(scores.to_numpy(dtype=np.float64)[None], _membership(ordered, components))[0]
    return pd.DataFrame(indexes, index=scores.index, columns=pd.Index(components["component"]))


def business_scores(indexes: pd.DataFrame, components: pd.DataFrame) -> pd.Series:
    """Per unit, the weighted mean of its component indexes on 0-100: sum(weight% * index) / 10."""
    weights = components.set_index("component")["weight"].astype(float).reindex(indexes.columns).to_numpy()
    return pd.Series(
        _business_scores(indexes.to_numpy(dtype=np.float64)[None], weights)[0],
        index=indexes.index,
        name="business_score",
    )


def blend_totals(
    business: pd.Series, assessment: pd.Series | None = None, blend: Sequence[float] = DEFAULT_BLEND
) -> pd.DataFrame:
    """Per unit: assessment, business_share and total = share * business + (1 - share) * assessment."""
    values, share = _blend_shares(business.index, assessment, blend)
    total = _blend(business.to_numpy(dtype=np.float64), values, share)
    return pd.DataFrame({"assessment": values, "business_share": share, "total": total}, index=business.index)
