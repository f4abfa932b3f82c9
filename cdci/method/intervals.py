"""Intervals from the bootstrap replicates: each unit's total, the difference between two units, and each
unit's rank.

- Totals: the percentile interval, "expanded" for small samples (Hesterberg 2015, "What teachers should
  know about the bootstrap"): the tail level is moved so that the interval is as wide, in standard errors,
  as Student's t with the unit's effective sample size less one degrees of freedom, instead of the normal
  1.96. The resampling itself already corrects the variance for the sample size (n - 1 draws per stratum).
- Differences: the same, for the replicate differences of two units, at the Bonferroni level
  (1 - confidence) / m with m = units - 1, so that the intervals of one unit against all the others hold
  together with the stated confidence.
- Ranks: a unit's rank interval runs from 1 + the number of units clearly ahead of it to the number of
  units minus those clearly behind it, "clearly" meaning the difference interval excludes 0 (Mogstad,
  Romano, Shaikh and Wilhelm 2024, "Inference for ranks"). It covers the true rank whenever the unit's
  difference intervals all do, hence with at least the stated confidence.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile: exact for 1 and 2 degrees of freedom, a Cornish-Fisher expansion beyond
    (error below 0.001 for p <= 0.9999 from 3 degrees of freedom)."""
    if df >= 1e6:
        return _NORMAL.inv_cdf(p)
    if df < 1.5:
        return math.tan(math.pi * (p - 0.5))
    if df < 2.5:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = _NORMAL.inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def expanded_tail(tail: float, df: float) -> float:
    """The tail level of the expanded percentile interval: P(Z > t_{1 - tail, df})."""
    return 1.0 - _NORMAL.cdf(t_quantile(1.0 - tail, max(float(df), 1.0)))


def _quantile_sorted(ordered: np.ndarray, levels: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear-interpolation quantile along axis 0 of an array sorted with NaN last, one level per column,
    over the `valid` (non-NaN) leading values of each column (NaN where none)."""
    position = np.clip(levels, 0.0, 1.0) * np.maximum(valid - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(valid - 1, 0))
    fraction = position - below
    low = np.take_along_axis(ordered, below[None], axis=0)[0]
    high = np.take_along_axis(ordered, above[None], axis=0)[0]
    return np.where(valid > 0, low + fraction * (high - low), np.nan)


def total_intervals(replicates: np.ndarray, confidence: float, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U,) lower and upper ends of each unit's total from replicates (B, U) and its degrees of freedom.

    A replicate in which a unit drew nobody (NaN) is left out of that unit's interval."""
    tails = np.array([expanded_tail((1.0 - confidence) / 2.0, d) for d in df])
    valid = (~np.isnan(replicates)).sum(axis=0)
    ordered = np.sort(replicates, axis=0)
    return _quantile_sorted(ordered, tails, valid), _quantile_sorted(ordered, 1.0 - tails, valid)


def pairwise_differences(
    replicates: np.ndarray, confidence: float, df: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every ordered pair (u, v): the interval of total_u - total_v and the share of replicates with
    total_u < total_v. Bonferroni over the units - 1 comparisons of a unit; df of a pair = the smaller."""
    count = replicates.shape[1]
    comparisons = max(count - 1, 1)
    pair_df = np.minimum(df[:, None], df[None, :])
    tail = (1.0 - confidence) / (2.0 * comparisons)
    tails = np.vectorize(lambda d: expanded_tail(tail, d))(pair_df)
    differences = replicates[:, :, None] - replicates[:, None, :]
    valid = (~np.isnan(differences)).sum(axis=0)
    behind_share = np.divide((differences < 0).sum(axis=0), valid, out=np.zeros(valid.shape), where=valid > 0)
    differences.sort(axis=0)
    low = _quantile_sorted(differences, tails, valid)
    high = _quantile_sorted(differences, 1.0 - tails, valid)
    return low, high, behind_share


def rank_intervals(
    difference_low: np.ndarray, difference_high: np.ndarray, point_rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rank range of each unit from the pairwise difference intervals (u, v): total_u - total_v.

    Clearly ahead of u: v with low(v - u) > 0; clearly behind: v with high(v - u) < 0. The range is widened,
    if need be, to hold the published rank (a percentile interval need not hold its point estimate).
    """
    count = difference_low.shape[0]
    off_diagonal = ~np.eye(count, dtype=bool)
    ahead = ((difference_low > 0) & off_diagonal).sum(axis=0)  # row v, column u: v - u
    behind = ((difference_high < 0) & off_diagonal).sum(axis=0)
    low = np.minimum(1 + ahead, point_rank)
    high = np.maximum(count - behind, point_rank)
    return low.astype(np.float64), high.astype(np.float64)
