"""Confidence intervals: Wilson score interval for a proportion, bootstrap (percentile or BCa) for a mean,
and a bootstrap for corpus-level scores (BLEU, chrF) from per-segment statistics."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np

from genloop.errors import InvalidInput
from genloop.evals.stats._models import Interval

__all__ = ["bootstrap_ci", "bootstrap_corpus_ci", "bootstrap_means", "normal_quantile", "wilson_interval"]

_STANDARD = NormalDist()
_CELLS = 4_000_000  # resample indices drawn per chunk: bounds memory at ~32 MB whatever n is


def normal_quantile(p: float) -> float:
    """The standard normal quantile (inverse CDF) at ``p``."""
    return _STANDARD.inv_cdf(p)


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise InvalidInput(f"confidence level must be between 0 and 1, not {level}", hint="e.g. 0.95")
    return float(level)


def wilson_interval(successes: float, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval for a proportion ``successes / n`` (Wilson, 1927).

    With ``z`` the normal quantile at ``1 - (1 - level) / 2`` and ``p = successes / n``::

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    ``successes`` may be fractional (ties counted as half). With ``n = 0`` the interval is [0, 1].
    """
    _check_level(level)
    if n < 0 or successes < 0 or successes > n:
        raise InvalidInput(f"a proportion needs 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return Interval(estimate=None, low=0.0, high=1.0, level=level, method="wilson", n=0)
    z = normal_quantile(1 - (1 - level) / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not 1e-17 of rounding
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(estimate=p, low=low, high=high, level=level, method="wilson", n=n)


def _values(values: Sequence[float] | np.ndarray, what: str = "values") -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise InvalidInput(f"need a non-empty list of numbers for {what}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"{what} contain NaN or infinite numbers", hint="drop the items without a score first")
    return array


def bootstrap_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The means of ``n_resamples`` resamples (with replacement, same size) of ``values``, drawn in chunks."""
    n = len(values)
    out = np.empty(n_resamples)
    rows = max(1, _CELLS // n)
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        out[start:stop] = values[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    return out


def _bca_levels(values: np.ndarray, means: np.ndarray, estimate: float, alpha: float) -> tuple[float, float]:
    """BCa-adjusted quantile levels (Efron, 1987): bias correction ``z0`` from the share of resampled means
    below the estimate, a resample equal to it counting as half (as ``scipy.stats.bootstrap``: on 0/1 or
    Likert data many resampled means equal the estimate exactly), acceleration ``a`` from the jackknife means.
    The share is kept within [1/2B, 1 - 1/2B], where scipy returns NaN."""
    below = float((np.count_nonzero(means < estimate) + np.count_nonzero(means <= estimate)) / (2 * len(means)))
    b = len(means)
    z0 = normal_quantile(min(max(below, 1 / (2 * b)), 1 - 1 / (2 * b)))
    n = len(values)
    jackknife = (values.sum() - values) / (n - 1)
    spread = jackknife.mean() - jackknife
    denominator = 6.0 * float(np.sum(spread**2)) ** 1.5
    a = float(np.sum(spread**3)) / denominator if denominator > 0 else 0.0
    levels = []
    for q in (alpha / 2, 1 - alpha / 2):
        z = normal_quantile(q)
        levels.append(_STANDARD.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))))
    return levels[0], levels[1]


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    level: float = 0.95,
    n_resamples: int = 2000,
    method: str = "percentile",
    seed: int | None = 0,
) -> Interval:
    """Bootstrap confidence interval for the mean of ``values`` (Efron & Tibshirani, 1993).

    ``percentile``: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of ``n_resamples`` resampled
    means. ``bca``: bias-corrected and accelerated quantile levels (better for skewed scores, small n).
    Seeded: the same inputs and seed give the same interval.
    """
    _check_level(level)
    if method not in ("percentile", "bca"):
        raise InvalidInput(f"bootstrap method must be 'percentile' or 'bca', not {method!r}")
    if n_resamples < 10:
        raise InvalidInput(f"n_resamples={n_resamples} is too few for an interval", hint="use 1000 or more")
    array = _values(values)
    estimate = float(array.mean())
    label = f"bootstrap-{method}"
    if len(array) == 1 or np.all(array == array[0]):
        return Interval(estimate=estimate, low=estimate, high=estimate, level=level, method=label, n=len(array))
    means = bootstrap_means(array, n_resamples, np.random.default_rng(seed))
    alpha = 1 - level
    q_low, q_high = _bca_levels(array, means, estimate, alpha) if method == "bca" else (alpha / 2, 1 - alpha / 2)
    low, high = np.quantile(means, [q_low, q_high])
    return Interval(estimate=estimate, low=float(low), high=float(high), level=level, method=label, n=len(array))


def bootstrap_corpus_ci(
    statistics: Sequence[Sequence[float]] | np.ndarray,
    score: Callable[[Sequence[float]], float],
    *,
    level: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> Interval:
    """Percentile bootstrap interval of a corpus-level score such as corpus BLEU or chrF (Koehn, 2004).

    ``statistics`` holds one row of additive sufficient statistics per segment (n-gram matches, totals,
    lengths) and ``score(totals)`` turns their column sums into the score. Each resample draws the segments
    with replacement and rescores the summed statistics, so the interval is the corpus score's own.
    """
    _check_level(level)
    if n_resamples < 10:
        raise InvalidInput(f"n_resamples={n_resamples} is too few for an interval", hint="use 1000 or more")
    matrix = np.asarray(statistics, dtype=float)
    if matrix.ndim != 2 or len(matrix) == 0:
        raise InvalidInput("need one row of statistics per segment, and at least one segment")
    n = len(matrix)
    estimate = float(score(_integers(matrix.sum(axis=0))))
    if n == 1:
        return Interval(estimate=estimate, low=estimate, high=estimate, level=level, method="bootstrap-corpus", n=1)
    rng = np.random.default_rng(seed)
    rows = max(1, _CELLS // n)
    scores = np.empty(n_resamples)
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        draws = rng.integers(0, n, size=(stop - start, n)) + (np.arange(stop - start) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=(stop - start) * n).reshape(stop - start, n)
        for k, totals in enumerate(counts @ matrix, start=start):  # resampled column sums, one row each
            scores[k] = score(_integers(totals))
    low, high = np.quantile(scores, [(1 - level) / 2, (1 + level) / 2])
    return Interval(estimate=estimate, low=float(low), high=float(high), level=level, method="bootstrap-corpus", n=n)


def _integers(totals: np.ndarray) -> list[int]:
    """Summed counts as the ints a corpus score takes (exact: the float sums are of integers below 2**53)."""
    return [int(x) for x in np.rint(totals)]
