"""Bradley-Terry ranking of candidates from pairwise verdicts, with bootstrap intervals.

Model (Bradley & Terry, 1952): ``P(i beats j) = p_i / (p_i + p_j)``. Fitted by the MM algorithm (Hunter,
2004, "MM algorithms for generalized Bradley-Terry models"): ``p_i <- W_i / sum_j N_ij / (p_i + p_j)``,
where ``W_i`` counts i's wins (a tie is half a win for each side) and ``N_ij`` the games between i and j,
renormalised each step to a geometric mean of 1, so reported strengths ``log p_i`` have mean 0.

A weak prior of ``prior`` virtual tied games between every pair keeps the fit finite when a candidate
never loses or never wins, and connects candidates that never met (a MAP estimate; with many verdicts its
effect is negligible). Intervals: the verdicts are resampled with replacement ``n_bootstrap`` times and
refitted (all replicates at once, vectorised); percentile intervals of the strengths and of the ranks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from genloop.errors import InvalidInput
from genloop.evals.stats._models import BradleyTerryResult, RankedCandidate

__all__ = ["bradley_terry"]

Verdict = tuple[str, str, str | None]


def _encode(verdicts: Iterable[Verdict], candidates: Sequence[str] | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Candidate names, the distinct verdict kinds as rows of a (kinds x k*k) win-contribution matrix, and
    how often each kind occurred. Resampling verdicts is resampling kinds with those frequencies."""
    rows = [v for v in verdicts if v[2] is not None]
    names = list(candidates) if candidates is not None else sorted({n for a, b, _ in rows for n in (a, b)})
    index = {name: i for i, name in enumerate(names)}
    k = len(names)
    kinds: dict[tuple[int, int, str], int] = {}
    for a, b, winner in rows:
        if a not in index or b not in index:
            raise InvalidInput(f"verdict ({a!r}, {b!r}) names a candidate outside {names}")
        if a == b:
            raise InvalidInput(f"verdict compares {a!r} with itself")
        if winner in ("a", a):
            key = (index[a], index[b], "win")
        elif winner in ("b", b):
            key = (index[b], index[a], "win")
        elif winner == "tie":
            key = (min(index[a], index[b]), max(index[a], index[b]), "tie")
        else:
            raise InvalidInput(f"verdict winner {winner!r} is not 'a', 'b', 'tie', {a!r} or {b!r}")
        kinds[key] = kinds.get(key, 0) + 1
    matrix = np.zeros((len(kinds), k * k))
    for row, (i, j, outcome) in enumerate(kinds):
        if outcome == "win":
            matrix[row, i * k + j] = 1.0
        else:
            matrix[row, i * k + j] = matrix[row, j * k + i] = 0.5
    return names, matrix, np.array(list(kinds.values()), dtype=float)


def _fit(wins: np.ndarray, prior: float, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool]:
    """Batched MM fit: log-strengths (mean 0) for each win matrix in ``wins`` (shape B x k x k)."""
    k = wins.shape[1]
    off = 1.0 - np.eye(k)
    wins = wins + off * (prior / 2)
    games = wins + wins.transpose(0, 2, 1)
    total = wins.sum(axis=2)
    p = np.ones(wins.shape[:2])
    log_p = np.zeros_like(p)
    for iteration in range(1, max_iter + 1):
        p = total / (games / (p[:, :, None] + p[:, None, :])).sum(axis=2)
        new_log = np.log(p)
        new_log -= new_log.mean(axis=1, keepdims=True)
        p = np.exp(new_log)
        change = float(np.max(np.abs(new_log - log_p)))
        log_p = new_log
        if change < tol:
            return log_p, iteration, True
    return log_p, max_iter, False


def _ranks(strengths: np.ndarray) -> np.ndarray:
    """1 + the number of candidates strictly stronger, per row."""
    return 1 + (strengths[:, None, :] > strengths[:, :, None]).sum(axis=2)


def bradley_terry(
    verdicts: Iterable[Verdict],
    *,
    candidates: Sequence[str] | None = None,
    prior: float = 0.1,
    n_bootstrap: int = 1000,
    level: float = 0.95,
    seed: int | None = 0,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> BradleyTerryResult:
    """Rank candidates from ``(candidate_a, candidate_b, winner)`` verdicts, ``winner`` being ``"a"``,
    ``"b"``, ``"tie"`` or a candidate's name (None: unparsed, skipped). Best candidate first, with
    bootstrap intervals unless ``n_bootstrap`` is 0. ``candidates`` fixes the set and their order on ties."""
    if prior <= 0:
        raise InvalidInput("prior must be > 0 (virtual tied games keep strengths finite)", hint="e.g. prior=0.1")
    if not 0 < level < 1:
        raise InvalidInput(f"confidence level must be between 0 and 1, not {level}")
    names, contributions, counts = _encode(verdicts, candidates)
    k = len(names)
    if k < 2:
        raise InvalidInput(f"a ranking needs at least two candidates, got {names}")
    total = int(counts.sum())
    wins = (counts @ contributions).reshape(1, k, k)
    log_p, iterations, converged = _fit(wins, prior, max_iter, tol)
    strength = log_p[0]
    rank = _ranks(log_p)[0]
    low = high = rank_low = rank_high = None
    if n_bootstrap > 0 and total:
        rng = np.random.default_rng(seed)
        resampled = rng.multinomial(total, counts / total, size=n_bootstrap).astype(float)
        boot_wins = (resampled @ contributions).reshape(-1, k, k)
        boot, _, _ = _fit(boot_wins, prior, max_iter, max(tol, 1e-8))
        alpha = 1 - level
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
        boot_ranks = _ranks(boot)
        rank_low, rank_high = np.quantile(boot_ranks, [alpha / 2, 1 - alpha / 2], axis=0, method="inverted_cdf")
    played = wins[0] + wins[0].T
    order = sorted(range(k), key=lambda i: (-strength[i], i))
    entries = [
        RankedCandidate(
            candidate=names[i], rank=int(rank[i]), strength=float(strength[i]),
            strength_low=None if low is None else float(low[i]), strength_high=None if high is None else float(high[i]),
            rank_low=None if rank_low is None else int(rank_low[i]),
            rank_high=None if rank_high is None else int(rank_high[i]),
            wins=float(wins[0, i].sum()), comparisons=int(round(played[i].sum())),
        )
        for i in order
    ]
    return BradleyTerryResult(candidates=entries, verdicts=total, iterations=iterations, converged=converged,
                              prior=prior, level=level, n_bootstrap=n_bootstrap if total else 0)
