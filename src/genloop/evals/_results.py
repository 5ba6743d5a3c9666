"""Build an :class:`EvalResult` from what the backend stores about a run (its Run row and eval extension)."""

from __future__ import annotations

from typing import Any

from genloop.evals._schemas import Aggregate, EvalResult, GateResult, PairwiseSummary, RankEntry

__all__ = ["result_from_info"]


def result_from_info(info: dict[str, Any]) -> EvalResult:
    """``info`` is ``LocalBackend.run_info(run_id)`` (the same JSON the REST API answers)."""
    run = info["run"]
    summary = run.get("summary") or {}
    counts = info.get("item_counts") or {}
    aggregates = {cand: {m: Aggregate.model_validate(a) for m, a in per.items()}
                  for cand, per in (summary.get("aggregates") or {}).items()}
    return EvalResult(
        run_id=run["id"], name=run.get("name") or "", status=run["status"], reason=summary.get("reason"),
        error=run.get("error"), spec_hash=info["spec_hash"], spec=info["spec"], dataset=summary.get("dataset"),
        candidates=list(summary.get("candidates") or (run.get("params") or {}).get("candidates") or []),
        planned_items=info.get("planned_items", 0), planned_pairs=info.get("planned_pairs", 0),
        completed_items=int(counts.get("ok", 0)), error_items=int(counts.get("error", 0)),
        cost=float(summary.get("cost") or 0.0), spent=float(summary.get("spent") or 0.0),
        metrics=dict(run.get("metrics") or {}), aggregates=aggregates,
        pairwise=[PairwiseSummary.model_validate(p) for p in summary.get("pairwise") or []],
        ranking=[RankEntry.model_validate(r) for r in summary.get("ranking") or []],
        judges=dict(summary.get("judges") or {}), warnings=list(summary.get("warnings") or []),
        directions=dict(summary.get("directions") or {}),
        gates=[GateResult.model_validate(g) for g in summary.get("gates") or []],
        started_at=run.get("started_at"), ended_at=run.get("ended_at"),
    )
