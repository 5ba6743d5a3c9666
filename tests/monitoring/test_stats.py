"""The drift statistics equal scipy's (KS statistic and limit p-value, chi-square, PSI as symmetric KL)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from genloop.monitoring._stats import chi2_sf, chi_square_test, kolmogorov_sf, ks_test, psi, psi_shares


@pytest.mark.parametrize("seed", range(8))
def test_ks_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, int(rng.integers(5, 400)))
    b = rng.normal(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(0.5, 2)), int(rng.integers(5, 400)))
    if seed % 2:
        a, b = np.round(a), np.round(b)  # ties
    ours = ks_test(a, b)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert ours.statistic == pytest.approx(ref.statistic, abs=1e-12)
    en = a.size * b.size / (a.size + b.size)
    assert ours.p_value == pytest.approx(stats.kstwobign.sf(np.sqrt(en) * ref.statistic), abs=1e-9)


@pytest.mark.parametrize("x", [0.0, 0.1, 0.3, 0.5, 0.8, 1.0, 1.36, 1.63, 2.5, 4.0])
def test_kolmogorov_sf_equals_scipy(x: float) -> None:
    assert kolmogorov_sf(x) == pytest.approx(stats.kstwobign.sf(x), abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_chi_square_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 9))
    ref = {f"c{i}": int(rng.integers(1, 300)) for i in range(k)}
    new = {f"c{i}": int(rng.integers(0, 300)) for i in range(k)}
    ours = chi_square_test(ref, new)
    table = np.array([[ref[c] for c in sorted(ref)], [new[c] for c in sorted(ref)]])
    table = table[:, table.sum(axis=0) > 0]
    statistic, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert ours.statistic == pytest.approx(statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(p, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize(("x", "dof"), [(0.5, 1), (3.84, 1), (10.0, 3), (50.0, 7), (200.0, 4), (1.0, 30)])
def test_chi2_sf_equals_scipy(x: float, dof: int) -> None:
    assert chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9, abs=1e-300)


def test_psi_is_symmetric_kl_over_reference_deciles() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 2000), rng.normal(0.8, 1, 1500)
    expected, actual = psi_shares(a, b)
    assert psi(a, b).statistic == pytest.approx(float(np.sum(special.rel_entr(actual, expected)
                                                             + special.rel_entr(expected, actual))), rel=1e-12)
    assert psi(a, b).verdict == "drift"
    assert psi(a, rng.normal(0, 1, 1500)).verdict == "stable"


def test_tests_state_their_thresholds_and_refuse_empty_samples() -> None:
    assert "0.25" in psi([1, 2, 3], [1, 2, 3]).threshold
    assert ks_test([1.0, 2.0], [1.0, 2.0]).verdict == "stable"
    with pytest.raises(ValueError, match="at least one"):
        ks_test([], [1.0])
