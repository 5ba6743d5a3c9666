"""Paired comparison of two runs on the same items: delta with a paired-bootstrap interval, a sign-flip
permutation test (continuous scores), McNemar's test (pass/fail), and win/tie/loss counts."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from genloop.errors import InvalidInput
from genloop.evals.stats._intervals import _values, bootstrap_ci, wilson_interval
from genloop.evals.stats._models import Interval, McNemarResult, PairedComparison, PowerCheck, WinTieLoss
from genloop.evals.stats._power import power_check

__all__ = ["compare_paired", "mcnemar_test", "paired_bootstrap_delta", "sign_flip_test", "win_tie_loss"]

Scores = Sequence[float] | Sequence[bool] | np.ndarray
_EXACT_LIMIT = 25  # McNemar: exact binomial below this many discordant pairs, chi-square from it on
_EXACT_PATTERNS = 1 << 16  # sign-flip: enumerate every sign pattern up to this many


def _pair(a: Scores, b: Scores) -> tuple[np.ndarray, np.ndarray]:
    x, y = _values(a, "run A's scores"), _values(b, "run B's scores")
    if len(x) != len(y):
        raise InvalidInput(f"paired scores need the same items: run A has {len(x)}, run B {len(y)}")
    return x, y


def paired_bootstrap_delta(a: Scores, b: Scores, *, level: float = 0.95,
                           n_resamples: int = 2000, method: str = "percentile", seed: int | None = 0) -> Interval:
    """Mean of ``b - a`` per item with a paired bootstrap interval: items (pairs) are resampled together."""
    x, y = _pair(a, b)
    return bootstrap_ci(y - x, level=level, n_resamples=n_resamples, method=method, seed=seed)


def sign_flip_test(a: Scores, b: Scores, *, n_permutations: int = 10_000,
                   seed: int | None = 0) -> float:
    """Two-sided paired permutation (sign-flip) test of ``mean(b - a) = 0``.

    Under the null each difference is as likely to have either sign, so the p-value is the share of
    sign assignments whose ``|sum|`` is at least the observed one. Exact (every assignment of the non-zero
    differences) when there are at most ``n_permutations`` (and 65,536) of them, else Monte Carlo with the observed
    assignment counted: ``p = (1 + hits) / (1 + n_permutations)``.
    """
    x, y = _pair(a, b)
    diff = (y - x)[y != x]
    if diff.size == 0:
        return 1.0
    observed = abs(diff.sum())
    tolerance = 1e-9 * max(1.0, float(np.abs(diff).sum()))
    if 2 ** diff.size <= min(n_permutations, _EXACT_PATTERNS):
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=diff.size)))
        return float(np.mean(np.abs(signs @ diff) >= observed - tolerance))
    rng = np.random.default_rng(seed)
    hits = 0
    chunk = max(1, 2_000_000 // diff.size)
    for start in range(0, n_permutations, chunk):
        rows = min(chunk, n_permutations - start)
        signs = rng.integers(0, 2, size=(rows, diff.size), dtype=np.int8) * 2 - 1
        hits += int(np.sum(np.abs(signs @ diff) >= observed - tolerance))
    return (1 + hits) / (1 + n_permutations)


def _binary(values: Scores, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype != bool:
        numbers = _values(array, what)
        if not np.all((numbers == 0) | (numbers == 1)):
            raise InvalidInput(f"{what} must be pass/fail (booleans or 0/1) for McNemar's test")
        array = numbers == 1
    return array


def mcnemar_test(a: Scores, b: Scores) -> McNemarResult:
    """McNemar's test for paired pass/fail outcomes (McNemar, 1947).

    Only discordant items count: ``a_only`` (pass under A only) and ``b_only``. With fewer than 25 of them
    the exact two-sided binomial test, ``p = min(1, 2 * P(X <= min(a_only, b_only)))``, X ~ Bin(a_only +
    b_only, 1/2); otherwise the chi-square statistic with continuity correction,
    ``(|a_only - b_only| - 1)^2 / (a_only + b_only)`` on 1 degree of freedom.
    """
    x, y = _binary(a, "run A's outcomes"), _binary(b, "run B's outcomes")
    if len(x) != len(y):
        raise InvalidInput(f"paired outcomes need the same items: run A has {len(x)}, run B {len(y)}")
    a_only, b_only = int(np.sum(x & ~y)), int(np.sum(~x & y))
    discordant = a_only + b_only
    if discordant == 0:
        return McNemarResult(a_only=0, b_only=0, statistic=None, p_value=1.0, method="exact binomial")
    if discordant < _EXACT_LIMIT:
        tail = sum(math.comb(discordant, k) for k in range(min(a_only, b_only) + 1)) / 2**discordant
        return McNemarResult(a_only=a_only, b_only=b_only, statistic=None, p_value=min(1.0, 2 * tail),
                             method="exact binomial")
    statistic = (abs(a_only - b_only) - 1) ** 2 / discordant
    return McNemarResult(a_only=a_only, b_only=b_only, statistic=statistic,
                         p_value=math.erfc(math.sqrt(statistic / 2)), method="chi-square (corrected)")


def win_tie_loss(a: Scores, b: Scores, *, tolerance: float = 0.0,
                 level: float = 0.95) -> WinTieLoss:
    """Counts of items where B scores higher than A by more than ``tolerance`` (wins), lower (losses), or
    within it (ties), each share with a Wilson interval; ``win_rate`` = (wins + ties / 2) / n."""
    x, y = _pair(a, b)
    diff = y - x
    wins, losses = int(np.sum(diff > tolerance)), int(np.sum(diff < -tolerance))
    ties, n = len(diff) - wins - losses, len(diff)
    return WinTieLoss(n=n, wins=wins, ties=ties, losses=losses, win=wilson_interval(wins, n, level),
                      tie=wilson_interval(ties, n, level), loss=wilson_interval(losses, n, level),
                      win_rate=wilson_interval(wins + ties / 2, n, level))


def compare_paired(
    a: Scores,
    b: Scores,
    *,
    kind: str = "auto",
    alpha: float = 0.05,
    level: float = 0.95,
    n_resamples: int = 2000,
    n_permutations: int = 10_000,
    min_effect: float | None = None,
    seed: int | None = 0,
) -> PairedComparison:
    """Everything to compare run B with run A (the baseline) on their shared items, in the same order.

    ``kind``: ``binary`` (pass/fail: McNemar's test), ``continuous`` (sign-flip permutation test), or
    ``auto`` (binary when every score is 0 or 1). The delta is B - A with a paired-bootstrap interval.
    ``min_effect`` (default: the observed delta) feeds a power check of the sample size.
    """
    if kind not in ("auto", "binary", "continuous"):
        raise InvalidInput(f"kind must be auto, binary or continuous, not {kind!r}")
    x, y = _pair(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if kind == "auto":
        kind = "binary" if np.all(np.isin(x, (0.0, 1.0))) and np.all(np.isin(y, (0.0, 1.0))) else "continuous"
    delta = paired_bootstrap_delta(x, y, level=level, n_resamples=n_resamples, seed=seed)
    mcnemar = None
    if kind == "binary":
        mcnemar = mcnemar_test(x, y)
        p_value, test = mcnemar.p_value, f"McNemar ({mcnemar.method})"
    else:
        p_value = sign_flip_test(x, y, n_permutations=n_permutations, seed=seed)
        test = "sign-flip permutation"
    effect = abs(min_effect if min_effect is not None else float(delta.estimate or 0.0))
    power: PowerCheck | None = None
    sd = float(np.std(y - x, ddof=1)) if len(x) > 1 else 0.0
    if effect > 0 and sd > 0:
        power = power_check(len(x), effect, sd=sd, alpha=alpha)
    return PairedComparison(n=len(x), mean_a=float(x.mean()), mean_b=float(y.mean()), delta=delta,
                            p_value=p_value, test=test, significant=p_value < alpha, alpha=alpha,
                            outcome=win_tie_loss(x, y, level=level), mcnemar=mcnemar, power=power)
