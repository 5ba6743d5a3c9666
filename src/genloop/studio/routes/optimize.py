"""Prompt optimizations: the runs of kind ``optimize`` with their candidates, scores (with intervals) and the
held-out verdict; a running optimization's candidates refresh themselves (htmx polling of a partial) until it
ends. The run keeps its state in its params while running and its result in its summary once finished; both
are read here, nothing is computed beyond putting them side by side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from genloop.runs import Run, RunService
from genloop.studio._context import StudioDep
from genloop.studio._params import ListQ, pager

router = APIRouter()

POLL_SECONDS = 2


@router.get("/projects/{project}/optimize")
def optimizations(project: str, studio: StudioDep, page: ListQ) -> Response:
    """Optimization runs, newest first, with their best score and held-out verdict."""
    studio.check("GET", f"/projects/{project}/runs")
    service = RunService(studio.store, project)
    found = service.list(kind="optimize", offset=page.offset, limit=page.limit)
    rows = [optimization_view(service.get(info.id)) for info in found.items]
    return studio.render("optimize/list.html", project=project, rows=rows, pager=pager(studio.request, found))


@router.get("/projects/{project}/optimize/{run_id}")
def optimization(project: str, run_id: str, studio: StudioDep) -> Response:
    """One optimization: its spec, the original and every candidate with intervals, the held-out verdict."""
    studio.check("GET", f"/projects/{project}/runs/{run_id}")
    view = optimization_view(RunService(studio.store, project).get(run_id))
    return studio.render("optimize/run.html", project=project, o=view, poll=POLL_SECONDS, oob=False)


@router.get("/projects/{project}/optimize/{run_id}/candidates")
def candidates(project: str, run_id: str, studio: StudioDep) -> Response:
    """The candidates block alone (what a running optimization's page polls), with the run's status badge
    swapped out of band; it stops polling once the run has finished."""
    studio.check("GET", f"/projects/{project}/runs/{run_id}")
    view = optimization_view(RunService(studio.store, project).get(run_id))
    return studio.render("optimize/_candidates.html", project=project, o=view, poll=POLL_SECONDS, oob=True)


def optimization_view(run: Run) -> dict[str, Any]:
    """What the pages show of an ``optimize`` run: from its summary once finished, else from its saved state."""
    spec: dict[str, Any] = run.params["spec"] if isinstance(run.params.get("spec"), dict) else {}
    summary = run.summary if run.summary.get("original") else {}
    if summary:
        original = summary.get("original")
        rest = list(summary.get("candidates") or [])
    else:
        state: dict[str, Any] = run.params["state"] if isinstance(run.params.get("state"), dict) else {}
        pool = [_candidate(c) for c in state.get("candidates") or [] if isinstance(c, dict)]
        original, rest = (pool[0], pool[1:]) if pool else (None, [])
        summary = {"calls": state.get("calls"), "cost": state.get("cost"), "discarded": state.get("discarded")}
    best = summary.get("best")
    scored = [c for c in rest if c.get("score") is not None]
    leader = best or (max(scored, key=lambda c: c["score"]) if scored else None)
    return {
        "run": run, "spec": spec, "prompt": spec.get("prompt"), "dataset": spec.get("dataset"),
        "strategy": summary.get("strategy") or spec.get("strategy"), "metric": summary.get("metric") or spec.get("metric"),
        "original": original, "candidates": rest, "best_ref": leader.get("ref") if leader else None,
        "best": leader, "held_out": summary.get("held_out"), "calls": summary.get("calls"),
        "cost": summary.get("cost"), "discarded": summary.get("discarded"), "stopped_by": summary.get("stopped_by"),
        "running": run.status == "running",
    }


def _candidate(saved: dict[str, Any]) -> dict[str, Any]:
    return {k: saved.get(k) for k in ("ref", "how", "round", "score", "ci_low", "ci_high", "eval_run")}
