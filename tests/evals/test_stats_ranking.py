"""Bradley-Terry ranking and judge validation (accuracy, kappa, confusion matrix, win rates)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genloop.errors import InvalidInput
from genloop.evals.stats import BradleyTerryResult, bradley_terry, cohen_kappa, confusion_matrix, judge_agreement

TRUE = {"alpha": 1.2, "bravo": 0.5, "charlie": 0.0, "delta": -0.4, "echo": -1.3}


def synthetic_verdicts(n: int, seed: int = 0, tie_rate: float = 0.1) -> list[tuple[str, str, str]]:
    rng = np.random.default_rng(seed)
    names = list(TRUE)
    verdicts = []
    for _ in range(n):
        i, j = rng.choice(len(names), size=2, replace=False)
        a, b = names[i], names[j]
        p_a = 1 / (1 + np.exp(TRUE[b] - TRUE[a]))
        roll = rng.random()
        verdicts.append((a, b, "tie" if roll < tie_rate else ("a" if roll < tie_rate + (1 - tie_rate) * p_a else "b")))
    return verdicts


def test_recovers_the_true_order_with_intervals() -> None:
    with_ties = bradley_terry(synthetic_verdicts(2000, tie_rate=0.1), n_bootstrap=0)
    assert [c.candidate for c in with_ties.candidates] == list(TRUE)  # ties as half wins shrink, keep the order
    result = bradley_terry(synthetic_verdicts(3000, tie_rate=0.0), n_bootstrap=300)
    assert [c.candidate for c in result.candidates] == list(TRUE)
    assert [c.rank for c in result.candidates] == [1, 2, 3, 4, 5] and result.converged
    true = np.array(list(TRUE.values()))
    true -= true.mean()
    for entry, strength in zip(result.candidates, true, strict=True):
        assert entry.strength_low < entry.strength < entry.strength_high  # type: ignore[operator]
        assert abs(entry.strength - strength) < 0.15
        assert entry.rank_low <= entry.rank <= entry.rank_high  # type: ignore[operator]
    assert result.candidates[0].rank_high == 1 and result.candidates[-1].rank_low == 5
    assert sum(c.strength for c in result.candidates) == pytest.approx(0, abs=1e-9)
    assert result.probability("alpha", "echo") > 0.9
    assert BradleyTerryResult.model_validate(json.loads(result.model_dump_json())) == result


def test_mm_fit_is_the_maximum_likelihood() -> None:
    optimize = pytest.importorskip("scipy.optimize")
    verdicts = synthetic_verdicts(400, seed=3)
    result = bradley_terry(verdicts, prior=1e-9, n_bootstrap=0)
    names = sorted(TRUE)
    index = {n: i for i, n in enumerate(names)}
    wins = np.zeros((5, 5))
    for a, b, w in verdicts:
        i, j = index[a], index[b]
        if w == "tie":
            wins[i, j] += 0.5
            wins[j, i] += 0.5
        else:
            wins[(i, j) if w == "a" else (j, i)] += 1

    def negative_log_likelihood(theta: np.ndarray) -> float:
        diff = theta[:, None] - theta[None, :]
        return float(np.sum(wins * np.logaddexp(0, -diff)))

    best = optimize.minimize(negative_log_likelihood, np.zeros(5), method="BFGS", options={"gtol": 1e-10}).x
    best -= best.mean()
    fitted = {c.candidate: c.strength for c in result.candidates}
    assert [fitted[n] for n in names] == pytest.approx(list(best), abs=1e-5)


def test_undefeated_candidate_stays_finite_and_names_are_flexible() -> None:
    verdicts = [("x", "y", "x"), ("x", "z", "a"), ("y", "z", "tie"), ("z", "y", "b"), ("x", "y", None)]
    result = bradley_terry(verdicts, candidates=["x", "y", "z", "w"], n_bootstrap=50)
    assert result.verdicts == 4 and result.candidates[0].candidate == "x"
    assert all(np.isfinite(c.strength) for c in result.candidates)
    never = next(c for c in result.candidates if c.candidate == "w")
    assert never.comparisons == 0 and never.wins == 0.0
    with pytest.raises(InvalidInput, match="not 'a', 'b', 'tie'"):
        bradley_terry([("x", "y", "draw")])
    with pytest.raises(InvalidInput, match="at least two"):
        bradley_terry([], candidates=["x"])
    with pytest.raises(InvalidInput, match="prior"):
        bradley_terry(verdicts, prior=0)


def test_bootstrap_is_seeded() -> None:
    verdicts = synthetic_verdicts(300, seed=9)
    assert bradley_terry(verdicts, n_bootstrap=100, seed=4) == bradley_terry(verdicts, n_bootstrap=100, seed=4)


def test_kappa_textbook_examples() -> None:
    # Wikipedia's examples: 50 items, (yes/yes, yes/no, no/yes, no/no) = (20, 5, 10, 15) -> p_o .7, p_e .5, kappa .4
    def labels(yy: int, yn: int, ny: int, nn: int) -> tuple[list[str], list[str]]:
        return ["yes"] * (yy + yn) + ["no"] * (ny + nn), ["yes"] * yy + ["no"] * yn + ["yes"] * ny + ["no"] * nn

    assert cohen_kappa(*labels(20, 5, 10, 15)) == pytest.approx(0.4)
    assert cohen_kappa(*labels(45, 15, 25, 15)) == pytest.approx((0.60 - 0.54) / 0.46)  # 0.1304
    assert cohen_kappa(*labels(25, 35, 5, 35)) == pytest.approx((0.60 - 0.46) / 0.54)  # 0.2593
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None  # one label only: undefined
    assert cohen_kappa(*labels(20, 5, 10, 15), weights="linear") == pytest.approx(0.4)  # two labels: same


def test_weighted_kappa_by_hand() -> None:
    human = [1, 1, 1, 2, 2, 3, 3, 3, 2, 1]
    judge = [1, 2, 1, 2, 3, 3, 1, 3, 2, 2]
    n, k = len(human), 3
    observed = np.zeros((k, k))
    for h, j in zip(human, judge, strict=True):
        observed[h - 1, j - 1] += 1 / n
    expected = np.outer(observed.sum(1), observed.sum(0))
    for weights, power in [("linear", 1), ("quadratic", 2)]:
        w = np.array([[(abs(i - j) / (k - 1)) ** power for j in range(k)] for i in range(k)])
        by_hand = 1 - (w * observed).sum() / (w * expected).sum()
        assert cohen_kappa(human, judge, weights=weights) == pytest.approx(by_hand)
    labels, counts = confusion_matrix(human, judge)
    assert labels == [1, 2, 3] and counts.tolist() == [[2, 2, 0], [0, 2, 1], [1, 0, 2]]


def test_judge_agreement_report() -> None:
    human = ["a", "b", "tie", "a", None, "a", "b"]
    judge = ["a", "a", "tie", "a", "b", "a", None]
    report = judge_agreement(human, judge)
    assert report.n == 5 and report.missing == 2 and report.labels == ["a", "b", "tie"]
    assert report.confusion == [[3, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert report.accuracy.estimate == 0.8 and report.accuracy.method == "wilson"
    assert report.human_win_rate == (3 + 0.5) / 5 and report.judge_win_rate == (4 + 0.5) / 5
    assert report.kappa == pytest.approx(cohen_kappa(["a", "b", "tie", "a", "a"], ["a", "a", "tie", "a", "a"]))
    scores = judge_agreement([1, 2, 3, 5], [1, 3, 3, 4], labels=[1, 2, 3, 4, 5], weights="quadratic")
    assert scores.human_win_rate is None and scores.weighted_kappa is not None and scores.weights == "quadratic"
    assert json.loads(report.model_dump_json())["confusion"] == report.confusion
    with pytest.raises(InvalidInput, match="not among"):
        judge_agreement(["a"], ["c"], labels=["a", "b"])
