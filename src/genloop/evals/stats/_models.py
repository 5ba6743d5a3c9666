"""The results of the statistics functions: small frozen pydantic models that serialise to JSON."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AgreementReport",
    "BradleyTerryResult",
    "Interval",
    "McNemarResult",
    "PairedComparison",
    "PowerCheck",
    "RankedCandidate",
    "WinTieLoss",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Interval(_Frozen):
    """A point ``estimate`` with a two-sided ``level`` confidence interval [``low``, ``high``]."""

    estimate: float | None = Field(description="The point estimate (mean, proportion, delta); None when n = 0")
    low: float
    high: float
    level: float = 0.95
    method: str = Field(description="e.g. 'wilson', 'bootstrap-percentile', 'bootstrap-bca'")
    n: int = 0


class McNemarResult(_Frozen):
    """McNemar's test on paired pass/fail: ``b_only`` items pass only under B, ``a_only`` only under A."""

    a_only: int
    b_only: int
    statistic: float | None = Field(description="Chi-square with continuity correction; None for the exact test")
    p_value: float
    method: str = Field(description="'exact binomial' (fewer than 25 discordant pairs) or 'chi-square (corrected)'")


class WinTieLoss(_Frozen):
    """How often B beats, ties or loses to A on shared items, each share with a Wilson interval.
    ``win_rate`` counts a tie as half a win."""

    n: int
    wins: int
    ties: int
    losses: int
    win: Interval
    tie: Interval
    loss: Interval
    win_rate: Interval


class PowerCheck(_Frozen):
    """Whether ``n`` items can detect ``effect`` at ``alpha`` with ``power``, and how many would."""

    n: int
    effect: float
    sd: float
    alpha: float
    power: float
    design: str = Field(description="'paired' (per-item differences) or 'two-sample' (n per group)")
    achieved_power: float
    required_n: int | None = Field(description="Items needed; None when the effect or the spread is 0")
    sufficient: bool
    message: str | None = Field(default=None, description="A readable warning when the sample is too small")


class PairedComparison(_Frozen):
    """Run B against run A on the same items: the mean delta (B - A) with a paired-bootstrap interval, a
    paired test, win/tie/loss counts and, when asked, a power check."""

    n: int
    mean_a: float
    mean_b: float
    delta: Interval
    p_value: float
    test: str = Field(description="'sign-flip permutation' (exact or Monte Carlo) or a McNemar method")
    significant: bool
    alpha: float = 0.05
    outcome: WinTieLoss
    mcnemar: McNemarResult | None = None
    power: PowerCheck | None = None


class RankedCandidate(_Frozen):
    """One candidate in a Bradley-Terry ranking: log-strength (mean zero across candidates) and rank
    (1 = best), each with a bootstrap interval, and the verdicts it took part in."""

    candidate: str
    rank: int
    strength: float
    strength_low: float | None = None
    strength_high: float | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    wins: float = Field(description="Wins, a tie counting half")
    comparisons: int


class BradleyTerryResult(_Frozen):
    """A Bradley-Terry fit (MM algorithm) of pairwise verdicts, best candidate first."""

    candidates: list[RankedCandidate]
    verdicts: int
    iterations: int
    converged: bool
    prior: float
    level: float
    n_bootstrap: int

    def probability(self, a: str, b: str) -> float:
        """The fitted probability that ``a`` beats ``b``."""
        strength = {c.candidate: c.strength for c in self.candidates}
        return 1.0 / (1.0 + math.exp(strength[b] - strength[a]))


class AgreementReport(_Frozen):
    """How a judge agrees with human labels on the same items."""

    n: int
    missing: int = Field(description="Items dropped because one side has no label")
    labels: list[str]
    confusion: list[list[int]] = Field(description="Rows: human label, columns: judge label")
    accuracy: Interval
    kappa: float | None = Field(description="Cohen's kappa; None when chance agreement is 1 (one label only)")
    weighted_kappa: float | None = None
    weights: str | None = None
    human_win_rate: float | None = Field(default=None, description="Pairwise labels: A's wins (+ ties/2) / n")
    judge_win_rate: float | None = None
