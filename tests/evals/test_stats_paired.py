"""Paired comparison: McNemar, the sign-flip test, the paired bootstrap and win/tie/loss."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from genloop.errors import InvalidInput
from genloop.evals.stats import compare_paired, mcnemar_test, paired_bootstrap_delta, sign_flip_test, win_tie_loss


def outcomes(a_only: int, b_only: int, both: int = 5, neither: int = 3) -> tuple[list[bool], list[bool]]:
    a = [True] * a_only + [False] * b_only + [True] * both + [False] * neither
    b = [False] * a_only + [True] * b_only + [True] * both + [False] * neither
    return a, b


def test_mcnemar_exact_small_sample() -> None:
    result = mcnemar_test(*outcomes(2, 8))
    # 2 * P(X <= 2), X ~ Bin(10, 1/2) = 2 * (1 + 10 + 45) / 1024
    assert result.p_value == 112 / 1024 and result.method == "exact binomial" and result.statistic is None
    assert (result.a_only, result.b_only) == (2, 8)
    stats = pytest.importorskip("scipy.stats")
    for a_only, b_only in [(0, 7), (3, 3), (11, 13), (1, 23)]:
        expected = stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
        assert mcnemar_test(*outcomes(a_only, b_only)).p_value == pytest.approx(expected, rel=1e-12)


def test_mcnemar_chi_square_with_continuity_correction() -> None:
    # Wikipedia's example: b = 121, c = 59 discordant pairs -> (|121 - 59| - 1)^2 / 180 = 20.672
    result = mcnemar_test(*outcomes(121, 59, both=101, neither=33))
    assert result.method == "chi-square (corrected)" and result.statistic == pytest.approx(3721 / 180)
    stats = pytest.importorskip("scipy.stats")
    assert result.p_value == pytest.approx(stats.chi2.sf(3721 / 180, 1), rel=1e-9)
    at_limit = mcnemar_test(*outcomes(13, 12))  # 25 discordant pairs: chi-square, (|1| - 1)^2 / 25 = 0
    assert at_limit.method == "chi-square (corrected)" and at_limit.p_value == 1.0
    assert mcnemar_test(*outcomes(10, 14)).method == "exact binomial"  # 24 discordant
    assert mcnemar_test([True, False], [True, False]).p_value == 1.0
    with pytest.raises(InvalidInput, match="pass/fail"):
        mcnemar_test([0.5, 1.0], [1.0, 1.0])


def test_sign_flip_exact_by_hand() -> None:
    # differences 1, 2, 3: of the 8 sign patterns, |sum| >= 6 for two (all + and all -)
    assert sign_flip_test([0, 0, 0], [1, 2, 3]) == 0.25
    assert sign_flip_test([1, 2], [1, 2]) == 1.0


def test_sign_flip_equals_scipy_permutation_test() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    a = rng.random(12)
    b = a + rng.normal(0.15, 0.3, 12)
    expected = stats.permutation_test((a, b), lambda x, y, axis: np.mean(y - x, axis=axis), vectorized=True,
                                      permutation_type="samples", n_resamples=10_000).pvalue  # exact: 2^12 <= 10^4
    assert sign_flip_test(a, b) == pytest.approx(expected, rel=1e-9)
    a, b = rng.random(60), rng.random(60) + 0.05  # Monte Carlo
    expected = stats.permutation_test((a, b), lambda x, y, axis: np.mean(y - x, axis=axis), vectorized=True,
                                      permutation_type="samples", n_resamples=20_000, rng=0).pvalue
    assert sign_flip_test(a, b, n_permutations=20_000) == pytest.approx(expected, abs=0.01)


def test_sign_flip_type_one_error_under_the_null() -> None:
    rng = np.random.default_rng(11)
    rejections = 0
    for seed in range(200):
        a = rng.random(25)
        b = a + rng.normal(0, 0.2, 25)
        rejections += sign_flip_test(a, b, n_permutations=1000, seed=seed) < 0.05
    assert 0.01 <= rejections / 200 <= 0.10


def test_paired_bootstrap_uses_the_pairs() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 50)  # large spread across items, tiny spread in the differences
    b = a + 0.1 + rng.normal(0, 0.01, 50)
    delta = paired_bootstrap_delta(a, b)
    assert delta.low > 0.09 and delta.high < 0.11 and delta.estimate == pytest.approx(np.mean(b - a))
    with pytest.raises(InvalidInput, match="same items"):
        paired_bootstrap_delta([1, 2], [1, 2, 3])


def test_win_tie_loss() -> None:
    result = win_tie_loss([0.5, 0.5, 0.5, 0.5], [0.9, 0.5, 0.1, 0.6], tolerance=0.05)
    assert (result.wins, result.ties, result.losses) == (2, 1, 1)
    assert result.win_rate.estimate == 2.5 / 4 and result.win.method == "wilson"


def test_compare_paired_continuous_and_binary() -> None:
    rng = np.random.default_rng(5)
    a = rng.random(80)
    b = np.clip(a + rng.normal(0.08, 0.1, 80), 0, 1)
    result = compare_paired(a, b)
    assert result.test == "sign-flip permutation" and result.significant and result.p_value < 0.001
    assert result.delta.estimate == pytest.approx(b.mean() - a.mean()) and result.delta.low > 0
    assert result.outcome.wins + result.outcome.ties + result.outcome.losses == 80
    a_bin, b_bin = outcomes(2, 8)
    binary = compare_paired(a_bin, b_bin)
    assert binary.test == "McNemar (exact binomial)" and binary.p_value == 112 / 1024 and not binary.significant
    assert binary.mcnemar is not None and binary.power is not None and not binary.power.sufficient
    assert compare_paired(a, a).p_value == 1.0 and compare_paired(a, a).power is None
    with pytest.raises(InvalidInput):
        compare_paired(a, b, kind="ordinal")


def test_every_sign_pattern_counted_once() -> None:
    diffs = [0.5, -1.0, 2.0, 0.25]
    observed = abs(sum(diffs))
    by_hand = np.mean([abs(sum(s * d for s, d in zip(signs, diffs, strict=True))) >= observed
                       for signs in itertools.product((1, -1), repeat=4)])
    assert sign_flip_test([0.0] * 4, diffs) == by_hand
