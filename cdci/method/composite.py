"""The yearly CDCI of customs units, computed the PCI/DDCI way (docs/cdci-methodology.md states the formulas).

Pure numpy/pandas with no Django import (DESIGN.md): the Django side loads a campaign's valid responses
into the frames below, calls `compute_cdci` and stores the `CdciResult` it returns.

Inputs (column names are the contract with the Django side):

- answers: one row per answer of a valid response: `respondent_id` (the response id: one business about
  one unit), `unit`, `segment` (e.g. "in_province" / "out_of_province"), `question` (its code), `value`
  (float: agreement 1-5, yes 1 / no 0, a number as given, the score of the chosen option). Categorical
  dtypes for unit, segment and question save memory on large campaigns.
- questions: `question`, `component`, `direction` ("positive" or "negative"), in questionnaire order.
- components: `component`, `weight` (percent, summing to 100), in questionnaire order.
- invited (optional, for segment weighting): `unit`, `segment`, `invited` (number of invitations).
- history (optional, for min/max over three campaigns): `unit`, `question`, `mean`, the raw question means
  of up to the last two campaigns (other columns such as `year` are ignored).
- assessment (optional): Series unit -> the department's own assessment, 0-100.
- previous (optional): a `PreviousResult`, the last published result, for changes and their decomposition.

Every step is a small function that works on arrays with a leading replicate axis, so the point estimate
(one replicate in which every respondent counts once) and the 1,000 bootstrap replicates run through the
same code, standardisation included. The DataFrame functions (`question_means`, `standardise_questions`,
...) wrap those steps for tests and for the Django side.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

POSITIVE = "positive"
NEGATIVE = "negative"
DEFAULT_BLEND = (70.0, 30.0)  # business share, assessment share (Quảng Ninh since 2024)
DEFAULT_TIERS: tuple[tuple[float, str], ...] = ((90.0, "Rất tốt"), (80.0, "Tốt"), (65.0, "Khá"), (0.0, "Trung bình"))
DEFAULT_REPLICATES = 1000
# Any fixed number makes the intervals reproducible; the Django side stores the seed with the snapshot.
DEFAULT_SEED = 2017
DEFAULT_DECIMALS = 2  # published precision: ranks, tiers and "first on" use totals rounded to it
DEFAULT_CONFIDENCE = 0.95

# Below this spread the min and max of a question are treated as equal (every unit gets 10): means that
# are equal on paper can differ in the last bits once weights are applied.
_EQUAL_SPREAD = 1e-9
# Cap on the elements of one replicate x respondent count matrix, so a unit with very many respondents
# is resampled in chunks of replicates instead of one huge matrix.
_MAX_DRAW_ELEMENTS = 4_000_000

ANSWER_COLUMNS = ("respondent_id", "unit", "segment", "question", "value")


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PreviousResult:
    """The last published result of the same units, for changes and for the decomposition of a change.

    units: indexed by unit, column `total` (required) and, when known, `rank`, `business_score`,
    `assessment` (NaN where none) and `business_share` (0-1). Without `business_share` the previous
    campaign is assumed to have used this campaign's blend for the unit.
    component_indexes: unit x component, the published component indexes (1-10).
    component_weights: component -> weight in percent; this campaign's weights when omitted.
    """

    units: pd.DataFrame
    component_indexes: pd.DataFrame
    component_weights: pd.Series | None = None

    @classmethod
    def from_result(cls, result: CdciResult) -> PreviousResult:
        """The previous result as a CdciResult left it (what a published snapshot stores)."""
        columns = ["total", "rank", "business_score", "assessment", "business_share"]
        return cls(
            units=result.units[columns].copy(),
            component_indexes=result.component_indexes.copy(),
            component_weights=result.component_weights.copy(),
        )


@dataclass(frozen=True)
class CdciResult:
    """Everything a campaign's computation produces; every frame is indexed by unit in rank order.

    units: respondents (valid responses), business_score (0-100), assessment, business_share (0-1), total,
        rank (ties share the best rank), tier, first_on (components on which the unit ranks first) and
        components (how many there are), total_low / total_high and rank_low / rank_high (bootstrap
        percentile interval), statistically_tied (its interval overlaps a neighbour's in rank order),
        tie_group (units chained by overlapping intervals share a number), previous_total, total_change,
        previous_rank, rank_change (positive = moved up).
    question_means: unit x question, the (weighted) mean of the answers.
    question_scores: unit x question, standardised to 1-10.
    question_bounds: question -> direction, min, max used by the standardisation.
    component_indexes / component_ranks / component_changes: unit x component.
    contributions: unit x (each component, "assessment", "other"): the parts of total_change.
    segment_counts: unit x segment, valid responses.
    bootstrap_totals: replicates x units array of totals (columns in `units.index` order).
    settings: the method settings used, to be stored with a publication.
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
    settings: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------ preparing input


@dataclass(frozen=True)
class _Survey:
    """The answers as a respondent x question matrix, respondents sorted by unit then segment.

    Rows of unit u and segment g are cell_offsets[u * G + g] : cell_offsets[u * G + g + 1].
    """

    units: pd.Index
    segments: pd.Index
    questions: pd.Index
    values: np.ndarray  # respondents x questions, 0.0 where unanswered
    answered: np.ndarray  # respondents x questions, 1.0 where answered (float: it enters matrix products)
    cell_offsets: np.ndarray
    cell_complete: np.ndarray  # per cell: every respondent answered every question (skips a product)
    invited_share: np.ndarray | None  # units x segments, each row sums to 1 (or 0 when unknown)

    @property
    def segment_count(self) -> int:
        return len(self.segments)

    def unit_rows(self, unit: int) -> slice:
        g = self.segment_count
        return slice(int(self.cell_offsets[unit * g]), int(self.cell_offsets[(unit + 1) * g]))


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")


def _codes_in(column: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value of `column` in `index` (-1 when absent), fast for categorical columns."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        category_positions = index.get_indexer(column.cat.categories)
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, category_positions[codes], -1)
    return index.get_indexer(column)


def _prepare_survey(answers: pd.DataFrame, questions: pd.Index, invited: pd.DataFrame | None) -> _Survey:
    """Check the answers and turn the long frame into the respondent x question matrix."""
    _require_columns(answers, ANSWER_COLUMNS, "answers")
    value = answers["value"].to_numpy(dtype=np.float64)
    keep = ~np.isnan(value)  # a blank answer is no answer
    if not keep.all():
        answers, value = answers[keep], value[keep]
    if len(answers) == 0:
        raise ValueError("answers is empty: no valid response to score")

    question_codes = _codes_in(answers["question"], questions)
    if (question_codes < 0).any():
        unknown = sorted(map(str, pd.unique(answers["question"][question_codes < 0])))[:10]
        raise ValueError(f"answers name questions missing from the questionnaire: {', '.join(unknown)}")
    unit_codes, units = pd.factorize(answers["unit"], sort=True)
    segment_codes, segments = pd.factorize(answers["segment"], sort=True)
    respondent_codes, respondent_ids = pd.factorize(answers["respondent_id"], sort=True)
    if (unit_codes < 0).any() or (segment_codes < 0).any() or (respondent_codes < 0).any():
        raise ValueError("answers has rows without a respondent, unit or segment")
    units, segments = pd.Index(units), pd.Index(segments)

    respondent_count, question_count, segment_count = len(respondent_ids), len(questions), len(segments)
    respondent_unit = np.empty(respondent_count, dtype=np.int64)
    respondent_unit[respondent_codes] = unit_codes
    respondent_segment = np.empty(respondent_count, dtype=np.int64)
    respondent_segment[respondent_codes] = segment_codes
    # A response is about one unit, from one business in one segment: any disagreement is a bad load.
    if (respondent_unit[respondent_codes] != unit_codes).any():
        raise ValueError("a respondent_id appears with more than one unit")
    if (respondent_segment[respondent_codes] != segment_codes).any():
        raise ValueError("a respondent_id appears with more than one segment")

    order = np.lexsort((np.arange(respondent_count), respondent_segment, respondent_unit))
    row_of_respondent = np.empty(respondent_count, dtype=np.int64)
    row_of_respondent[order] = np.arange(respondent_count)
    flat = row_of_respondent[respondent_codes] * question_count + question_codes
    answer_counts = np.bincount(flat, minlength=respondent_count * question_count)
    if answer_counts.max() > 1:
        raise ValueError("a respondent answers the same question twice")
    values = np.zeros(respondent_count * question_count, dtype=np.float64)
    values[flat] = value
    values = values.reshape(respondent_count, question_count)
    answered = answer_counts.reshape(respondent_count, question_count).astype(np.float64)
    del answer_counts, flat

    cell_sizes = np.bincount(respondent_unit * segment_count + respondent_segment, minlength=len(units) * segment_count)
    cell_offsets = np.concatenate([[0], np.cumsum(cell_sizes)])
    answered_per_row = answered.sum(axis=1)
    complete_rows = np.concatenate([[0], np.cumsum(answered_per_row == question_count)])
    cell_complete = (complete_rows[cell_offsets[1:]] - complete_rows[cell_offsets[:-1]]) == cell_sizes

    return _Survey(
        units=units,
        segments=segments,
        questions=questions,
        values=values,
        answered=answered,
        cell_offsets=cell_offsets,
        cell_complete=cell_complete,
        invited_share=None if invited is None else _invited_share(invited, units, segments),
    )


def _invited_share(invited: pd.DataFrame, units: pd.Index, segments: pd.Index) -> np.ndarray:
    """Units x segments: each segment's share of the unit's invitations (a row of zeros when unknown)."""
    _require_columns(invited, ("unit", "segment", "invited"), "invited")
    table = invited.pivot_table(index="unit", columns="segment", values="invited", aggfunc="sum", fill_value=0)
    table = table.reindex(index=units, columns=segments, fill_value=0).to_numpy(dtype=np.float64)
    totals = table.sum(axis=1, keepdims=True)
    # A spelling mismatch (e.g. "in" for "in_province") would silently switch weighting off: refuse it.
    if not (totals > 0).any():
        raise ValueError("invited matches no unit and segment of the answers")
    return np.divide(table, totals, out=np.zeros_like(table), where=totals > 0)


# ------------------------------------------------------------------------------- the method, by step


def _cell_sums(survey: _Survey, unit: int, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For one unit and replicates x respondents counts (how often each respondent is drawn), the sums
    per replicate and segment: value sums (r, G, Q), answer counts (r, G, Q), respondents drawn (r, G).

    Matrix products give every replicate's sums at once; the point estimate is counts of all ones.
    """
    replicates, segment_count = counts.shape[0], survey.segment_count
    question_count = len(survey.questions)
    value_sums = np.zeros((replicates, segment_count, question_count))
    answer_counts = np.zeros((replicates, segment_count, question_count))
    drawn = np.zeros((replicates, segment_count))
    first_row = survey.cell_offsets[unit * segment_count]
    for segment in range(segment_count):
        cell = unit * segment_count + segment
        start, stop = survey.cell_offsets[cell], survey.cell_offsets[cell + 1]
        if start == stop:
            continue
        block = counts[:, start - first_row : stop - first_row]
        value_sums[:, segment] = block @ survey.values[start:stop]
        drawn[:, segment] = block.sum(axis=1)
        if survey.cell_complete[cell]:
            answer_counts[:, segment] = drawn[:, segment, None]
        else:
            answer_counts[:, segment] = block @ survey.answered[start:stop]
    return value_sums, answer_counts, drawn


def _segment_coefficients(drawn: np.ndarray, invited_share: np.ndarray | None) -> np.ndarray:
    """(B, U, G) multiplier of each segment's sums in the question mean.

    Unweighted, every answer counts once (1). Post-stratified, respondent i of segment s weighs
    w_i = P_s / (n_s / n): the unit's n cancels in the mean, leaving P_s / n_s, where P_s is the segment's
    share of invitations renormalised over the segments that have respondents. A unit whose invitations
    are unknown (or only in segments without respondents) stays unweighted.
    """
    if invited_share is None:
        return np.ones_like(drawn)
    present = drawn > 0
    share = np.where(present, invited_share[None], 0.0)
    share_total = share.sum(axis=-1, keepdims=True)
    weighted = np.divide(
        share, share_total * np.where(present, drawn, 1.0), out=np.zeros_like(share), where=share_total > 0
    )
    return np.where(share_total > 0, weighted, present.astype(np.float64))


def _question_means(value_sums: np.ndarray, answer_counts: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """(B, U, Q) mean of the answers of each unit and question: NaN where nobody answered."""
    numerator = np.einsum("bug,bugq->buq", coefficients, value_sums)
    denominator = np.einsum("bug,bugq->buq", coefficients, answer_counts)
    return np.divide(numerator, denominator, out=np.full_like(numerator, np.nan), where=denominator > 0)


def _question_bounds(means: np.ndarray, history_min: np.ndarray, history_max: np.ndarray) -> tuple:
    """(B, Q) min and max of each question over the units (and the history), ignoring missing means."""
    low = np.where(np.isnan(means), np.inf, means).min(axis=1)
    high = np.where(np.isnan(means), -np.inf, means).max(axis=1)
    low, high = np.fmin(low, history_min), np.fmax(high, history_max)  # fmin/fmax skip a NaN history
    low[np.isinf(low)], high[np.isinf(high)] = np.nan, np.nan
    return low, high


def _standardise(means: np.ndarray, negative: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(B, U, Q) scores on 1-10: 1 + 9(X - min)/(max - min), or 10 - 9(...) for a negative indicator;
    10 for everyone when all units are equal (max == min)."""
    spread = (high - low)[:, None, :]
    position = np.divide(means - low[:, None, :], spread, out=np.zeros_like(means), where=spread > _EQUAL_SPREAD)
    scores = np.where(negative, 10.0 - 9.0 * position, 1.0 + 9.0 * position)
    scores = np.where(spread > _EQUAL_SPREAD, scores, 10.0)
    return np.where(np.isnan(means), np.nan, scores)


def _component_indexes(scores: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """(B, U, K) mean of the unit's standardised questions of each component, skipping unanswered ones."""
    answered = ~np.isnan(scores)
    sums = np.where(answered, scores, 0.0) @ membership
    counts = answered.astype(np.float64) @ membership
    return np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)


def _business_scores(indexes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B, U) weighted mean of the component indexes scaled to 100: sum(w% * index) / 10 when all exist.

    A component the unit has no score for is left out and the others' weights renormalised.
    """
    present = ~np.isnan(indexes)
    weighted = np.where(present, indexes, 0.0) @ weights
    weight_present = present.astype(np.float64) @ weights
    return np.divide(weighted * 10.0, weight_present, out=np.full_like(weighted, np.nan), where=weight_present > 0)


def _blend(business: np.ndarray, assessment: np.ndarray, business_share: np.ndarray) -> np.ndarray:
    """(B, U) total = share * business score + (1 - share) * assessment (share is 1 without assessment)."""
    return business_share * business + (1.0 - business_share) * np.nan_to_num(assessment)


def _ranks(values: np.ndarray, decimals: int) -> np.ndarray:
    """Rank along the last axis, highest first, ties sharing the best rank ('min'), on rounded values.

    Rank = 1 + the number of units strictly ahead; NaN stays unranked.
    """
    rounded = np.round(values, decimals)
    ahead = (rounded[..., None, :] > rounded[..., :, None]).sum(axis=-1)
    return np.where(np.isnan(rounded), np.nan, 1.0 + ahead)


@dataclass(frozen=True)
class _Model:
    """Everything but the answers: questionnaire arrays, history bounds, blend, in survey order."""

    negative: np.ndarray  # (Q,) bool
    membership: np.ndarray  # (Q, K) one-hot question -> component
    weights: np.ndarray  # (K,) percent
    history_min: np.ndarray  # (Q,), NaN without history
    history_max: np.ndarray
    assessment: np.ndarray  # (U,), NaN without
    business_share: np.ndarray  # (U,) 0-1
    decimals: int


def _score(survey: _Survey, model: _Model, value_sums, answer_counts, drawn) -> dict[str, np.ndarray]:
    """All steps from the cell sums of B replicates to their totals and ranks."""
    coefficients = _segment_coefficients(drawn, survey.invited_share)
    means = _question_means(value_sums, answer_counts, coefficients)
    low, high = _question_bounds(means, model.history_min, model.history_max)
    scores = _standardise(means, model.negative, low, high)
    indexes = _component_indexes(scores, model.membership)
    business = _business_scores(indexes, model.weights)
    total = _blend(business, model.assessment, model.business_share)
    return {
        "means": means,
        "low": low,
        "high": high,
        "scores": scores,
        "indexes": indexes,
        "business": business,
        "total": total,
        "rank": _ranks(total, model.decimals),
    }


def _point_sums(survey: _Survey) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cell sums of the one replicate in which each respondent counts once: (1, U, ...) arrays."""
    parts = [_cell_sums(survey, u, np.ones((1, _row_count(survey, u)))) for u in range(len(survey.units))]
    return tuple(np.stack([part[i] for part in parts], axis=1) for i in range(3))


def _row_count(survey: _Survey, unit: int) -> int:
    rows = survey.unit_rows(unit)
    return rows.stop - rows.start


def _bootstrap_sums(
    survey: _Survey, replicates: int, seed: int, progress: Callable[[float], None] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell sums of `replicates` resamples: each unit's respondents drawn with replacement, as many as it has.

    Each unit has its own random stream, seeded by the seed and the unit's name, so a unit's resamples
    do not change when other units are added or removed. A draw of indices becomes a replicates x
    respondents count matrix (bincount), whose products with the answer matrix give all replicate sums
    at once. `progress`, when given, is called with the share of units done (0-1] after each unit.
    """
    unit_count, segment_count, question_count = len(survey.units), survey.segment_count, len(survey.questions)
    value_sums = np.zeros((replicates, unit_count, segment_count, question_count))
    answer_counts = np.zeros_like(value_sums)
    drawn = np.zeros((replicates, unit_count, segment_count))
    for unit in range(unit_count):
        # The stream is keyed by the unit's name (crc32 is stable across runs, unlike hash()).
        rng = np.random.default_rng([seed, zlib.crc32(str(survey.units[unit]).encode())])
        size = _row_count(survey, unit)
        chunk = max(1, _MAX_DRAW_ELEMENTS // size)
        for first in range(0, replicates, chunk):
            count = min(chunk, replicates - first)
            picks = rng.integers(0, size, size=(count, size))
            picks += np.arange(count)[:, None] * size  # one bincount for every replicate of the chunk
            counts = np.bincount(picks.ravel(), minlength=count * size).reshape(count, size).astype(np.float64)
            part = _cell_sums(survey, unit, counts)
            value_sums[first : first + count, unit] = part[0]
            answer_counts[first : first + count, unit] = part[1]
            drawn[first : first + count, unit] = part[2]
        if progress is not None:
            progress((unit + 1) / unit_count)
    return value_sums, answer_counts, drawn


# ------------------------------------------------------------------------ validating the questionnaire


def _check_questionnaire(questions: pd.DataFrame, components: pd.DataFrame) -> None:
    _require_columns(questions, ("question", "component", "direction"), "questions")
    _require_columns(components, ("component", "weight"), "components")
    if questions["question"].duplicated().any():
        raise ValueError("questions lists a question twice")
    if components["component"].duplicated().any():
        raise ValueError("components lists a component twice")
    bad_direction = ~questions["direction"].isin([POSITIVE, NEGATIVE])
    if bad_direction.any():
        raise ValueError(f"direction must be positive or negative: {questions['question'][bad_direction].tolist()}")
    unknown = ~questions["component"].isin(components["component"])
    if unknown.any():
        raise ValueError(f"questions belong to unknown components: {questions['question'][unknown].tolist()}")
    weight_total = float(components["weight"].astype(float).sum())
    if abs(weight_total - 100.0) > 1e-6:
        raise ValueError(f"component weights sum to {weight_total:g}, not 100")


def _membership(questions: pd.DataFrame, components: pd.DataFrame) -> np.ndarray:
    component_index = pd.Index(components["component"])
    membership = np.zeros((len(questions), len(component_index)))
    membership[np.arange(len(questions)), component_index.get_indexer(questions["component"])] = 1.0
    return membership


def _history_bounds(history: pd.DataFrame | None, questions: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Per question min and max of the earlier campaigns' unit means (NaN where there is none)."""
    if history is None or len(history) == 0:
        return np.full(len(questions), np.nan), np.full(len(questions), np.nan)
    _require_columns(history, ("unit", "question", "mean"), "history")
    grouped = history.dropna(subset=["mean"]).groupby("question")["mean"]
    return (
        grouped.min().reindex(questions).to_numpy(dtype=np.float64),
        grouped.max().reindex(questions).to_numpy(dtype=np.float64),
    )


def _blend_shares(units: pd.Index, assessment: pd.Series | None, blend: Sequence[float]) -> tuple:
    """Per unit: its assessment (NaN without) and the business share of its total (1 without assessment)."""
    business_part, assessment_part = (float(part) for part in blend)
    if business_part < 0 or assessment_part < 0 or business_part + assessment_part <= 0:
        raise ValueError("blend must be two non-negative weights, e.g. (70, 30)")
    values = np.full(len(units), np.nan)
    if assessment is not None:
        values = pd.Series(assessment, dtype=np.float64).reindex(units).to_numpy()
        if ((values < 0) | (values > 100)).any():
            raise ValueError("an assessment lies outside 0-100")
    share = np.where(np.isnan(values), 1.0, business_part / (business_part + assessment_part))
    return values, share


# ------------------------------------------------------------------ public steps on DataFrames (tests)


def respondent_weights(answers: pd.DataFrame, invited: pd.DataFrame) -> pd.Series:
    """Post-stratification weight of each respondent: w = P_s / (n_s / n) within its unit.

    P_s is the segment's share of the unit's invitations (renormalised over segments with respondents),
    n_s / n its share of the unit's respondents; the weights of a unit average 1.
    """
    _require_columns(answers, ("respondent_id", "unit", "segment"), "answers")
    respondents = answers.drop_duplicates("respondent_id")[["respondent_id", "unit", "segment"]]
    units = pd.Index(sorted(respondents["unit"].unique()))
    segments = pd.Index(sorted(respondents["segment"].unique()))
    unit_codes, segment_codes = units.get_indexer(respondents["unit"]), segments.get_indexer(respondents["segment"])
    drawn = np.zeros((len(units), len(segments)))
    np.add.at(drawn, (unit_codes, segment_codes), 1.0)
    coefficients = _segment_coefficients(drawn[None], _invited_share(invited, units, segments))[0]
    weights = coefficients[unit_codes, segment_codes] * drawn.sum(axis=1)[unit_codes]
    return pd.Series(weights, index=pd.Index(respondents["respondent_id"], name="respondent_id"), name="weight")


def question_means(answers: pd.DataFrame, invited: pd.DataFrame | None = None) -> pd.DataFrame:
    """Unit x question mean of the answers, weighted by segment when `invited` is given (NaN: no answer)."""
    questions = pd.Index(pd.unique(answers["question"]))
    survey = _prepare_survey(answers, questions, invited)
    value_sums, answer_counts, drawn = _point_sums(survey)
    means = _question_means(value_sums, answer_counts, _segment_coefficients(drawn, survey.invited_share))[0]
    return pd.DataFrame(means, index=survey.units, columns=questions)


def standardise_questions(
    means: pd.DataFrame, questions: pd.DataFrame, history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Unit x question scores on 1-10 across the units of `means` (and the history's unit means)."""
    directions = questions.set_index("question")["direction"].reindex(means.columns)
    history_min, history_max = _history_bounds(history, means.columns)
    values = means.to_numpy(dtype=np.float64)[None]
    low, high = _question_bounds(values, history_min, history_max)
    scores = _standardise(values, (directions == NEGATIVE).to_numpy(), low, high)[0]
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


def rank_with_ties(values: pd.Series | pd.DataFrame, decimals: int = DEFAULT_DECIMALS):
    """Rank 1 = highest, on values rounded to `decimals`; equal values share the best rank (1, 1, 3).

    A DataFrame is ranked column by column (e.g. units x components).
    """
    array = values.to_numpy(dtype=np.float64)
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(_ranks(array.T, decimals).T, index=values.index, columns=values.columns).astype("Int64")
    return pd.Series(_ranks(array, decimals), index=values.index, name="rank").astype("Int64")


def assign_tiers(
    totals: pd.Series, tiers: Sequence[tuple[float, str]] = DEFAULT_TIERS, decimals: int = DEFAULT_DECIMALS
) -> pd.Series:
    """Tier label of each total: the first band (highest threshold first) whose threshold it reaches."""
    bands = sorted(((float(threshold), label) for threshold, label in tiers), reverse=True)
    rounded = np.round(totals.to_numpy(dtype=np.float64), decimals)
    labels = np.full(len(rounded), None, dtype=object)
    for threshold, label in reversed(bands):  # a few bands: the highest band reached is written last
        labels[rounded >= threshold] = label
    return pd.Series(labels, index=totals.index, name="tier")


def first_on_components(indexes: pd.DataFrame, decimals: int = DEFAULT_DECIMALS) -> pd.Series:
    """Per unit, on how many components it ranks first (ties for first count for each of them)."""
    return (rank_with_ties(indexes, decimals) == 1).sum(axis=1).astype(int).rename("first_on")


def statistical_ties(totals: pd.Series, low: pd.Series, high: pd.Series) -> pd.DataFrame:
    """Mark units whose interval overlaps that of their neighbour in rank order.

    Returns, indexed like `totals` and in its order, statistically_tied (overlaps the unit above or below)
    and tie_group (a run of units linked by overlaps shares a number, counted from the top).
    """
    order = totals.sort_values(ascending=False, kind="stable").index
    lows, highs = low.reindex(order).to_numpy(), high.reindex(order).to_numpy()
    with_next = np.maximum(lows[:-1], lows[1:]) <= np.minimum(highs[:-1], highs[1:])
    tied_above = np.concatenate([[False], with_next])
    tied_below = np.concatenate([with_next, [False]])
    groups = np.cumsum(~tied_above)
    frame = pd.DataFrame({"statistically_tied": tied_above | tied_below, "tie_group": groups}, index=order)
    return frame.reindex(totals.index)


def change_contributions(
    current_indexes: pd.DataFrame,
    current_units: pd.DataFrame,
    component_weights: pd.Series,
    previous: PreviousResult,
) -> pd.DataFrame:
    """Split each unit's change of total since the previous result into the parts that explain it.

    total = s * sum_k(w_k * I_k) / 10 + (1 - s) * A, so the change is exactly the sum of
      component k: (s1 * w1_k * I1_k - s0 * w0_k * I0_k) / 10   (= s * w_k * dI_k / 10 when s, w are unchanged)
      assessment: (1 - s1) * A1 - (1 - s0) * A0
      other: what is left, e.g. the rounding of published figures or a component one year lacks.
    current_units needs total, assessment, business_share; rows for units absent before are NaN.
    """
    units = current_units.index
    before = previous.units.reindex(units)
    share_now = current_units["business_share"].to_numpy(dtype=np.float64)
    share_before = (
        before["business_share"].to_numpy(dtype=np.float64) if "business_share" in before else share_now.copy()
    )
    share_before = np.where(np.isnan(share_before), share_now, share_before)
    weights_before = component_weights if previous.component_weights is None else previous.component_weights
    weights_before = weights_before.astype(float).reindex(current_indexes.columns).to_numpy()
    weights_now = component_weights.astype(float).reindex(current_indexes.columns).to_numpy()
    indexes_before = previous.component_indexes.reindex(index=units, columns=current_indexes.columns).to_numpy()
    parts = (
        share_now[:, None] * weights_now * current_indexes.to_numpy(dtype=np.float64)
        - share_before[:, None] * weights_before * indexes_before
    ) / 10.0
    frame = pd.DataFrame(parts, index=units, columns=current_indexes.columns)
    assessment_before = before["assessment"].to_numpy(dtype=np.float64) if "assessment" in before else np.nan
    frame["assessment"] = (1.0 - share_now) * np.nan_to_num(current_units["assessment"].to_numpy(dtype=np.float64)) - (
        1.0 - share_before
    ) * np.nan_to_num(assessment_before)
    change = current_units["total"].to_numpy(dtype=np.float64) - before["total"].to_numpy(dtype=np.float64)
    # A part that cannot be computed (a component one year lacks) is NaN and left to "other".
    frame["other"] = change - frame.sum(axis=1).to_numpy()
    frame.loc[np.isnan(change)] = np.nan  # a unit absent before has no change to explain
    return frame


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
    progress: Callable[[float], None] | None = None,
) -> CdciResult:
    """The campaign's CDCI: scores, ranks, tiers, changes and bootstrap intervals (see the module doc).

    `invited` switches segment weighting on; `history` takes min/max over this and the earlier campaigns;
    `replicates=0` skips the bootstrap (intervals are then NaN). Same inputs and seed, same numbers.
    `progress`, when given, is called during the bootstrap with the share of units resampled (0-1].
    """
    _check_questionnaire(questions, components)
    question_index = pd.Index(questions["question"])
    component_index = pd.Index(components["component"])
    survey = _prepare_survey(answers, question_index, invited)
    units = survey.units
    assessment_values, business_share = _blend_shares(units, assessment, blend)
    history_min, history_max = _history_bounds(history, question_index)
    weights = components["weight"].astype(float).to_numpy()
    model = _Model(
        negative=(questions["direction"] == NEGATIVE).to_numpy(),
        membership=_membership(questions, components),
        weights=weights,
        history_min=history_min,
        history_max=history_max,
        assessment=assessment_values,
        business_share=business_share,
        decimals=decimals,
    )

    point_sums = _point_sums(survey)
    point = {name: values[0] for name, values in _score(survey, model, *point_sums).items()}
    totals = pd.Series(point["total"], index=units)
    indexes = pd.DataFrame(point["indexes"], index=units, columns=component_index)
    component_weights = pd.Series(weights, index=component_index, name="weight")
    segment_counts = pd.DataFrame(point_sums[2][0], index=units, columns=survey.segments).astype(int)

    frame = pd.DataFrame(index=units)
    frame["respondents"] = segment_counts.sum(axis=1)
    frame["business_score"] = point["business"]
    frame["assessment"] = assessment_values
    frame["business_share"] = business_share
    frame["total"] = point["total"]
    frame["rank"] = rank_with_ties(totals, decimals)
    frame["tier"] = assign_tiers(totals, tiers, decimals)
    frame["first_on"] = first_on_components(indexes, decimals)
    frame["components"] = len(component_index)

    bootstrap_totals = np.empty((0, len(units)))
    frame["total_low"] = frame["total_high"] = frame["rank_low"] = frame["rank_high"] = np.nan
    if replicates > 0:
        replicate = _score(survey, model, *_bootstrap_sums(survey, replicates, seed, progress))
        bootstrap_totals = replicate["total"]
        tail = (1.0 - confidence) / 2.0
        frame["total_low"], frame["total_high"] = np.nanquantile(bootstrap_totals, [tail, 1.0 - tail], axis=0)
        # Ranks are whole numbers: take observed replicate ranks, not interpolations between them.
        frame["rank_low"], frame["rank_high"] = np.nanquantile(
            replicate["rank"], [tail, 1.0 - tail], axis=0, method="inverted_cdf"
        )
    ties = statistical_ties(totals, frame["total_low"], frame["total_high"])
    frame["statistically_tied"] = ties["statistically_tied"] & frame["total_low"].notna().to_numpy()
    frame["tie_group"] = ties["tie_group"]

    component_changes = pd.DataFrame(np.nan, index=units, columns=component_index)
    contributions = pd.DataFrame(np.nan, index=units, columns=[*component_index, "assessment", "other"])
    frame["previous_total"] = frame["total_change"] = frame["previous_rank"] = frame["rank_change"] = np.nan
    if previous is not None:
        before = previous.units.reindex(units)
        frame["previous_total"] = before["total"].astype(float)
        frame["total_change"] = frame["total"] - frame["previous_total"]
        if "rank" in before:
            frame["previous_rank"] = before["rank"].astype(float)
            frame["rank_change"] = frame["previous_rank"] - frame["rank"].astype(float)
        component_changes = indexes - previous.component_indexes.reindex(index=units, columns=component_index)
        contributions = change_contributions(indexes, frame, component_weights, previous)

    order = frame.sort_values(["rank", "total"], ascending=[True, False], kind="stable").index
    bootstrap_frame = pd.DataFrame(bootstrap_totals, columns=units)[order] if replicates > 0 else bootstrap_totals
    return CdciResult(
        units=frame.loc[order],
        question_means=pd.DataFrame(point["means"], index=units, columns=question_index).loc[order],
        question_scores=pd.DataFrame(point["scores"], index=units, columns=question_index).loc[order],
        question_bounds=pd.DataFrame(
            {"direction": questions["direction"].to_numpy(), "min": point["low"], "max": point["high"]},
            index=question_index,
        ),
        component_indexes=indexes.loc[order],
        component_ranks=rank_with_ties(indexes, decimals).loc[order],
        component_changes=component_changes.loc[order],
        component_weights=component_weights,
        contributions=contributions.loc[order],
        segment_counts=segment_counts.loc[order],
        bootstrap_totals=np.asarray(bootstrap_frame),
        settings={
            "weight_by_segment": invited is not None,
            "history_campaigns": 0 if history is None or "year" not in history else int(history["year"].nunique()),
            "blend": [float(part) for part in blend],
            "tiers": [[float(threshold), label] for threshold, label in tiers],
            "replicates": int(replicates),
            "seed": int(seed),
            "confidence": float(confidence),
            "decimals": int(decimals),
        },
    )
