"""What the evals package returns and the REST API sends: items, verdicts, results, comparisons, gates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Aggregate",
    "Comparison",
    "EvalItem",
    "EvalPair",
    "EvalResult",
    "GateResult",
    "ItemChange",
    "JudgeAgreement",
    "MetricComparison",
    "PairwiseSummary",
    "RankEntry",
]


class EvalItem(BaseModel):
    """One example answered by one candidate: inputs, output, reference, every score and judge explanation."""

    model_config = ConfigDict(from_attributes=True)

    example_id: str
    example_index: int
    candidate: str
    repeat: int = 0
    status: str = Field(description="ok | error")
    inputs: dict[str, Any] = Field(default_factory=dict)
    output: str | None = None
    reference: Any = None
    scores: dict[str, float | None] = Field(default_factory=dict)
    judgments: dict[str, Any] = Field(default_factory=dict, description="Per judge: score, explanation, samples.")
    error: str | None = None
    latency_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    cached: bool = False


class EvalPair(BaseModel):
    """One pairwise verdict: ``winner`` is ``a``, ``b``, ``tie``, or None when no order could be parsed."""

    model_config = ConfigDict(from_attributes=True)

    judge: str
    example_id: str
    example_index: int
    candidate_a: str
    candidate_b: str
    repeat: int = 0
    status: str = Field(description="ok | unparsed | error")
    winner: str | None = None
    consistent: bool | None = Field(default=None, description="Both orders gave the same verdict.")
    orders: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    cost: float | None = None


class Aggregate(BaseModel):
    """A mean (or proportion, or corpus score) with its confidence interval."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    method: str = Field(default="bootstrap", description="bootstrap (means), wilson (proportions), or corpus "
                        "(BLEU, chrF: the corpus score, with the interval of the item mean)")


class PairwiseSummary(BaseModel):
    """Win/tie/loss of ``candidate_a`` (the challenger: a later candidate, or any candidate but the judge's
    ``baseline``) against ``candidate_b`` under one pairwise judge; every rate is ``candidate_a``'s."""

    judge: str
    candidate_a: str
    candidate_b: str
    win_rate_of: str | None = Field(default=None, description="The candidate the win rate is for (candidate_a)")
    against: str | None = Field(default=None, description="The candidate it is compared with (candidate_b)")
    method: str | None = Field(default=None, description="How the interval was computed")
    n: int
    wins: int
    ties: int
    losses: int
    unparsed: int = 0
    win_rate: float | None = Field(default=None, description="(wins + ties/2) / n for candidate_a")
    ci_low: float | None = None
    ci_high: float | None = None
    consistency: float | None = Field(default=None, description="Share of verdicts unchanged by order swap")


class RankEntry(BaseModel):
    """One candidate's Bradley-Terry strength (log scale) with its interval."""

    candidate: str
    rank: int
    strength: float
    ci_low: float | None = None
    ci_high: float | None = None


class GateResult(BaseModel):
    """One checked gate; ``margin`` is how far the value is past (positive) or short of (negative) the bar."""

    gate: str
    passed: bool
    actual: float | None = None
    threshold: float | None = None
    margin: float | None = None
    message: str


class EvalResult(BaseModel):
    """An evaluation run: its status, counts, cost, flat metrics, aggregates with intervals and rankings."""

    run_id: str
    name: str
    status: str = Field(description="The run's status: running | succeeded | failed | cancelled")
    reason: str | None = Field(default=None, description="completed | cost_cap | interrupted | error")
    error: str | None = None
    spec_hash: str
    spec: dict[str, Any]
    dataset: str | None = Field(default=None, description="The pinned dataset version NAME@N")
    candidates: list[str] = Field(default_factory=list)
    planned_items: int = 0
    planned_pairs: int = 0
    completed_items: int = 0
    error_items: int = 0
    cost: float = Field(default=0.0, description="USD of every reply recorded, cached ones included")
    spent: float = Field(default=0.0, description="USD actually paid by this run (cache hits cost nothing)")
    metrics: dict[str, float] = Field(default_factory=dict, description="Flat: 'rouge_l', 'rouge_l.ci_low', ...")
    aggregates: dict[str, dict[str, Aggregate]] = Field(default_factory=dict, description="candidate -> metric")
    pairwise: list[PairwiseSummary] = Field(default_factory=list)
    ranking: list[RankEntry] = Field(default_factory=list)
    judges: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per judge: unparsed counts...")
    warnings: list[str] = Field(default_factory=list)
    gates: list[GateResult] = Field(default_factory=list)
    directions: dict[str, bool | None] = Field(default_factory=dict, description="Per computed metric: "
                                               "higher_is_better (False: lower is better; None: a measurement)")
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None

    @property
    def passed(self) -> bool:
        """True when every checked gate passed (and there was at least a finished run)."""
        return all(g.passed for g in self.gates)

    def metric(self, key: str) -> float | None:
        """A flat metric by key, e.g. ``rouge_l`` or ``rouge_l.ci_low``."""
        return self.metrics.get(key)

    def assert_gates(self, *gates: str) -> list[GateResult]:
        """Check ``gates`` on this result (with none: the gates checked when it ran, else the spec's);
        raise AssertionError naming each failed one and by how much."""
        from genloop.evals._gates import check_gates

        results = check_gates(self, list(gates)) if gates else (
            self.gates or check_gates(self, list(self.spec.get("gates") or [])))
        failed = [f"{g.gate}: {g.message}" for g in results if not g.passed]
        if failed:
            raise AssertionError("evaluation gates failed:\n  " + "\n  ".join(failed))
        return results


class MetricComparison(BaseModel):
    """One metric compared on the items two runs share: delta (B - A), its interval and a paired test."""

    metric: str
    n: int
    mean_a: float | None
    mean_b: float | None
    delta: float | None
    higher_is_better: bool | None = Field(default=True, description="False: lower is better (wins count B lower); "
                                          "None: a plain measurement (wins count B higher)")
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    test: str = ""
    significant: bool = False
    wins: int = Field(default=0, description="Items where B did better (higher, or lower when lower is better)")
    ties: int = 0
    losses: int = 0
    win_rate: float | None = None
    win_ci_low: float | None = None
    win_ci_high: float | None = None
    warning: str | None = None


class ItemChange(BaseModel):
    """An item whose score moved most between the two runs, side by side."""

    example_id: str
    metric: str
    score_a: float | None
    score_b: float | None
    delta: float
    inputs: dict[str, Any] = Field(default_factory=dict)
    output_a: str | None = None
    output_b: str | None = None


class Comparison(BaseModel):
    """Run B against run A (the baseline) on their shared items."""

    run_a: str
    run_b: str
    candidate_a: str
    candidate_b: str
    shared: int
    metrics: list[MetricComparison] = Field(default_factory=list)
    top_changes: list[ItemChange] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class JudgeAgreement(BaseModel):
    """How a judge's verdicts agree with human labels on the same items."""

    run_id: str
    judge: str
    n: int
    accuracy: float | None
    accuracy_ci_low: float | None = None
    accuracy_ci_high: float | None = None
    kappa: float | None = None
    labels: list[str] = Field(default_factory=list)
    confusion: list[list[int]] = Field(default_factory=list, description="rows: human label, columns: judge")
    human_win_rate: float | None = None
    judge_win_rate: float | None = None
    missing: int = Field(default=0, description="Items with a judge verdict but no human label, or vice versa")
    warnings: list[str] = Field(default_factory=list)
