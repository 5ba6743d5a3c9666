"""Wilson and bootstrap intervals: textbook values, scipy, coverage, power and sample size."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from genloop.errors import InvalidInput
from genloop.evals.stats import (
    Interval,
    achieved_power,
    bootstrap_ci,
    power_check,
    required_sample_size,
    wilson_interval,
)


def test_wilson_textbook_values() -> None:
    eight = wilson_interval(8, 10)
    assert (round(eight.low, 4), round(eight.high, 4)) == (0.4902, 0.9433)  # Newcombe (1998), 95%
    assert eight.estimate == 0.8 and eight.method == "wilson" and eight.n == 10
    zero = wilson_interval(0, 10)
    assert zero.low == 0.0 and zero.high == pytest.approx(1.959964**2 / (10 + 1.959964**2))
    assert wilson_interval(0, 0) == Interval(estimate=None, low=0.0, high=1.0, level=0.95, method="wilson", n=0)
    assert wilson_interval(5.5, 10).estimate == 0.55  # ties counted as half


@pytest.mark.parametrize(("k", "n", "level"), [(8, 10, 0.95), (1, 50, 0.9), (37, 40, 0.99), (500, 1000, 0.95)])
def test_wilson_equals_scipy(k: int, n: int, level: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    got = wilson_interval(k, n, level)
    assert got.low == pytest.approx(expected.low, abs=1e-12) and got.high == pytest.approx(expected.high, abs=1e-12)


def test_bootstrap_is_seeded_and_serialises() -> None:
    values = np.random.default_rng(0).exponential(size=50)
    first, again = bootstrap_ci(values, seed=3), bootstrap_ci(values, seed=3)
    assert first == again and first.low < values.mean() < first.high
    assert first.estimate == pytest.approx(values.mean())
    assert Interval.model_validate(json.loads(first.model_dump_json())) == first
    constant = bootstrap_ci([0.5] * 7)
    assert (constant.low, constant.high) == (0.5, 0.5)


def test_bca_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    values = np.random.default_rng(4).exponential(size=60)
    expected = stats.bootstrap((values,), np.mean, method="BCa", n_resamples=20_000, rng=1).confidence_interval
    got = bootstrap_ci(values, method="bca", n_resamples=20_000, seed=2)
    assert got.low == pytest.approx(expected.low, rel=0.02) and got.high == pytest.approx(expected.high, rel=0.02)
    percentile = stats.bootstrap((values,), np.mean, method="percentile", n_resamples=20_000,
                                 rng=1).confidence_interval
    got = bootstrap_ci(values, n_resamples=20_000, seed=2)
    assert got.low == pytest.approx(percentile.low, rel=0.02) and got.high == pytest.approx(percentile.high, rel=0.02)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_coverage_in_a_simulation(method: str) -> None:
    """Skewed data (exponential, true mean 1), n = 40: a 95% interval should cover the mean ~95% of the time."""
    rng = np.random.default_rng(123)
    trials = 300
    covered = sum(
        (ci := bootstrap_ci(rng.exponential(size=40), method=method, n_resamples=1000, seed=i)).low <= 1.0 <= ci.high
        for i in range(trials)
    )
    assert 0.89 <= covered / trials <= 0.98


def test_wilson_coverage_in_a_simulation() -> None:
    rng = np.random.default_rng(7)
    hits = rng.binomial(30, 0.2, size=2000)
    covered = np.mean([(ci := wilson_interval(int(k), 30)).low <= 0.2 <= ci.high for k in hits])
    assert 0.92 <= covered <= 0.98


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput):
        bootstrap_ci([])
    with pytest.raises(InvalidInput, match="NaN"):
        bootstrap_ci([1.0, math.nan])
    with pytest.raises(InvalidInput):
        bootstrap_ci([1.0, 2.0], method="bootstrap-t")
    with pytest.raises(InvalidInput):
        wilson_interval(11, 10)
    with pytest.raises(InvalidInput):
        wilson_interval(1, 10, level=95)


def test_sample_size_textbook_values() -> None:
    # (z_0.975 + z_0.8)^2 / d^2 with d = 0.5: 31.4 -> 32 pairs; two groups: 62.8 -> 63 per group
    assert required_sample_size(0.5, sd=1.0) == 32
    assert required_sample_size(0.5, sd=1.0, design="two-sample") == 63
    assert required_sample_size(0.1, proportion=0.5) == required_sample_size(0.1, sd=0.5) == 197
    assert required_sample_size(0.0, sd=1.0) is None
    stats = pytest.importorskip("scipy.stats")
    z = stats.norm.ppf(0.975)
    assert achieved_power(32, 0.5, sd=1.0) == pytest.approx(stats.norm.cdf(0.5 * math.sqrt(32) - z))


def test_power_check_warns_when_too_small() -> None:
    small = power_check(40, 0.05, sd=0.2, label="rouge_l")
    assert not small.sufficient and small.required_n == 126
    assert small.message and small.message.startswith("rouge_l: 40 items are too few") and "126" in small.message
    assert small.achieved_power == pytest.approx(0.352, abs=1e-3)
    assert power_check(200, 0.05, sd=0.2).sufficient
    assert power_check(100, 0.1, variance=0.04).required_n == 32
    with pytest.raises(InvalidInput, match="exactly one"):
        power_check(10, 0.1, sd=1.0, proportion=0.5)


@pytest.mark.parametrize("kind", ["binary", "likert", "likert-large"])
def test_bca_equals_scipy_on_discrete_data(kind: str) -> None:
    """On 0/1 and Likert data many resampled means equal the estimate; scipy counts them as half below.
    Same seed, same resamples (one draw of (B, n) indices, also when drawn in chunks): the same interval."""
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng({"binary": 0, "likert": 1, "likert-large": 2}[kind])
    size = {"binary": 30, "likert": 40, "likert-large": 3000}[kind]
    values = rng.integers(0, 2, size=size) if kind == "binary" else rng.integers(1, 6, size=size)
    values = values.astype(float)
    for seed in range(4):
        expected = stats.bootstrap((values,), np.mean, method="BCa", n_resamples=2000,
                                   rng=np.random.default_rng(seed)).confidence_interval
        got = bootstrap_ci(values, method="bca", n_resamples=2000, seed=seed)
        assert (got.low, got.high) == pytest.approx((expected.low, expected.high), abs=1e-12), seed
