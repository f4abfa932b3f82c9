"""The yearly CDCI of customs units (docs/cdci-methodology.md states the method for readers).

Pure numpy/pandas with no Django import: the Django side loads a campaign's valid responses into the
frames below, calls `compute_cdci` and stores the `CdciResult` it returns.

Inputs (column names are the contract with the Django side):

- answers: one row per answer of a valid response: `respondent_id` (the response: one business about one
  unit), `unit`, `segment` (e.g. "in_province" / "out_of_province"), `question` (its code), `value` (float:
  agreement 1-5, yes 1 / no 0, a number as given, the score of the chosen option) and, optionally,
  `cluster` (the business, e.g. its invitation: a business that rated two units is one cluster, resampled
  as a whole). Categorical dtypes for unit, segment and question save memory on large campaigns.
- questions: `question`, `component`, `direction` ("positive" or "negative"), in questionnaire order, and
  for fixed bounds `scale_min` / `scale_max` (the answer scale's limits or a number's declared range);
  optionally `kind`, which the next year's like-for-like comparison checks.
- components: `component`, `weight` (percent, summing to 100), in questionnaire order.
- invited (optional, for segment weighting): `unit`, `segment`, `invited` (number of invitations).
- history (optional, min-max normalisation only): `unit`, `question`, `mean`, the raw question means of
  earlier campaigns (other columns such as `year` are ignored).
- assessment (optional): Series unit -> the department's own assessment, 0-100.
- previous (optional): a `PreviousResult`, the last published result, for changes and their decomposition.

The steps work on arrays with a leading replicate axis, so the point estimate (one replicate in which every
respondent counts once) and the bootstrap replicates run through the same code, standardisation included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from . import intervals, sensitivity
from .rounding import exact_difference, round_half_up
from .validate import (
    MIN_RANKABLE_UNITS,
    CdciInputError,
    check_blend,
    check_confidence,
    check_decimals,
    check_min_respondents,
    check_normalisation,
    check_replicates,
    check_weights,
    require_columns,
)

POSITIVE = "positive"
NEGATIVE = "negative"
FIXED = "fixed"
MINMAX = "minmax"
DEFAULT_BLEND = (70.0, 30.0)  # business share, assessment share (Quảng Ninh since 2024)
DEFAULT_TIERS: tuple[tuple[float, str], ...] = ((90.0, "Rất tốt"), (80.0, "Tốt"), (65.0, "Khá"), (0.0, "Trung bình"))
DEFAULT_REPLICATES = 1000
# Any fixed number makes the intervals reproducible; the Django side stores the seed with the snapshot.
DEFAULT_SEED = 2017
DEFAULT_DECIMALS = 2  # published precision: every figure is rounded once to it, and ranks use the rounded totals
DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_RESPONDENTS = 10
DEFAULT_SENSITIVITY_DRAWS = 500
# Segment weighting: a segment with fewer respondents than this in a unit is merged with another, and no
# respondent weighs more than WEIGHT_CAP times the equal weight (a few answers must not carry a unit).
MERGE_SEGMENTS_BELOW = 5
WEIGHT_CAP = 3.0
# A question answered at fewer units than this is flagged: its standardised score compares almost nothing.
FEW_UNITS_PER_QUESTION = 3
# A unit's question answered by fewer respondents than this is left out of the unit's scores: its mean is
# never published (it would come close to naming the respondents), and a published component index or total
# that still contained it would give the hidden mean away by subtraction.
DEFAULT_MIN_QUESTION_ANSWERS = 5
METHOD_RANK_COVERAGE = 0.90
PROGRESS_STEPS = 4  # the bootstrap reports its progress at least this many times
# Bootstrap strata smaller than this are collapsed (see _strata).
MIN_STRATUM = 5

# Below this spread the min and max of a question are treated as equal (min-max: every unit gets 10).
_EQUAL_SPREAD = 1e-9
# Cap on the elements of one replicate x respondent matrix: replicates are drawn in chunks below it.
_MAX_DRAW_ELEMENTS = 4_000_000

ANSWER_COLUMNS = ("respondent_id", "unit", "segment", "question", "value")
CLUSTER = "cluster"
QUESTION_META = ("question", "component", "direction", "kind", "scale_min", "scale_max")


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PreviousResult:
    """The last published result of the same units, for changes and for the decomposition of a change.

    units: indexed by unit, column `total` (required) and, when known, `rank`, `business_score`,
    `assessment` (NaN where none) and `business_share` (0-1).
    component_indexes: unit x component, the published component indexes (1-10).
    component_weights: component -> weight in percent; this campaign's weights when omitted.
    question_means / questions: last year's raw question means (unit x question) and its questionnaire
    (QUESTION_META columns). With both, last year is re-expressed on this year's bounds, weights and blend
    (like for like) over the questions whose component, kind, scale and direction are unchanged; without
    them the change is taken against the published totals.
    """

    units: pd.DataFrame
    component_indexes: pd.DataFrame
    component_weights: pd.Series | None = None
    question_means: pd.DataFrame | None = None
    questions: pd.DataFrame | None = None

    @classmethod
    def from_result(cls, result: CdciResult) -> PreviousResult:
        """The previous result as a CdciResult left it (what a published snapshot stores)."""
        columns = ["total", "rank", "business_score", "assessment", "business_share"]
        return cls(
            units=result.units[columns].copy(),
            component_indexes=result.component_indexes.copy(),
            component_weights=result.component_weights.copy(),
            question_means=result.question_means.copy(),
            questions=result.questions.copy(),
        )


@dataclass(frozen=True)
class CdciResult:
    """Everything a campaign's computation produces; unit frames are indexed by unit in rank order and
    hold the ranked units only (units below min_respondents are listed in `not_enough_units`, no numbers).

    Every published figure is rounded once, half-up, to settings["decimals"]; rank, tier, first_on and the
    changes are computed from the rounded figures.

    units: respondents, effective_n (Kish), business_score (0-100), assessment, business_share (0-1),
        total, rank (ties share the best rank), tier, first_on, components, total_low / total_high
        (expanded percentile interval), rank_low / rank_high (sampling rank range), method_rank_median /
        method_rank_low / method_rank_high (90% range under the method's choices), previous_total (last
        year like for like), previous_published_total, total_change, previous_rank, rank_change.
    comparisons: one row per adjacent pair in rank order: ahead, behind, difference, difference_low,
        difference_high (Bonferroni-adjusted), flip_share, distinguishable.
    question_means / question_scores: unit x question; question_counts: unit x question respondents.
    question_bounds: question -> direction, min, max used by the standardisation.
    component_indexes / component_ranks / component_changes: unit x component.
    contributions: unit x (each component, "assessment", "other"): the parts of total_change, adding up to
        it exactly ("other" takes the rounding and any component one year lacks).
    segment_counts: unit x segment, valid responses.
    bootstrap_totals: replicates x units array of totals (columns in `units.index` order).
    flags: questions_at_few_units, left_out (a unit's questions answered by fewer than min_question_answers),
        unanswered, merged_segments (see compute_cdci).
    """

    units: pd.DataFrame
    question_means: pd.DataFrame
    question_scores: pd.DataFrame
    question_bounds: pd.DataFrame
    component_indexes: pd.DataFrame
    component_ranks: pd.DataFrame
    component_changes: pd.DataFrame
    component_weights: pd.Series
    contributions: pd.DataFrame
    segment_counts: pd.DataFrame
    bootstrap_totals: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    comparisons: pd.DataFrame = field(default_factory=pd.DataFrame)
    question_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    not_enough_units: list[Any] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)
    questions: pd.DataFrame = field(default_factory=pd.DataFrame)


# ------------------------------------------------------------------------------------ preparing input


@dataclass(frozen=True)
class _Survey:
    """The answers as a respondent x question matrix, respondents sorted by unit then segment.

    Rows of unit u and segment g are cell_offsets[u * G + g] : cell_offsets[u * G + g + 1]. Each row
    belongs to a cluster (the business); clusters are resampled within strata (see _strata).
    """

    units: pd.Index
    segments: pd.Index
    questions: pd.Index
    values: np.ndarray  # respondents x questions, 0.0 where unanswered
    answered: np.ndarray  # respondents x questions, 1.0 where answered (float: it enters matrix products)
    cell_offsets: np.ndarray
    cell_complete: np.ndarray  # per cell: every respondent answered every question (skips a product)
    invited_share: np.ndarray | None  # units x segments, each row sums to 1 (or 0 when unknown)
    row_cluster: np.ndarray  # (R,) cluster of each row
    cluster_order: np.ndarray  # (C,) clusters sorted by stratum
    stratum_start: np.ndarray  # (H,) first position of each stratum in cluster_order
    stratum_size: np.ndarray  # (H,)
    stratum_of_cluster: np.ndarray  # (C,)
    same_group: np.ndarray  # (U, G, G) 1.0 where two segments of a unit are weighted as one
    merged_segments: list[tuple[Any, list[Any]]]

    @property
    def segment_count(self) -> int:
        return len(self.segments)

    @property
    def cluster_count(self) -> int:
        return len(self.cluster_order)


def _codes_in(column: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value of `column` in `index` (-1 when absent), fast for categorical columns."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        category_positions = index.get_indexer(column.cat.categories)
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, category_positions[codes], -1)
    return np.asarray(index.get_indexer(pd.Index(column)))


def _answered_rows(answers: pd.DataFrame) -> pd.DataFrame:
    """The answers with a value (a blank answer is no answer), checked for the required columns."""
    require_columns(answers, ANSWER_COLUMNS, "answers")
    value = answers["value"].to_numpy(dtype=np.float64)
    if not np.isfinite(value[~np.isnan(value)]).all():
        raise CdciInputError("answers has infinite values")
    keep = ~np.isnan(value)
    return answers if keep.all() else answers[keep]


def _prepare_survey(answers: pd.DataFrame, questions: pd.Index, invited: pd.DataFrame | None) -> _Survey:
    """Check the answers and turn the long frame into the respondent x question matrix."""
    answers = _answered_rows(answers)
    value = answers["value"].to_numpy(dtype=np.float64)
    if len(answers) == 0:
        raise CdciInputError("answers is empty: no valid response to score")

    question_codes = _codes_in(answers["question"], questions)
    if (question_codes < 0).any():
        unknown = sorted(map(str, pd.unique(answers["question"][question_codes < 0])))[:10]
        raise CdciInputError(f"answers name questions missing from the questionnaire: {', '.join(unknown)}")
    unit_codes, units = pd.factorize(answers["unit"], sort=True)
    segment_codes, segments = pd.factorize(answers["segment"], sort=True)
    respondent_codes, respondent_ids = pd.factorize(answers["respondent_id"], sort=True)
    cluster_source = answers[CLUSTER] if CLUSTER in answers else answers["respondent_id"]
    cluster_codes, cluster_ids = pd.factorize(cluster_source, sort=True)
    if (unit_codes < 0).any() or (segment_codes < 0).any() or (respondent_codes < 0).any() or (cluster_codes < 0).any():
        raise CdciInputError("answers has rows without a respondent, cluster, unit or segment")
    units, segments = pd.Index(units), pd.Index(segments)

    respondent_count, question_count, segment_count = len(respondent_ids), len(questions), len(segments)
    per_respondent: dict[str, np.ndarray] = {}
    for name, codes in (("unit", unit_codes), ("segment", segment_codes), ("cluster", cluster_codes)):
        first = np.empty(respondent_count, dtype=np.int64)
        first[respondent_codes] = codes
        # A response is about one unit, from one business in one segment: any disagreement is a bad load.
        if (first[respondent_codes] != codes).any():
            raise CdciInputError(f"a respondent_id appears with more than one {name}")
        per_respondent[name] = first
    respondent_unit, respondent_segment = per_respondent["unit"], per_respondent["segment"]
    respondent_cluster = per_respondent["cluster"]
    cluster_segment = np.full(len(cluster_ids), -1, dtype=np.int64)
    cluster_segment[respondent_cluster] = respondent_segment
    if (cluster_segment[respondent_cluster] != respondent_segment).any():
        raise CdciInputError("a cluster (business) appears in more than one segment")

    order = np.lexsort((np.arange(respondent_count), respondent_segment, respondent_unit))
    row_of_respondent = np.empty(respondent_count, dtype=np.int64)
    row_of_respondent[order] = np.arange(respondent_count)
    flat = row_of_respondent[respondent_codes] * question_count + question_codes
    answer_counts = np.bincount(flat, minlength=respondent_count * question_count)
    if answer_counts.max() > 1:
        raise CdciInputError("a respondent answers the same question twice")
    values = np.zeros(respondent_count * question_count, dtype=np.float64)
    values[flat] = value
    values = np.asarray(values.reshape(respondent_count, question_count), dtype=np.float64)
    answered = answer_counts.reshape(respondent_count, question_count).astype(np.float64)
    del answer_counts, flat

    cell_sizes = np.bincount(respondent_unit * segment_count + respondent_segment, minlength=len(units) * segment_count)
    cell_offsets = np.concatenate([[0], np.cumsum(cell_sizes)])
    answered_per_row = answered.sum(axis=1)
    complete_rows = np.concatenate([[0], np.cumsum(answered_per_row == question_count)])
    cell_complete = (complete_rows[cell_offsets[1:]] - complete_rows[cell_offsets[:-1]]) == cell_sizes
    row_cluster = respondent_cluster[order]
    cluster_order, stratum_start, stratum_size, stratum_of_cluster = _strata(
        row_cluster, respondent_unit[order], cluster_segment
    )
    counts = cell_sizes.reshape(len(units), segment_count)
    same_group, merged = _segment_groups(counts, units, segments) if invited is not None else (None, [])

    return _Survey(
        units=units,
        segments=segments,
        questions=questions,
        values=values,
        answered=answered,
        cell_offsets=cell_offsets,
        cell_complete=cell_complete,
        invited_share=None if invited is None else _invited_share(invited, units, segments),
        row_cluster=row_cluster,
        cluster_order=cluster_order,
        stratum_start=stratum_start,
        stratum_size=stratum_size,
        stratum_of_cluster=stratum_of_cluster,
        same_group=np.eye(segment_count)[None].repeat(len(units), axis=0) if same_group is None else same_group,
        merged_segments=merged,
    )


def _strata(row_cluster: np.ndarray, row_unit: np.ndarray, cluster_segment: np.ndarray) -> tuple[np.ndarray, ...]:
    """Bootstrap strata of the clusters: the segment and the set of units the business rated.

    A business that rated units A and B is one cluster in stratum (segment, {A, B}): resampling within
    such strata keeps every unit's respondents per segment as in the survey, as the design fixed them (the
    units a business rates come from its declarations, before the survey). A stratum of fewer than
    MIN_STRATUM clusters would leave the variance with too few degrees of freedom: it is collapsed, first
    over segments ({A, B}), then into its first unit's stratum ({A}). Strata never pool different units'
    own respondents, so a unit is never resampled without any.
    """
    pairs = np.unique(np.column_stack([row_cluster, row_unit]), axis=0)  # sorted by cluster, then unit
    clusters, first_row, units_per_cluster = np.unique(pairs[:, 0], return_index=True, return_counts=True)
    unit_count = int(row_unit.max()) + 1
    # The set of units as one number: units in increasing order as digits in base unit_count + 1.
    position = np.arange(len(pairs)) - np.repeat(first_row, units_per_cluster)
    if (unit_count + 1) ** int(units_per_cluster.max()) >= 2**40:
        raise CdciInputError("a business rated too many units to be resampled as one cluster")
    digits = (pairs[:, 1] + 1) * (unit_count + 1) ** position
    unit_set = np.add.reduceat(digits, first_row)
    segment = cluster_segment[clusters]
    levels = [unit_set * (int(segment.max()) + 1) + segment, unit_set, pairs[first_row, 1]]
    level = np.zeros(len(clusters), dtype=np.int64)
    for _ in range(len(levels)):
        keys = np.choose(level, levels) + level * 2**56
        codes = pd.factorize(keys)[0]
        small = np.bincount(codes)[codes] < MIN_STRATUM
        if not small.any() or (level[small] == len(levels) - 1).all():
            break
        level = np.where(small, np.minimum(level + 1, len(levels) - 1), level)
    keys = np.choose(level, levels) + level * 2**56
    stratum_codes, _ = pd.factorize(keys, sort=True)
    cluster_count = int(row_cluster.max()) + 1
    stratum_of_cluster = np.zeros(cluster_count, dtype=np.int64)
    stratum_of_cluster[clusters] = stratum_codes
    cluster_order = np.argsort(stratum_of_cluster, kind="stable")
    stratum_size = np.bincount(stratum_of_cluster)
    stratum_start = np.concatenate([[0], np.cumsum(stratum_size)[:-1]])
    return cluster_order, stratum_start, stratum_size, stratum_of_cluster


def _unit_strata(survey: _Survey, unit_count: int) -> np.ndarray:
    """(U,) how many strata each unit's respondents lie in (the degrees of freedom they cost)."""
    row_unit = np.repeat(np.arange(unit_count), np.diff(survey.cell_offsets).reshape(unit_count, -1).sum(axis=1))
    pairs = pd.DataFrame({"unit": row_unit, "stratum": survey.stratum_of_cluster[survey.row_cluster]})
    return pairs.drop_duplicates().groupby("unit").size().reindex(range(unit_count), fill_value=1).to_numpy()


def _segment_groups(
    counts: np.ndarray, units: pd.Index, segments: pd.Index
) -> tuple[np.ndarray, list[tuple[Any, list[Any]]]]:
    """(U, G, G) segments weighted together, and the merges made.

    In a unit, segments with 1 to MERGE_SEGMENTS_BELOW - 1 respondents are merged with each other and with
    the smallest segment that has enough (with all of the unit's segments when none has enough).
    """
    unit_count, segment_count = counts.shape
    same = np.eye(segment_count)[None].repeat(unit_count, axis=0)
    merged = []
    for u in range(unit_count):
        small = (counts[u] > 0) & (counts[u] < MERGE_SEGMENTS_BELOW)
        if not small.any():
            continue
        enough = np.flatnonzero(counts[u] >= MERGE_SEGMENTS_BELOW)
        group = small.copy()
        if len(enough):
            group[enough[np.argmin(counts[u][enough])]] = True
        else:
            group = counts[u] > 0
        if group.sum() < 2:
            continue
        same[u][np.ix_(group, group)] = 1.0
        merged.append((units[int(u)], [segments[int(g)] for g in np.flatnonzero(group)]))
    return same, merged


def _invited_share(invited: pd.DataFrame, units: pd.Index, segments: pd.Index) -> np.ndarray:
    """Units x segments: each segment's share of the unit's invitations (a row of zeros when unknown)."""
    require_columns(invited, ("unit", "segment", "invited"), "invited")
    table = invited.pivot_table(index="unit", columns="segment", values="invited", aggfunc="sum", fill_value=0)
    shares = table.reindex(index=units, columns=segments, fill_value=0).to_numpy(dtype=np.float64)
    totals = shares.sum(axis=1, keepdims=True)
    # A spelling mismatch (e.g. "in" for "in_province") would silently switch weighting off: refuse it.
    if not (totals > 0).any():
        raise CdciInputError("invited matches no unit and segment of the answers")
    return np.asarray(np.divide(shares, totals, out=np.zeros_like(shares), where=totals > 0))


# ------------------------------------------------------------------------------- the method, by step


def _cell_sums(survey: _Survey, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For replicates x rows weights (how often each row is drawn), the sums per replicate, unit and
    segment: value sums (B, U, G, Q), answer counts (B, U, G, Q), respondents drawn (B, U, G).

    Matrix products give every replicate's sums at once; the point estimate is weights of all ones.
    """
    replicates, unit_count, segment_count = counts.shape[0], len(survey.units), survey.segment_count
    question_count = len(survey.questions)
    value_sums = np.zeros((replicates, unit_count, segment_count, question_count))
    answer_counts = np.zeros_like(value_sums)
    drawn = np.zeros((replicates, unit_count, segment_count))
    for unit in range(unit_count):
        for segment in range(segment_count):
            cell = unit * segment_count + segment
            start, stop = survey.cell_offsets[cell], survey.cell_offsets[cell + 1]
            if start == stop:
                continue
            block = counts[:, start:stop]
            value_sums[:, unit, segment] = block @ survey.values[start:stop]
            drawn[:, unit, segment] = block.sum(axis=1)
            if survey.cell_complete[cell]:
                answer_counts[:, unit, segment] = drawn[:, unit, segment, None]
            else:
                answer_counts[:, unit, segment] = block @ survey.answered[start:stop]
    return value_sums, answer_counts, drawn


def _segment_coefficients(drawn: np.ndarray, invited_share: np.ndarray | None, same_group: np.ndarray) -> np.ndarray:
    """(B, U, G) weight of each segment's respondents in the question mean.

    Unweighted, every answer counts once (1). Post-stratified, a respondent of segment group s weighs
    w = P_s / (n_s / n), P_s the group's share of the unit's invitations (renormalised over the segments
    with respondents), n_s / n its share of the unit's respondents, capped at WEIGHT_CAP. A unit whose
    invitations are unknown (or only in segments without respondents) stays unweighted.
    """
    if invited_share is None:
        return np.ones_like(drawn)
    present = drawn > 0
    share = np.where(present, invited_share[None], 0.0)
    share_total = share.sum(axis=-1, keepdims=True)
    share = np.divide(share, share_total, out=np.zeros_like(share), where=share_total > 0)
    group_share = np.einsum("bug,ugh->buh", share, same_group)
    group_drawn = np.einsum("bug,ugh->buh", drawn, same_group)
    total = drawn.sum(axis=-1, keepdims=True)
    weight = np.divide(group_share * total, group_drawn, out=np.zeros_like(drawn), where=group_drawn > 0)
    weight = np.minimum(weight, WEIGHT_CAP)
    return np.where(share_total > 0, weight, present.astype(np.float64))


def _effective_sizes(drawn: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """(U,) Kish effective sample size (sum w)^2 / sum w^2 of the point estimate's respondent weights."""
    weight_sum = (drawn * coefficients).sum(axis=-1)
    square_sum = (drawn * coefficients**2).sum(axis=-1)
    return np.asarray(np.divide(weight_sum**2, square_sum, out=np.zeros_like(weight_sum), where=square_sum > 0))


def _question_means(value_sums: np.ndarray, answer_counts: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """(B, U, Q) mean of the answers of each unit and question: NaN where nobody answered."""
    numerator = np.einsum("bug,bugq->buq", coefficients, value_sums)
    denominator = np.einsum("bug,bugq->buq", coefficients, answer_counts)
    return np.asarray(np.divide(numerator, denominator, out=np.full_like(numerator, np.nan), where=denominator > 0))


def _minmax_bounds(
    means: np.ndarray, history_min: np.ndarray, history_max: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(B, Q) min and max of each question over the units (and the history), ignoring missing means."""
    low = np.where(np.isnan(means), np.inf, means).min(axis=1)
    high = np.where(np.isnan(means), -np.inf, means).max(axis=1)
    low, high = np.fmin(low, history_min), np.fmax(high, history_max)  # fmin/fmax skip a NaN history
    low[np.isinf(low)], high[np.isinf(high)] = np.nan, np.nan
    return low, high


def _standardise(means: np.ndarray, negative: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(B, U, Q) scores on 1-10: 1 + 9(X - min)/(max - min), or 10 - 9(...) for a negative indicator.

    A mean beyond the bounds scores 1 or 10 (fixed bounds: a number's declared range); when max == min
    (min-max over units that all agree) everyone gets 10.
    """
    spread = (high - low)[:, None, :]
    position = np.divide(means - low[:, None, :], spread, out=np.zeros_like(means), where=spread > _EQUAL_SPREAD)
    position = np.clip(position, 0.0, 1.0)
    scores = np.where(negative, 10.0 - 9.0 * position, 1.0 + 9.0 * position)
    scores = np.where(spread > _EQUAL_SPREAD, scores, 10.0)
    return np.where(np.isnan(means), np.nan, scores)


def _component_indexes(scores: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """(B, U, K) mean of the unit's standardised questions of each component, skipping unanswered ones."""
    answered = ~np.isnan(scores)
    sums = np.where(answered, scores, 0.0) @ membership
    counts = answered.astype(np.float64) @ membership
    return np.asarray(np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0))


def _business_scores(indexes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B, U) weighted mean of the component indexes scaled to 100: sum(w% * index) / 10 when all exist.

    A component the unit has no score for is left out and the others' weights renormalised (reported in
    the result's flags as unanswered).
    """
    return sensitivity.aggregate(indexes, weights, sensitivity.ARITHMETIC)


def _blend(business: np.ndarray, assessment: np.ndarray, business_share: np.ndarray) -> np.ndarray:
    """(B, U) total = share * business score + (1 - share) * assessment (share is 1 without assessment)."""
    return np.asarray(business_share * business + (1.0 - business_share) * np.nan_to_num(assessment))


def _ranks(values: np.ndarray, decimals: int) -> np.ndarray:
    """Rank along the last axis, highest first, ties sharing the best rank ('min'), on rounded values.

    Rank = 1 + the number of units strictly ahead; NaN stays unranked.
    """
    rounded = np.round(values, decimals)
    ahead = (rounded[..., None, :] > rounded[..., :, None]).sum(axis=-1)
    return np.where(np.isnan(rounded), np.nan, 1.0 + ahead)


@dataclass(frozen=True)
class _Model:
    """Everything but the answers: questionnaire arrays, bounds, blend, in survey order."""

    negative: np.ndarray  # (Q,) bool
    membership: np.ndarray  # (Q, K) one-hot question -> component
    weights: np.ndarray  # (K,) percent
    normalisation: str
    scale_low: np.ndarray  # (Q,) fixed bounds, NaN where not declared
    scale_high: np.ndarray
    history_min: np.ndarray  # (Q,), NaN without history
    history_max: np.ndarray
    assessment: np.ndarray  # (U,), NaN without
    business_share: np.ndarray  # (U,) 0-1
    left_out: np.ndarray  # (U, Q) bool: answered by too few respondents to enter the unit's scores

    def bounds(self, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.normalisation == FIXED:
            replicates = means.shape[0]
            return np.tile(self.scale_low, (replicates, 1)), np.tile(self.scale_high, (replicates, 1))
        low, high = _minmax_bounds(means, self.history_min, self.history_max)
        return low, high


def _score(
    survey: _Survey, model: _Model, value_sums: np.ndarray, answer_counts: np.ndarray, drawn: np.ndarray
) -> dict[str, np.ndarray]:
    """All steps from the cell sums of B replicates to their totals."""
    coefficients = _segment_coefficients(drawn, survey.invited_share, survey.same_group)
    # Decided once on the point estimate, so that every replicate scores the same questions.
    means = np.where(model.left_out, np.nan, _question_means(value_sums, answer_counts, coefficients))
    low, high = model.bounds(means)
    scores = _standardise(means, model.negative, low, high)
    indexes = _component_indexes(scores, model.membership)
    business = _business_scores(indexes, model.weights)
    total = _blend(business, model.assessment, model.business_share)
    return {
        "coefficients": coefficients,
        "means": means,
        "low": low,
        "high": high,
        "scores": scores,
        "indexes": indexes,
        "business": business,
        "total": total,
    }


def _point_sums(survey: _Survey) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cell sums of the one replicate in which each respondent counts once: (1, U, ...) arrays."""
    return _cell_sums(survey, np.ones((1, len(survey.row_cluster))))


def _bootstrap_totals(
    survey: _Survey, model: _Model, replicates: int, seed: int, progress: Callable[[float], None] | None = None
) -> np.ndarray:
    """(B, U) totals of `replicates` resamples that follow the design.

    Clusters (businesses) are drawn with replacement within their stratum, n_h - 1 of the n_h clusters
    (Rao and Wu's rescaling bootstrap: each draw counts n_h / (n_h - 1), which makes the replicate
    variance of a mean the usual unbiased one). A cluster drawn brings all its rows, i.e. its answers
    about every unit it rated. Replicates are drawn in chunks so that memory stays bounded; `progress`,
    when given, is called with the share of replicates done.
    """
    rng = np.random.default_rng(seed)
    sizes = survey.stratum_size
    draws = np.maximum(sizes - 1, 1)
    draw_stratum = np.repeat(np.arange(len(sizes)), draws)
    draw_start, draw_size = survey.stratum_start[draw_stratum], sizes[draw_stratum]
    cluster_scale = np.empty(survey.cluster_count)
    cluster_scale[survey.cluster_order] = np.repeat(sizes / draws, sizes)
    cluster_count, row_count = survey.cluster_count, len(survey.row_cluster)
    chunk = max(1, _MAX_DRAW_ELEMENTS // max(row_count, len(draw_stratum), cluster_count))
    # At least PROGRESS_STEPS chunks, so that a page polling the progress sees it move.
    chunk = min(chunk, max(1, -(-replicates // PROGRESS_STEPS)))
    totals = np.empty((replicates, len(survey.units)))
    for first in range(0, replicates, chunk):
        count = min(chunk, replicates - first)
        position = draw_start + np.floor(rng.random((count, len(draw_stratum))) * draw_size).astype(np.int64)
        picked = survey.cluster_order[position] + np.arange(count)[:, None] * cluster_count
        cluster_weights = np.bincount(picked.ravel(), minlength=count * cluster_count).reshape(count, cluster_count)
        row_weights = (cluster_weights * cluster_scale)[:, survey.row_cluster]
        totals[first : first + count] = _score(survey, model, *_cell_sums(survey, row_weights))["total"]
        if progress is not None:
            progress((first + count) / replicates)
    return totals


# ------------------------------------------------------------------------ validating the questionnaire


def _check_questionnaire(questions: pd.DataFrame, components: pd.DataFrame) -> None:
    require_columns(questions, ("question", "component", "direction"), "questions")
    require_columns(components, ("component", "weight"), "components")
    if questions["question"].duplicated().any():
        raise CdciInputError("questions lists a question twice")
    if components["component"].duplicated().any():
        raise CdciInputError("components lists a component twice")
    bad_direction = ~questions["direction"].isin([POSITIVE, NEGATIVE])
    if bad_direction.any():
        raise CdciInputError(f"direction must be positive or negative: {questions['question'][bad_direction].tolist()}")
    unknown = ~questions["component"].isin(components["component"])
    if unknown.any():
        raise CdciInputError(f"questions belong to unknown components: {questions['question'][unknown].tolist()}")
    check_weights(pd.to_numeric(components["weight"], errors="coerce").astype(float))


def _scale_bounds(questions: pd.DataFrame, required: bool) -> tuple[np.ndarray, np.ndarray]:
    """(Q,) fixed bounds of each question; with `required`, every question must have them, low < high."""
    low = pd.to_numeric(questions.get("scale_min", pd.Series(np.nan, index=questions.index)), errors="coerce")
    high = pd.to_numeric(questions.get("scale_max", pd.Series(np.nan, index=questions.index)), errors="coerce")
    low_values, high_values = low.to_numpy(dtype=np.float64), high.to_numpy(dtype=np.float64)
    if required:
        missing = questions["question"][np.isnan(low_values) | np.isnan(high_values)].tolist()
        if missing:
            raise CdciInputError(
                "fixed bounds need a declared range (scale_min, scale_max) for question(s) "
                + ", ".join(map(str, missing))
            )
        reversed_ = questions["question"][~(low_values < high_values)].tolist()
        if reversed_:
            raise CdciInputError(f"scale_min must be below scale_max for question(s) {', '.join(map(str, reversed_))}")
    return low_values, high_values


def _membership(questions: pd.DataFrame, components: pd.DataFrame) -> np.ndarray:
    component_index = pd.Index(components["component"])
    membership = np.zeros((len(questions), len(component_index)))
    membership[np.arange(len(questions)), component_index.get_indexer(questions["component"])] = 1.0
    return membership


def _history_bounds(history: pd.DataFrame | None, questions: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Per question min and max of the earlier campaigns' unit means (NaN where there is none)."""
    if history is None or len(history) == 0:
        return np.full(len(questions), np.nan), np.full(len(questions), np.nan)
    require_columns(history, ("unit", "question", "mean"), "history")
    grouped = history.dropna(subset=["mean"]).groupby("question")["mean"]
    return (
        grouped.min().reindex(questions).to_numpy(dtype=np.float64),
        grouped.max().reindex(questions).to_numpy(dtype=np.float64),
    )


def _blend_shares(
    units: pd.Index, assessment: pd.Series | None, blend: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: its assessment (NaN without) and the business share of its total (1 without assessment)."""
    business_part, assessment_part = check_blend(blend)
    values = np.full(len(units), np.nan)
    if assessment is not None:
        values = pd.Series(assessment, dtype=np.float64).reindex(units).to_numpy()
        if ((values < 0) | (values > 100)).any() or np.isinf(values).any():
            raise CdciInputError("an assessment lies outside 0-100")
    share = np.where(np.isnan(values), 1.0, business_part / (business_part + assessment_part))
    return values, share


def _effective_weights(components: pd.DataFrame, component_weights: Mapping[str, float] | None) -> np.ndarray:
    """(K,) the weights used: the questionnaire's, or `component_weights` (code -> percent) for all of them."""
    if component_weights is None:
        return pd.to_numeric(components["weight"]).astype(float).to_numpy()
    codes = list(components["component"])
    unknown = sorted(set(map(str, component_weights)) - set(map(str, codes)))
    missing = [code for code in codes if code not in component_weights]
    if unknown or missing:
        raise CdciInputError(
            f"component_weights must give every component a weight (unknown: {unknown}, missing: {missing})"
        )
    weights = [float(component_weights[code]) for code in codes]
    check_weights(weights)
    return np.array(weights)


def matching_questions(current: pd.DataFrame, before: pd.DataFrame) -> list[Any]:
    """Codes of this year's questions asked last year in the same component, kind, scale and direction."""
    before = before.drop_duplicates("question").set_index("question")
    matched = []
    for row in current.to_dict("records"):
        code = row["question"]
        if code not in before.index:
            continue
        old = before.loc[code]
        same = all(
            _same(row.get(column), old.get(column))
            for column in ("component", "direction", "kind", "scale_min", "scale_max")
        )
        if same:
            matched.append(code)
    return matched


def _same(a: Any, b: Any) -> bool:
    a_missing, b_missing = (
        a is None or (isinstance(a, float) and np.isnan(a)),
        b is None or (isinstance(b, float) and np.isnan(b)),
    )
    if a_missing or b_missing:
        return a_missing and b_missing
    try:
        return bool(float(a) == float(b))
    except (TypeError, ValueError):
        return str(a) == str(b)


# ------------------------------------------------------------------------------ year on year changes


@dataclass(frozen=True)
class _Before:
    """Last year's figures for this year's units (NaN where a unit was not ranked then)."""

    total: np.ndarray  # (U,) on this year's method when like for like
    published_total: np.ndarray
    rank: np.ndarray
    indexes: np.ndarray  # (U, K)
    weights: np.ndarray  # (K,)
    assessment: np.ndarray
    share: np.ndarray
    like_for_like: bool
    matched_questions: int


def _before(
    previous: PreviousResult,
    units: pd.Index,
    questions: pd.DataFrame,
    components: pd.Index,
    model: _Model,
    point: Mapping[str, np.ndarray],
    blend: Sequence[float],
) -> _Before:
    """Last year's result, re-expressed on this year's bounds, weights and blend when its question means
    and questionnaire are known (questions unchanged in component, kind, scale and direction only)."""
    require_columns(previous.units, ("total",), "previous.units")
    rows = previous.units.reindex(units)
    published_total = rows["total"].to_numpy(dtype=np.float64)
    rank = rows["rank"].to_numpy(dtype=np.float64) if "rank" in rows else np.full(len(units), np.nan)
    assessment = rows["assessment"].to_numpy(dtype=np.float64) if "assessment" in rows else np.full(len(units), np.nan)
    if previous.question_means is not None and previous.questions is not None:
        matched = matching_questions(questions, previous.questions)
        means = previous.question_means.reindex(index=units, columns=pd.Index(questions["question"]))
        means.loc[:, ~means.columns.isin(matched)] = np.nan
        scores = _standardise(
            means.to_numpy(dtype=np.float64)[None], model.negative, point["low"][None], point["high"][None]
        )
        indexes = _component_indexes(scores, model.membership)[0]
        business = _business_scores(indexes[None], model.weights)[0]
        business_part, assessment_part = check_blend(blend)
        share = np.where(np.isnan(assessment), 1.0, business_part / (business_part + assessment_part))
        total = np.where(np.isnan(published_total), np.nan, _blend(business, assessment, share))
        return _Before(total, published_total, rank, indexes, model.weights, assessment, share, True, len(matched))
    indexes = previous.component_indexes.reindex(index=units, columns=components).to_numpy(dtype=np.float64)
    weights = model.weights if previous.component_weights is None else previous.component_weights
    weights = pd.Series(weights, index=components if previous.component_weights is None else None)
    weights = weights.astype(float).reindex(components).to_numpy()
    share = rows["business_share"].to_numpy(dtype=np.float64) if "business_share" in rows else model.business_share
    share = np.where(np.isnan(share), model.business_share, share)
    return _Before(published_total, published_total, rank, indexes, weights, assessment, share, False, 0)


def _effective_component_weights(indexes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(U, K) each component's share of the business score: its weight over the weights present."""
    present = ~np.isnan(indexes)
    weight = np.where(present, weights[None], 0.0)
    total = weight.sum(axis=1, keepdims=True)
    return np.asarray(np.divide(weight, total, out=np.zeros_like(weight), where=total > 0))


def _decompose(
    indexes_now: np.ndarray,
    weights_now: np.ndarray,
    share_now: np.ndarray,
    assessment_now: np.ndarray,
    before: _Before,
) -> np.ndarray:
    """(U, K + 1) the parts of the change: per component 10 (s1 e1_k I1_k - s0 e0_k I0_k), where e is the
    component's share of the weights present, and the assessment's (1 - s1) A1 - (1 - s0) A0."""
    now = (
        10.0 * share_now[:, None] * _effective_component_weights(indexes_now, weights_now) * np.nan_to_num(indexes_now)
    )
    then = 10.0 * before.share[:, None] * _effective_component_weights(before.indexes, before.weights)
    then = then * np.nan_to_num(before.indexes)
    assessment_part = (1.0 - share_now) * np.nan_to_num(assessment_now) - (1.0 - before.share) * np.nan_to_num(
        before.assessment
    )
    return np.column_stack([now - then, assessment_part])


# ---------------------------------------------------------------------------------------- the whole


def compute_cdci(
    answers: pd.DataFrame,
    questions: pd.DataFrame,
    components: pd.DataFrame,
    *,
    invited: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    assessment: pd.Series | None = None,
    blend: Sequence[float] = DEFAULT_BLEND,
    tiers: Sequence[tuple[float, str]] = DEFAULT_TIERS,
    previous: PreviousResult | None = None,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    decimals: int = DEFAULT_DECIMALS,
    normalisation: str = FIXED,
    min_respondents: int = DEFAULT_MIN_RESPONDENTS,
    component_weights: Mapping[str, float] | None = None,
    sensitivity_draws: int = DEFAULT_SENSITIVITY_DRAWS,
    progress: Callable[[float], None] | None = None,
    min_question_answers: int = DEFAULT_MIN_QUESTION_ANSWERS,
) -> CdciResult:
    """The campaign's CDCI: scores, ranks, tiers, intervals, comparisons, sensitivity and changes.

    Units with fewer valid respondents than `min_respondents` are not ranked and get no numbers (listed in
    not_enough_units); fewer than 3 rankable units is refused. A unit's question answered by fewer than
    `min_question_answers` respondents is left out of that unit's scores (flags["left_out"]), as if
    unanswered, so that no published figure contains a mean too thin to publish. `invited` switches segment
    weighting on; `history` widens min-max bounds over earlier campaigns; `replicates=0` skips the bootstrap (intervals
    NaN, no comparisons); `sensitivity_draws=0` skips the sensitivity analysis. Same inputs and seed, same
    numbers. `progress`, when given, is called during the bootstrap with the share done (0-1].
    """
    _check_questionnaire(questions, components)
    check_normalisation(normalisation)
    check_confidence(confidence)
    check_replicates(replicates)
    check_min_respondents(min_respondents)
    check_min_respondents(min_question_answers, "min_question_answers")
    check_decimals(decimals)
    check_blend(blend)
    if isinstance(sensitivity_draws, bool) or not isinstance(sensitivity_draws, int) or sensitivity_draws < 0:
        raise CdciInputError(f"sensitivity_draws must be a whole number >= 0, not {sensitivity_draws!r}")
    question_index = pd.Index(questions["question"])
    component_index = pd.Index(components["component"])
    weights = _effective_weights(components, component_weights)
    scale_low, scale_high = _scale_bounds(questions, required=normalisation == FIXED)

    answered = _answered_rows(answers)
    respondent_units = answered[["respondent_id", "unit"]].drop_duplicates()
    if respondent_units["respondent_id"].duplicated().any():
        raise CdciInputError("a respondent_id appears with more than one unit")
    respondents = respondent_units.groupby("unit", observed=True).size()
    rankable = respondents.index[respondents >= min_respondents]
    not_enough = sorted(respondents.index[respondents < min_respondents], key=str)
    if len(rankable) < MIN_RANKABLE_UNITS:
        raise CdciInputError(
            f"only {len(rankable)} unit(s) have at least {min_respondents} valid respondents: "
            f"at least {MIN_RANKABLE_UNITS} are needed to rank"
        )
    survey = _prepare_survey(answered[answered["unit"].isin(rankable)], question_index, invited)
    units = survey.units
    assessment_values, business_share = _blend_shares(units, assessment, blend)
    history_min, history_max = _history_bounds(history, question_index)
    point_sums = _point_sums(survey)
    answer_counts = point_sums[1][0].sum(axis=1)  # (U, Q) respondents who answered, unweighted
    model = _Model(
        negative=(questions["direction"] == NEGATIVE).to_numpy(),
        membership=_membership(questions, components),
        weights=weights,
        normalisation=normalisation,
        scale_low=scale_low,
        scale_high=scale_high,
        history_min=history_min,
        history_max=history_max,
        assessment=assessment_values,
        business_share=business_share,
        left_out=(answer_counts > 0) & (answer_counts < min_question_answers),
    )

    point = {name: values[0] for name, values in _score(survey, model, *point_sums).items()}
    drawn = point_sums[2][0]
    effective_n = _effective_sizes(drawn, point["coefficients"])
    segment_counts = pd.DataFrame(drawn, index=units, columns=survey.segments).astype(int)
    question_counts = pd.DataFrame(answer_counts, index=units, columns=question_index).astype(int)

    # Round once: everything below (rank, tier, first on, changes, differences) uses the rounded figures.
    total = round_half_up(point["total"], decimals)
    indexes = pd.DataFrame(round_half_up(point["indexes"], decimals), index=units, columns=component_index)
    frame = pd.DataFrame(index=units)
    frame["respondents"] = segment_counts.sum(axis=1)
    frame["effective_n"] = round_half_up(effective_n, 1)
    frame["business_score"] = round_half_up(point["business"], decimals)
    frame["assessment"] = round_half_up(assessment_values, decimals)
    frame["business_share"] = business_share
    frame["total"] = total
    frame["rank"] = _ranks(total, decimals)
    frame["tier"] = assign_tiers(frame["total"], tiers, decimals)
    frame["first_on"] = first_on_components(indexes, decimals)
    frame["components"] = len(component_index)

    bootstrap_totals = np.empty((0, len(units)))
    for column in ("total_low", "total_high", "rank_low", "rank_high"):
        frame[column] = np.nan
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    if replicates > 0:
        bootstrap_totals = _bootstrap_totals(survey, model, replicates, seed, progress)
        # Degrees of freedom of a unit's variance: its effective sample size less one per stratum it lies in.
        degrees = np.maximum(effective_n - _unit_strata(survey, len(units)), 1.0)
        low, high = intervals.total_intervals(bootstrap_totals, confidence, degrees)
        frame["total_low"], frame["total_high"] = round_half_up(low, decimals), round_half_up(high, decimals)
        pairs = intervals.pairwise_differences(bootstrap_totals, confidence, degrees)
        frame["rank_low"], frame["rank_high"] = intervals.rank_intervals(pairs[0], pairs[1], frame["rank"].to_numpy())

    sensitivity_settings = _method_sensitivity(frame, model, point, blend, sensitivity_draws, seed)

    component_changes = pd.DataFrame(np.nan, index=units, columns=component_index)
    contributions = pd.DataFrame(np.nan, index=units, columns=[*component_index, "assessment", "other"])
    for column in ("previous_total", "previous_published_total", "total_change", "previous_rank", "rank_change"):
        frame[column] = np.nan
    like_for_like, matched = False, 0
    if previous is not None:
        before = _before(previous, units, questions, component_index, model, point, blend)
        like_for_like, matched = before.like_for_like, before.matched_questions
        previous_total = round_half_up(before.total, decimals)
        frame["previous_total"] = previous_total
        frame["previous_published_total"] = before.published_total
        change = exact_difference(total, previous_total, decimals)
        frame["total_change"] = change
        frame["previous_rank"] = before.rank
        frame["rank_change"] = before.rank - frame["rank"].to_numpy()
        component_changes.loc[:, :] = exact_difference(
            indexes.to_numpy(), round_half_up(before.indexes, decimals), decimals
        )
        parts = round_half_up(
            _decompose(point["indexes"], weights, business_share, assessment_values, before), decimals
        )
        other = exact_difference(change, np.nansum(parts, axis=1), decimals)
        values = np.column_stack([parts, other])
        values[np.isnan(change)] = np.nan  # a unit absent before has no change to explain
        contributions.loc[:, :] = values

    order = frame.sort_values(["rank", "total"], ascending=[True, False], kind="stable").index
    positions = units.get_indexer(order)
    comparisons = _adjacent_comparisons(frame.loc[order], positions, pairs, decimals)
    return CdciResult(
        units=frame.loc[order],
        question_means=pd.DataFrame(point["means"], index=units, columns=question_index).loc[order],
        question_scores=pd.DataFrame(point["scores"], index=units, columns=question_index).loc[order],
        question_bounds=pd.DataFrame(
            {"direction": questions["direction"].to_numpy(), "min": point["low"], "max": point["high"]},
            index=question_index,
        ),
        component_indexes=indexes.loc[order],
        component_ranks=pd.DataFrame(rank_with_ties(indexes, decimals)).loc[order],
        component_changes=component_changes.loc[order],
        component_weights=pd.Series(weights, index=component_index, name="weight"),
        contributions=contributions.loc[order],
        segment_counts=segment_counts.loc[order],
        bootstrap_totals=bootstrap_totals[:, positions] if replicates > 0 else bootstrap_totals,
        comparisons=comparisons,
        question_counts=question_counts.loc[order],
        not_enough_units=list(not_enough),
        flags=_flags(question_counts.loc[order], indexes.loc[order], point, units, order, questions, survey, model),
        questions=questions.reindex(columns=list(QUESTION_META)).reset_index(drop=True),
        settings={
            "weight_by_segment": invited is not None,
            "history_campaigns": 0 if history is None or "year" not in history else int(history["year"].nunique()),
            "blend": [float(part) for part in blend],
            "tiers": [[float(threshold), label] for threshold, label in tiers],
            "replicates": int(replicates),
            "seed": int(seed),
            "confidence": float(confidence),
            "decimals": int(decimals),
            "normalisation": normalisation,
            "min_respondents": int(min_respondents),
            "min_question_answers": int(min_question_answers),
            "component_weights": {str(code): float(w) for code, w in zip(component_index, weights, strict=True)},
            "sensitivity": sensitivity_settings,
            "weight_cap": WEIGHT_CAP,
            "merge_segments_below": MERGE_SEGMENTS_BELOW,
            "previous_like_for_like": like_for_like,
            "previous_questions_matched": matched,
        },
    )


def _method_sensitivity(
    frame: pd.DataFrame,
    model: _Model,
    point: Mapping[str, np.ndarray],
    blend: Sequence[float],
    draws: int,
    seed: int,
) -> dict[str, object] | None:
    """Fill method_rank_median / _low / _high (90% of draws) and return the settings used (None: skipped)."""
    for column in ("method_rank_median", "method_rank_low", "method_rank_high"):
        frame[column] = np.nan
    if draws == 0:
        return None
    fixed_possible = not (np.isnan(model.scale_low).any() or np.isnan(model.scale_high).any())
    normalisations = [FIXED, MINMAX] if fixed_possible else [MINMAX]
    means = point["means"][None]
    indexes_by = {}
    for name in normalisations:
        low, high = replace(model, normalisation=name).bounds(means)
        indexes_by[name] = _component_indexes(_standardise(means, model.negative, low, high), model.membership)[0]
    business_part, assessment_part = check_blend(blend)
    settings = sensitivity.settings_for(
        draws, 100.0 * business_part / (business_part + assessment_part), normalisations
    )
    ranks = sensitivity.rank_distribution(indexes_by, model.weights, model.assessment, settings, seed)
    median, low_rank, high_rank = sensitivity.summarise(ranks, METHOD_RANK_COVERAGE)
    frame["method_rank_median"], frame["method_rank_low"], frame["method_rank_high"] = median, low_rank, high_rank
    return settings.as_dict()


def _adjacent_comparisons(
    ordered: pd.DataFrame,
    positions: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    decimals: int,
) -> pd.DataFrame:
    """One row per adjacent pair in rank order (none without replicates)."""
    columns = ["ahead", "behind", "difference", "difference_low", "difference_high", "flip_share", "distinguishable"]
    if pairs is None:
        return pd.DataFrame(columns=columns)
    low, high, behind_share = pairs
    rows = []
    totals = ordered["total"].to_numpy()
    for k in range(len(ordered) - 1):
        a, b = positions[k], positions[k + 1]
        difference_low = round_half_up(np.array([low[a, b]]), decimals)[0]
        rows.append(
            {
                "ahead": ordered.index[k],
                "behind": ordered.index[k + 1],
                "difference": exact_difference(np.array([totals[k]]), np.array([totals[k + 1]]), decimals)[0],
                "difference_low": difference_low,
                "difference_high": round_half_up(np.array([high[a, b]]), decimals)[0],
                "flip_share": round_half_up(np.array([behind_share[a, b]]), 3)[0],
                "distinguishable": bool(difference_low > 0),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _flags(
    question_counts: pd.DataFrame,
    indexes: pd.DataFrame,
    point: Mapping[str, np.ndarray],
    units: pd.Index,
    order: pd.Index,
    questions: pd.DataFrame,
    survey: _Survey,
    model: _Model,
) -> dict[str, list[Any]]:
    """What the reader must be told: thin questions, questions left out of a unit, unanswered parts,
    merged segments."""
    answered_at = (question_counts > 0).sum(axis=0)
    means = pd.DataFrame(point["means"], index=units, columns=question_counts.columns).loc[order].to_numpy()
    left_out = pd.DataFrame(model.left_out, index=units, columns=question_counts.columns).loc[order]
    counts = question_counts.to_numpy()
    index_values = indexes.to_numpy(dtype=np.float64)
    question_component = pd.Index(indexes.columns).get_indexer(pd.Index(questions["component"]))
    unanswered: list[dict[str, Any]] = []
    for row, unit in enumerate(order):
        for k, component in enumerate(indexes.columns):
            if np.isnan(index_values[row, k]):
                unanswered.append({"unit": unit, "component": component, "question": None})
                continue
            for q, question in enumerate(question_counts.columns):
                if question_component[q] == k and np.isnan(means[row, q]) and counts[row, q] == 0:
                    unanswered.append({"unit": unit, "component": component, "question": question})
    thin_rows, thin_columns = np.nonzero(left_out.to_numpy())
    return {
        "questions_at_few_units": [q for q in question_counts.columns if answered_at[q] < FEW_UNITS_PER_QUESTION],
        "left_out": [
            {"unit": order[row], "question": question_counts.columns[q], "answers": int(counts[row, q])}
            for row, q in zip(thin_rows.tolist(), thin_columns.tolist(), strict=True)
        ],
        "unanswered": unanswered,
        "merged_segments": [{"unit": unit, "segments": segments} for unit, segments in survey.merged_segments],
    }


# ------------------------------------------------------------------ public steps on DataFrames (tests)


def rank_with_ties(values: pd.Series | pd.DataFrame, decimals: int = DEFAULT_DECIMALS) -> pd.Series | pd.DataFrame:
    """Rank 1 = highest, on values rounded half-up to `decimals`; equal values share the best rank (1, 1, 3).

    A DataFrame is ranked column by column (e.g. units x components).
    """
    array = round_half_up(values.to_numpy(dtype=np.float64), decimals)
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(_ranks(array.T, decimals).T, index=values.index, columns=values.columns).astype("Int64")
    return pd.Series(_ranks(array, decimals), index=values.index, name="rank").astype("Int64")


def assign_tiers(
    totals: pd.Series, tiers: Sequence[tuple[float, str]] = DEFAULT_TIERS, decimals: int = DEFAULT_DECIMALS
) -> pd.Series:
    """Tier label of each total (rounded half-up): the first band, highest threshold first, it reaches."""
    bands = sorted(((float(threshold), label) for threshold, label in tiers), reverse=True)
    rounded = round_half_up(totals.to_numpy(dtype=np.float64), decimals)
    labels = np.full(len(rounded), None, dtype=object)
    for threshold, label in reversed(bands):  # a few bands: the highest band reached is written last
        labels[rounded >= threshold] = label
    return pd.Series(labels, index=totals.index, name="tier")


def first_on_components(indexes: pd.DataFrame, decimals: int = DEFAULT_DECIMALS) -> pd.Series:
    """Per unit, on how many components it ranks first (ties for first count for each of them)."""
    firsts = pd.DataFrame(rank_with_ties(indexes, decimals) == 1)
    return pd.Series(firsts.sum(axis="columns").astype(int), name="first_on")
