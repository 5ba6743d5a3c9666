"""What the tuning engine returns: the run, the registered version, and what was measured."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from genloop.datasets import DatasetVersion
from genloop.evals import Comparison, GateResult
from genloop.models import ModelVersion
from genloop.runs import Run

__all__ = ["DistillResult", "EvalOutcome", "OptimizeResult", "TuneResult"]


class EvalOutcome(BaseModel):
    """The evaluation after training: the tuned model's run, the base's run, and B (tuned) against A (base)."""

    tuned_run: str
    base_run: str | None = None
    tuned_metrics: dict[str, float] = Field(default_factory=dict)
    base_metrics: dict[str, float] = Field(default_factory=dict)
    comparison: Comparison | None = None
    gates: list[GateResult] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every gate passed (True when there were none)."""
        return all(g.passed for g in self.gates)

    def brief(self) -> dict[str, Any]:
        """A JSON summary for model metadata and run summaries (deltas, p-values, gates)."""
        deltas = {}
        for m in self.comparison.metrics if self.comparison else []:
            deltas[m.metric] = {"base": m.mean_a, "tuned": m.mean_b, "delta": m.delta, "ci_low": m.ci_low,
                                "ci_high": m.ci_high, "p_value": m.p_value, "significant": m.significant,
                                "wins": m.wins, "ties": m.ties, "losses": m.losses}
        return {"tuned_run": self.tuned_run, "base_run": self.base_run, "tuned": self.tuned_metrics,
                "base": self.base_metrics, "comparison": deltas,
                "shared_items": self.comparison.shared if self.comparison else None,
                "gates": [g.model_dump(mode="json") for g in self.gates], "passed": self.passed}


class TuneResult(BaseModel):
    """A finished tuning run and the model version it registered."""

    run: Run
    model: ModelVersion
    metrics: dict[str, Any] = Field(default_factory=dict, description="train_loss, eval_loss, steps, tokens/s...")
    evaluation: EvalOutcome | None = None


class OptimizeResult(BaseModel):
    """A merge or quantization: its ``optimize`` run, the new version, and source vs result measurements."""

    run: Run
    model: ModelVersion
    source: str = Field(description="NAME@N of the version it was made from")
    comparison: dict[str, Any] = Field(default_factory=dict, description="size, perplexity, latency: both sides")


class DistillResult(BaseModel):
    """A teacher's answers as a new chat dataset version (and the student tuned on it, when asked)."""

    run: Run
    dataset: DatasetVersion
    generated: int
    skipped: int = Field(default=0, description="prompts the teacher answered with nothing or an error")
    tune: TuneResult | None = None
