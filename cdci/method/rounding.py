"""Rounding once: every published figure is rounded half-up to the published decimals, and ranks, tiers,
changes and differences are computed from those rounded values, so the page never disagrees with them."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

# Floating-point sums carry noise in the last bits (67.705 may come out as 67.70499999999999): values are
# first taken to this many decimals, which removes the noise without touching a real digit.
_NOISE_DECIMALS = Decimal("1e-9")


def round_half_up_value(value: float, decimals: int) -> float:
    """One value rounded half-up (2.345 -> 2.35, -2.345 -> -2.35); NaN stays NaN."""
    if value is None or not np.isfinite(value):
        return float("nan")
    step = Decimal(1).scaleb(-decimals)
    cleaned = Decimal(repr(float(value))).quantize(_NOISE_DECIMALS, rounding=ROUND_HALF_EVEN)
    return float(cleaned.quantize(step, rounding=ROUND_HALF_UP))


def round_half_up(values: np.ndarray, decimals: int) -> np.ndarray:
    """An array rounded half-up element by element (published tables are small: units x components)."""
    array = np.asarray(values, dtype=np.float64)
    flat = [round_half_up_value(value, decimals) for value in array.ravel()]
    return np.array(flat, dtype=np.float64).reshape(array.shape)


def exact_difference(a: np.ndarray, b: np.ndarray, decimals: int) -> np.ndarray:
    """a - b for values already rounded to `decimals`, without binary noise (90.55 - 90.48 = 0.07)."""
    return round_half_up(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64), decimals)
