"""Two evaluation runs side by side, a page at a time: for each shared example the input, both outputs, the
reference, every score and judge explanation, and whether run B won, tied or lost on the chosen metric.

Only the score columns of both runs are read to decide outcomes, filter (regressions, improvements,
ties, changed) and order; the full rows (inputs, outputs, judgments) are then read for the page's
examples alone, so a comparison of thousands of items opens quickly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput
from genloop.evals._schemas import MetricComparison
from genloop.evals._tables import EvalItemRow

__all__ = ["CompareFilter", "ComparePage", "CompareRow", "ItemsPage", "compare_page", "paired_tests", "run_items"]

CompareFilter = Literal["all", "regressions", "improvements", "ties", "changed"]
_FILTERS = ("all", "regressions", "improvements", "ties", "changed")


class CompareRow(BaseModel):
    """One example in both runs; ``outcome`` is B's result against A on the page's metric."""

    example_id: str
    example_index: int
    inputs: dict[str, Any] = Field(default_factory=dict)
    reference: Any = None
    output_a: str | None = None
    output_b: str | None = None
    scores_a: dict[str, float | None] = Field(default_factory=dict)
    scores_b: dict[str, float | None] = Field(default_factory=dict)
    explanations_a: dict[str, str] = Field(default_factory=dict)
    explanations_b: dict[str, str] = Field(default_factory=dict)
    score_a: float | None = None
    score_b: float | None = None
    delta: float | None = None
    outcome: Literal["win", "tie", "loss"] | None = None


class ComparePage(BaseModel):
    """A page of a side-by-side comparison, with the win/tie/loss counts over every shared example."""

    run_a: str
    run_b: str
    candidate_a: str
    candidate_b: str
    metric: str | None
    metrics: list[str]
    filter: str
    wins: int = 0
    ties: int = 0
    losses: int = 0
    shared: int = 0
    items: list[CompareRow]
    total: int
    offset: int
    limit: int
    next_offset: int | None = None


def compare_page(session: Session, run_a: str, run_b: str, *, candidate_a: str | None = None,
                 candidate_b: str | None = None, metric: str | None = None, show: str = "all", offset: int = 0,
                 limit: int = 50, higher_is_better: dict[str, bool | None] | None = None) -> ComparePage:
    """Run B against baseline run A (both already checked to belong to the project)."""
    if show not in _FILTERS:
        raise InvalidInput(f"invalid comparison filter {show!r}", hint=f"use one of {', '.join(_FILTERS)}")
    scores_a, cand_a = _scores(session, run_a, candidate_a)
    scores_b, cand_b = _scores(session, run_b, candidate_b)
    shared = sorted(set(scores_a) & set(scores_b), key=lambda ex: scores_a[ex][0])
    keys = sorted({k for ex in shared for k in scores_a[ex][1]} & {k for ex in shared for k in scores_b[ex][1]}
                  - {"latency_s"})
    if metric is not None and metric not in keys:
        raise InvalidInput(f"the runs share no metric {metric!r}", hint=f"their shared metrics: {', '.join(keys)}")
    metric = metric or (keys[0] if keys else None)
    sign = -1.0 if (higher_is_better or {}).get(metric or "", True) is False else 1.0
    outcomes: dict[str, tuple[float | None, float | None, float | None, str | None]] = {}
    counts = {"win": 0, "tie": 0, "loss": 0}
    for ex in shared:
        a, b = scores_a[ex][1].get(metric or ""), scores_b[ex][1].get(metric or "")
        if a is None or b is None:
            outcomes[ex] = (a, b, None, None)
            continue
        better = sign * (b - a)
        outcome = "win" if better > 0 else "loss" if better < 0 else "tie"
        counts[outcome] += 1
        outcomes[ex] = (a, b, b - a, outcome)
    chosen = [ex for ex in shared if _keep(show, outcomes[ex][3])]
    if show in ("regressions", "improvements", "changed"):  # the biggest changes first
        chosen.sort(key=lambda ex: (-abs(outcomes[ex][2] or 0.0), scores_a[ex][0]))
    page = chosen[offset:offset + limit]
    rows_a = _rows(session, run_a, cand_a, page)
    rows_b = _rows(session, run_b, cand_b, page)
    items = []
    for ex in page:
        ra, rb = rows_a.get(ex), rows_b.get(ex)
        a, b, delta, outcome = outcomes[ex]
        items.append(CompareRow(
            example_id=ex, example_index=scores_a[ex][0], inputs=(ra.inputs if ra else None) or {},
            reference=ra.reference if ra else None, output_a=ra.output if ra else None,
            output_b=rb.output if rb else None, scores_a=scores_a[ex][1], scores_b=scores_b[ex][1],
            explanations_a=_explanations(ra), explanations_b=_explanations(rb), score_a=a, score_b=b, delta=delta,
            outcome=outcome))  # type: ignore[arg-type]
    nxt = offset + len(page) if offset + len(page) < len(chosen) else None
    return ComparePage(run_a=run_a, run_b=run_b, candidate_a=cand_a, candidate_b=cand_b, metric=metric, metrics=keys,
                       filter=show, wins=counts["win"], ties=counts["tie"], losses=counts["loss"], shared=len(shared),
                       items=items, total=len(chosen), offset=offset, limit=limit, next_offset=nxt)


def _keep(show: str, outcome: str | None) -> bool:
    return (show == "all" or (show == "regressions" and outcome == "loss")
            or (show == "improvements" and outcome == "win") or (show == "ties" and outcome == "tie")
            or (show == "changed" and outcome in ("win", "loss")))


def _scores(session: Session, run_id: str, wanted: str | None) -> tuple[dict[str, tuple[int, dict[str, Any]]], str]:
    """Per example of the run's candidate: its index and its scores (mean over repeats of the ok items)."""
    rows = session.connection().execute(  # Core, not the ORM: thousands of small rows
        select(EvalItemRow.example_id, EvalItemRow.example_index, EvalItemRow.candidate, EvalItemRow.status,
               EvalItemRow.scores).where(EvalItemRow.run_id == run_id)).all()
    names = sorted({r[2] for r in rows})
    if wanted is None and len(names) != 1:
        raise InvalidInput(f"run {run_id} has {len(names)} candidates ({', '.join(names)}); say which to compare",
                           hint="pass candidate_a / candidate_b")
    if wanted is not None and wanted not in names:
        raise InvalidInput(f"run {run_id} has no candidate {wanted!r}", hint=f"its candidates: {', '.join(names)}")
    cand = wanted or names[0]
    sums: dict[str, tuple[int, dict[str, list[float]]]] = {}
    for ex, index, candidate, status, scores in rows:
        if candidate != cand or status != "ok":
            continue
        _, per = sums.setdefault(ex, (index, {}))
        for key, value in (scores or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                per.setdefault(key, []).append(float(value))
    return {ex: (index, {k: sum(v) / len(v) for k, v in per.items()}) for ex, (index, per) in sums.items()}, cand


def _rows(session: Session, run_id: str, candidate: str, examples: list[str]) -> dict[str, EvalItemRow]:
    if not examples:
        return {}
    rows = session.scalars(select(EvalItemRow).where(
        EvalItemRow.run_id == run_id, EvalItemRow.candidate == candidate, EvalItemRow.example_id.in_(examples),
        EvalItemRow.status == "ok").order_by(EvalItemRow.repeat.desc()))
    return {r.example_id: r for r in rows}  # repeat 0 last, so it wins


def _explanations(row: EvalItemRow | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for judge, verdict in ((row.judgments if row else None) or {}).items():
        if not str(judge).startswith("_") and isinstance(verdict, dict) and verdict.get("explanation"):
            out[str(judge)] = str(verdict["explanation"])
    return out


def paired_tests(session: Session, run_a: str, run_b: str, *, candidate_a: str | None = None,
                 candidate_b: str | None = None, higher_is_better: dict[str, bool | None] | None = None,
                 seed: int = 0) -> list[MetricComparison]:
    """Per shared metric: the paired test, the delta with its interval and wins/ties/losses, computed
    from the score columns alone (what :func:`compare_items` reports, without reading outputs)."""
    from genloop.evals._compare import _SKIP, _one_metric

    scores_a, _ = _scores(session, run_a, candidate_a)
    scores_b, _ = _scores(session, run_b, candidate_b)
    shared = sorted(set(scores_a) & set(scores_b))
    keys = sorted(({k for ex in shared for k in scores_a[ex][1]} & {k for ex in shared for k in scores_b[ex][1]})
                  - _SKIP)
    out = []
    for key in keys:
        common = [ex for ex in shared if key in scores_a[ex][1] and key in scores_b[ex][1]]
        out.append(_one_metric(key, [scores_a[ex][1][key] for ex in common], [scores_b[ex][1][key] for ex in common],
                               None, 0.05, seed, (higher_is_better or {}).get(key, True)))
    return out


ITEM_FILTERS = ("all", "failed", "disagree", "worst")


class ItemsPage(BaseModel):
    """A page of one run's items, filtered to failed ones, disagreeing judges, or ordered worst first."""

    show: str
    metric: str | None
    metrics: list[str]
    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    next_offset: int | None = None


def run_items(session: Session, run_id: str, *, show: str = "all", metric: str | None = None, offset: int = 0,
              limit: int = 50) -> ItemsPage:
    """Items of ``run_id`` (already checked to be the project's): ``failed`` (an error, or a judge that did
    not pass it), ``disagree`` (judges, or one judge's samples, that differ), ``worst`` (lowest ``metric``)."""
    if show not in ITEM_FILTERS:
        raise InvalidInput(f"invalid item filter {show!r}", hint=f"use one of {', '.join(ITEM_FILTERS)}")
    rows = session.connection().execute(select(EvalItemRow.id, EvalItemRow.example_index, EvalItemRow.status,
                                  EvalItemRow.scores, EvalItemRow.judgments)
                           .where(EvalItemRow.run_id == run_id).order_by(EvalItemRow.example_index,
                                                                         EvalItemRow.candidate, EvalItemRow.repeat)).all()
    metrics = sorted({k for r in rows for k, v in (r[3] or {}).items() if isinstance(v, (int, float))})
    if metric is not None and metric not in metrics:
        raise InvalidInput(f"run {run_id} has no metric {metric!r}", hint=f"its metrics: {', '.join(metrics)}")
    metric = metric or (metrics[0] if metrics else None)
    if show == "failed":
        rows = [r for r in rows if r[2] != "ok" or any(v.get("passed") is False for v in _verdicts(r[4]))]
    elif show == "disagree":
        rows = [r for r in rows if _disagree(_verdicts(r[4]))]
    elif show == "worst":
        rows = sorted((r for r in rows if isinstance((r[3] or {}).get(metric), (int, float))),
                      key=lambda r: (r[3][metric], r[1]))
    chosen = [r[0] for r in rows[offset:offset + limit]]
    full = {r.id: r for r in session.scalars(select(EvalItemRow).where(EvalItemRow.id.in_(chosen)))} if chosen else {}
    items = [{"example_id": full[i].example_id, "example_index": full[i].example_index,
              "candidate": full[i].candidate, "repeat": full[i].repeat, "status": full[i].status,
              "inputs": full[i].inputs or {}, "output": full[i].output, "reference": full[i].reference,
              "scores": full[i].scores or {}, "judgments": full[i].judgments or {}, "error": full[i].error}
             for i in chosen]
    nxt = offset + len(chosen) if offset + len(chosen) < len(rows) else None
    return ItemsPage(show=show, metric=metric, metrics=metrics, items=items, total=len(rows), offset=offset,
                     limit=limit, next_offset=nxt)


def _verdicts(judgments: Any) -> list[dict[str, Any]]:
    return [v for k, v in (judgments or {}).items() if not str(k).startswith("_") and isinstance(v, dict)]


def _disagree(verdicts: list[dict[str, Any]]) -> bool:
    passed = {v.get("passed") for v in verdicts if v.get("passed") is not None}
    scores = {v.get("score") for v in verdicts if isinstance(v.get("score"), (int, float))}
    if len(passed) > 1 or (len(verdicts) > 1 and len(scores) > 1):
        return True
    for v in verdicts:
        samples = [s.get("score") if isinstance(s, dict) else s for s in v.get("samples") or []]
        if len({s for s in samples if isinstance(s, (int, float))}) > 1:
            return True
    return False
