"""Drift statistics in numpy alone: PSI, the two-sample Kolmogorov-Smirnov test and a chi-square test.

The thresholds are fixed and stated in every result (and in the README):

- **PSI** (population stability index, ten bins at the reference's deciles): below 0.1 stable, 0.1-0.25
  moderate shift (``warning``), 0.25 and above significant shift (``drift``).
- **KS** (two-sample, two-sided): the statistic D is the largest gap of the two empirical CDFs; the p-value
  is Kolmogorov's limit distribution at ``sqrt(n*m/(n+m)) * D`` (``scipy.stats.kstwobign.sf``). Drift when
  p < 0.01.
- **Chi-square** (homogeneity of two samples over categories, no continuity correction, as
  ``scipy.stats.chi2_contingency(..., correction=False)``): drift when p < 0.01.

``tests/monitoring/test_stats.py`` checks every figure against scipy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ALPHA", "PSI_DRIFT", "PSI_WARNING", "TestResult", "chi_square_test", "chi2_sf", "kolmogorov_sf",
           "ks_test", "psi"]

PSI_WARNING = 0.1
PSI_DRIFT = 0.25
ALPHA = 0.01
_EPS = 1e-4  # share given to an empty bin, so PSI stays finite


@dataclass(frozen=True)
class TestResult:
    """One statistical test: its name, statistic, p-value (None for PSI), threshold and verdict."""

    test: str
    statistic: float
    p_value: float | None
    threshold: str
    verdict: str  # stable | warning | drift


def psi_shares(reference: Sequence[float], recent: Sequence[float], bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The share of each sample in ``bins`` bins cut at the reference's quantiles (empty bins get a tiny share)."""
    ref = np.asarray(reference, dtype=float)
    new = np.asarray(recent, dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    new_counts = np.bincount(np.searchsorted(edges, new, side="right"), minlength=len(edges) + 1)
    expected = np.maximum(ref_counts / ref.size, _EPS)
    actual = np.maximum(new_counts / new.size, _EPS)
    return expected, actual


def psi(reference: Sequence[float], recent: Sequence[float], bins: int = 10) -> TestResult:
    """Population stability index of ``recent`` against ``reference``: sum((a - e) * ln(a / e)) over bins."""
    _need(reference, recent)
    expected, actual = psi_shares(reference, recent, bins)
    value = float(np.sum((actual - expected) * np.log(actual / expected)))
    verdict = "drift" if value >= PSI_DRIFT else "warning" if value >= PSI_WARNING else "stable"
    return TestResult("psi", value, None, f"warning >= {PSI_WARNING}, drift >= {PSI_DRIFT}", verdict)


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for Kolmogorov's distribution: 2 * sum_k (-1)^(k-1) exp(-2 k^2 x^2)."""
    if x <= 0:
        return 1.0
    if x < 0.2:  # the alternating series converges slowly here; the value is 1 to double precision
        return 1.0
    total = 0.0
    for k in range(1, 101):
        term = math.exp(-2.0 * k * k * x * x)
        total += term if k % 2 else -term
        if term < 1e-17:
            break
    return min(1.0, max(0.0, 2.0 * total))


def ks_test(reference: Sequence[float], recent: Sequence[float], alpha: float = ALPHA) -> TestResult:
    """Two-sample, two-sided Kolmogorov-Smirnov test (asymptotic p-value)."""
    _need(reference, recent)
    a = np.sort(np.asarray(reference, dtype=float))
    b = np.sort(np.asarray(recent, dtype=float))
    both = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, both, side="right") / a.size
    cdf_b = np.searchsorted(b, both, side="right") / b.size
    d = float(np.max(np.abs(cdf_a - cdf_b)))
    en = a.size * b.size / (a.size + b.size)
    p = kolmogorov_sf(math.sqrt(en) * d)
    return TestResult("ks", d, p, f"drift when p < {alpha:g}", "drift" if p < alpha else "stable")


def chi_square_test(reference: Mapping[str, int], recent: Mapping[str, int], alpha: float = ALPHA) -> TestResult:
    """Chi-square test that two samples share one distribution over categories (counts per category)."""
    labels = sorted({k for k, v in reference.items() if v} | {k for k, v in recent.items() if v})
    table = np.array([[reference.get(k, 0) for k in labels], [recent.get(k, 0) for k in labels]], dtype=float)
    if table[0].sum() == 0 or table[1].sum() == 0:
        raise ValueError("both samples need at least one observation")
    if len(labels) < 2:
        return TestResult("chi2", 0.0, 1.0, f"drift when p < {alpha:g}", "stable")
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    p = chi2_sf(statistic, len(labels) - 1)
    return TestResult("chi2", statistic, p, f"drift when p < {alpha:g}", "drift" if p < alpha else "stable")


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for a chi-square variable with ``dof`` degrees of freedom (the regularized gamma Q(dof/2, x/2))."""
    if x <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(a: float, x: float) -> float:
    if x < a + 1.0:  # series for P, then Q = 1 - P
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1.0
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    # Lentz's continued fraction for Q
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - math.lgamma(a)) * h)


def _need(reference: Sequence[float], recent: Sequence[float]) -> None:
    if len(reference) == 0 or len(recent) == 0:
        raise ValueError("both samples need at least one value")
