"""How the ranking moves when the method's own choices move (OECD/JRC Handbook on Constructing Composite
Indicators, uncertainty analysis): a Monte Carlo over

- the component weights, drawn from a Dirichlet distribution centred on the published weights
  (concentration `weight_spread`: a component of weight w% varies with standard deviation about
  sqrt(w(100 - w) / (weight_spread + 1)) points, e.g. about 3.3 points for 12.5% at 100);
- the business share of the blend, one of `blend_values` (percent, e.g. 60, 70, 80 around 70);
- the normalisation: fixed bounds or this year's min-max;
- the aggregation of component indexes: arithmetic or geometric mean.

It works on the point estimate's question means (no resampling) and is vectorised over the draws: a few
hundred draws of a national campaign take well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ARITHMETIC = "arithmetic"
GEOMETRIC = "geometric"


@dataclass(frozen=True)
class SensitivitySettings:
    draws: int = 500
    weight_spread: float = 100.0
    blend_values: tuple[float, ...] = (60.0, 70.0, 80.0)
    normalisations: tuple[str, ...] = ("fixed", "minmax")
    aggregations: tuple[str, ...] = (ARITHMETIC, GEOMETRIC)

    def as_dict(self) -> dict[str, object]:
        return {
            "draws": self.draws,
            "weight_spread": self.weight_spread,
            "blend_values": list(self.blend_values),
            "normalisations": list(self.normalisations),
            "aggregations": list(self.aggregations),
        }


def blend_values_around(business_share: float, spread: float = 10.0) -> tuple[float, ...]:
    """The published business share and `spread` points either side, kept within 0-100."""
    return tuple(sorted({max(0.0, business_share - spread), business_share, min(100.0, business_share + spread)}))


def aggregate(indexes: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """(..., U) business score 0-100 from indexes (..., U, K) 1-10 and weights (..., K): the weighted
    arithmetic or geometric mean x 10, over the components the unit has (weights renormalised)."""
    present = ~np.isnan(indexes)
    weight = np.where(present, weights[..., None, :], 0.0)
    weight_total = weight.sum(axis=-1)
    if aggregation == GEOMETRIC:
        logs = np.where(present, np.log(np.where(present, indexes, 1.0)), 0.0)
        numerator = (weight * logs).sum(axis=-1)
    else:
        numerator = (weight * np.where(present, indexes, 0.0)).sum(axis=-1)
    mean = np.divide(numerator, weight_total, out=np.full_like(numerator, np.nan), where=weight_total > 0)
    if aggregation == GEOMETRIC:
        mean = np.exp(mean)
    return np.where(weight_total > 0, mean * 10.0, np.nan)


def rank_distribution(
    indexes_by_normalisation: dict[str, np.ndarray],
    weights: np.ndarray,
    assessment: np.ndarray,
    settings: SensitivitySettings,
    seed: int,
) -> np.ndarray:
    """(draws, U) ranks (1 = best, ties sharing the best) under random method choices.

    indexes_by_normalisation: normalisation -> (U, K) component indexes of the point estimate.
    weights: (K,) published percent; assessment: (U,) 0-100 or NaN.
    """
    rng = np.random.default_rng([seed, 7])
    draws = settings.draws
    concentration = np.maximum(weights / weights.sum() * settings.weight_spread, 1e-3)
    drawn_weights = np.where(weights > 0, rng.dirichlet(concentration, size=draws), 0.0)
    share = np.asarray(settings.blend_values, dtype=np.float64)[rng.integers(0, len(settings.blend_values), draws)]
    normalisation = rng.integers(0, len(settings.normalisations), draws)
    aggregation = rng.integers(0, len(settings.aggregations), draws)
    unit_count = len(assessment)
    business = np.empty((draws, unit_count))
    for n, name in enumerate(settings.normalisations):
        for a, how in enumerate(settings.aggregations):
            chosen = (normalisation == n) & (aggregation == a)
            if chosen.any():
                business[chosen] = aggregate(indexes_by_normalisation[name][None], drawn_weights[chosen], how)
    has_assessment = ~np.isnan(assessment)
    business_share = np.where(has_assessment[None], share[:, None] / 100.0, 1.0)
    totals = business_share * business + (1.0 - business_share) * np.nan_to_num(assessment)[None]
    rounded = np.round(totals, 6)
    return np.asarray(1.0 + (rounded[:, None, :] > rounded[:, :, None]).sum(axis=-1), dtype=np.float64)


def summarise(ranks: np.ndarray, coverage: float = 0.90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unit's median rank and the central `coverage` range of its ranks (whole ranks observed)."""
    tail = (1.0 - coverage) / 2.0
    median = np.quantile(ranks, 0.5, axis=0, method="inverted_cdf")
    low, high = np.quantile(ranks, [tail, 1.0 - tail], axis=0, method="inverted_cdf")
    return median, low, high


def settings_for(
    draws: int,
    business_share: float,
    normalisations: Sequence[str],
    weight_spread: float = 100.0,
) -> SensitivitySettings:
    return SensitivitySettings(
        draws=draws,
        weight_spread=weight_spread,
        blend_values=blend_values_around(business_share),
        normalisations=tuple(normalisations),
    )
