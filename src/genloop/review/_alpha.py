"""Krippendorff's alpha for any number of raters with missing ratings, at the nominal, ordinal or interval level.

``alpha = 1 - (n - 1) * sum_ck o_ck d2(c, k) / sum_ck n_c n_k d2(c, k)`` over the coincidence matrix ``o``
(each unit with ``m >= 2`` values adds every ordered pair of its values, weighted ``1 / (m - 1)``), ``n_c``
its margins and ``n`` the pairable values (Krippendorff, *Computing Krippendorff's Alpha-Reliability*, 2011).
Distances: nominal ``c != k``; interval ``(c - k)^2``; ordinal ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np

from genloop.errors import InvalidInput

__all__ = ["krippendorff_alpha"]

Level = Literal["nominal", "ordinal", "interval"]


def krippendorff_alpha(units: Sequence[Sequence[Hashable | None]], level: Level = "nominal") -> float | None:
    """Alpha over ``units`` (one list of values per unit, None for a missing rating).

    Returns None when it is undefined: fewer than two pairable values, or a single value used throughout
    (expected disagreement 0).
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise InvalidInput(f"unknown level {level!r}", hint="use nominal, ordinal or interval")
    rated = [[v for v in unit if v is not None] for unit in units]
    rated = [unit for unit in rated if len(unit) >= 2]
    if not rated:
        return None
    values = sorted({v for unit in rated for v in unit}, key=_sort_key)
    if level != "nominal" and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise InvalidInput(f"{level} alpha needs numbers, got {values[:5]!r}", hint="use the nominal level for labels")
    index = {v: i for i, v in enumerate(values)}
    size = len(values)
    coincidence = np.zeros((size, size))
    for unit in rated:
        counts = np.bincount([index[v] for v in unit], minlength=size).astype(float)
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (len(unit) - 1)
    margins = coincidence.sum(axis=1)
    n = margins.sum()
    delta = _distances(values, margins, level)
    expected = float((np.outer(margins, margins) * delta).sum())
    if expected == 0:
        return None
    observed = float((coincidence * delta).sum())
    return 1.0 - (n - 1) * observed / expected


def _distances(values: list[Hashable], margins: np.ndarray, level: Level) -> np.ndarray:
    size = len(values)
    if level == "nominal":
        return 1.0 - np.eye(size)
    if level == "interval":
        numbers = np.array(values, dtype=float)
        return (numbers[:, None] - numbers[None, :]) ** 2
    cumulative = np.concatenate([[0.0], np.cumsum(margins)])
    delta = np.zeros((size, size))
    for c in range(size):
        for k in range(c + 1, size):
            between = cumulative[k + 1] - cumulative[c] - (margins[c] + margins[k]) / 2
            delta[c, k] = delta[k, c] = between**2
    return delta


def _sort_key(value: Hashable) -> tuple[int, float, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))
