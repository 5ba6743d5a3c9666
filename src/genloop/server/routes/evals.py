"""REST routes for evaluations: results, items, comparisons, gates, reports, judge validation, and the
small write API the client-side engine uses to run an evaluation against a server.

Remote runs execute in the client (its provider keys, its custom metrics, its progress bar, its Ctrl-C) and
write through ``/evals/runs``, ``/evals/{run}/batch`` and ``/evals/{run}/finish``; the results are the same
rows an in-process run writes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from genloop.evals import Comparison, EvalItem, EvalPair, EvalResult, EvalService, GateResult, JudgeAgreement
from genloop.runs import RunInfo
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["evals"])


def _svc(store: Any, project: str, actor: str | None = None) -> EvalService:
    return EvalService(store, project, actor=actor)


# Counts and indexes are 32-bit integers in the store; a larger one is a 400 here, not a database error.
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


class StartRun(BaseModel):
    name: str = "eval"
    spec: dict[str, Any]
    spec_hash: str = Field(max_length=80)
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[str] = Field(default_factory=list)
    planned_items: Count = 0
    planned_pairs: Count = 0


class ItemRecord(BaseModel):
    """One finished item as the client-side engine writes it (the columns of ``eval_items``)."""

    model_config = ConfigDict(extra="forbid")
    example_id: str = Field(max_length=256)
    example_index: Count
    candidate: str = Field(max_length=128)
    repeat: Count = 0
    status: Literal["ok", "error"]
    inputs: Any = Field(default_factory=dict)
    output: str | None = None
    reference: Any = None
    scores: dict[str, Any] = Field(default_factory=dict)
    judgments: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    latency_s: float | None = None
    input_tokens: Count = 0
    output_tokens: Count = 0
    cost: float | None = None
    spent: float = 0.0
    cached: bool = False


class PairRecord(BaseModel):
    """One pairwise verdict as the client-side engine writes it (the columns of ``eval_pairs``)."""

    model_config = ConfigDict(extra="forbid")
    judge: str = Field(max_length=128)
    example_id: str = Field(max_length=256)
    example_index: Count
    candidate_a: str = Field(max_length=128)
    candidate_b: str = Field(max_length=128)
    repeat: Count = 0
    status: Literal["ok", "unparsed", "error"]
    winner: Literal["a", "b", "tie"] | None = None
    consistent: bool | None = None
    orders: list[Any] = Field(default_factory=list)
    error: str | None = None
    cost: float | None = None
    spent: float = 0.0


class CacheRecord(BaseModel):
    """A cached model reply (``model_call_cache``)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(max_length=80)
    provider: str = Field(max_length=64)
    model: str = Field(max_length=256)
    response: Any


class Batch(BaseModel):
    items: list[ItemRecord] = Field(default_factory=list)
    pairs: list[PairRecord] = Field(default_factory=list)
    cache: list[CacheRecord] = Field(default_factory=list)


class ContinueFrom(BaseModel):
    run_id: str = Field(description="The interrupted run whose finished items are carried over")


class FinishRun(BaseModel):
    status: str
    error: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    summary: dict[str, Any] = Field(default_factory=dict)


class CacheLookup(BaseModel):
    keys: list[str] = Field(max_length=5000)


class GatesRequest(BaseModel):
    gates: list[str]


class ValidateJudge(BaseModel):
    judge: str
    labels: dict[str, Any] | None = None
    labels_column: str | None = None


# -- engine write API (fixed paths first, so they never match {run_id}) ------------------------


@router.post("/projects/{project}/evals/runs", status_code=201)
def start_run(project: str, body: StartRun, store: StoreDep, actor: ActorDep) -> dict[str, str]:
    """Start an evaluation run (used by the client-side engine)."""
    run_id = _svc(store, project, actor).backend.start_run(**body.model_dump())
    return {"run_id": run_id}


@router.get("/projects/{project}/evals/resumable")
def resumable(project: str, spec_hash: str, store: StoreDep) -> dict[str, str | None]:
    """The latest unfinished run of a spec hash, if any."""
    return {"run_id": _svc(store, project).backend.find_resumable(spec_hash)}


@router.post("/projects/{project}/evals/cache/lookup")
def cache_lookup(project: str, body: CacheLookup, store: StoreDep) -> dict[str, Any]:
    """Cached model replies for the given content-hash keys."""
    return {"found": _svc(store, project).backend.cache_get(body.keys)}


@router.get("/projects/{project}/evals/compare", response_model=Comparison)
def compare(project: str, run_a: str, run_b: str, store: StoreDep, candidate_a: str | None = None,
            candidate_b: str | None = None, top: int = Query(5, ge=0, le=100),
            min_effect: float | None = None) -> Comparison:
    """Run B against baseline run A on their shared items."""
    return _svc(store, project).compare(run_a, run_b, candidate_a=candidate_a, candidate_b=candidate_b, top=top,
                                        min_effect=min_effect)


@router.get("/projects/{project}/evals", response_model=Page[RunInfo])
def list_evals(project: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[Any]:
    """Evaluation runs of the project, newest first."""
    return _svc(store, project).list(offset=offset, limit=limit)


@router.get("/projects/{project}/evals/{run_id}", response_model=EvalResult)
def get_eval(project: str, run_id: str, store: StoreDep) -> EvalResult:
    """An evaluation result: status, counts, metrics with intervals, pairwise, ranking, gates."""
    return _svc(store, project).get(run_id)


@router.get("/projects/{project}/evals/{run_id}/info")
def run_info(project: str, run_id: str, store: StoreDep) -> dict[str, Any]:
    """The raw run with its spec and planned counts (used by the client-side engine)."""
    return _svc(store, project).backend.run_info(run_id)


@router.get("/projects/{project}/evals/{run_id}/items", response_model=Page[EvalItem])
def items(project: str, run_id: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50,
          candidate: str | None = None, status: str | None = None) -> Page[EvalItem]:
    """A page of items in example order."""
    return _svc(store, project).items(run_id, offset, limit, candidate=candidate, status=status)


@router.get("/projects/{project}/evals/{run_id}/pairs", response_model=Page[EvalPair])
def pairs(project: str, run_id: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[EvalPair]:
    """A page of pairwise verdicts."""
    return _svc(store, project).pairs(run_id, offset, limit)


@router.get("/projects/{project}/evals/{run_id}/done")
def done(project: str, run_id: str, store: StoreDep) -> dict[str, Any]:
    """Keys of the finished items and verdicts (used when resuming)."""
    backend = _svc(store, project).backend
    return {"items": backend.done_items(run_id), "pairs": backend.done_pairs(run_id)}


@router.post("/projects/{project}/evals/{run_id}/continue-from")
def continue_from(project: str, run_id: str, body: ContinueFrom, store: StoreDep, actor: ActorDep
                  ) -> dict[str, float]:
    """Carry the finished items of run ``body.run_id`` into this run."""
    return {"spent": _svc(store, project, actor).backend.continue_from(body.run_id, run_id)}


@router.post("/projects/{project}/evals/{run_id}/batch", status_code=204)
def write_batch(project: str, run_id: str, body: Batch, store: StoreDep) -> Response:
    """Write finished items, verdicts and cache entries (one transaction)."""
    _svc(store, project).backend.write_batch(run_id, [i.model_dump() for i in body.items],
                                             [p.model_dump() for p in body.pairs],
                                             [c.model_dump() for c in body.cache])
    return Response(status_code=204)


@router.post("/projects/{project}/evals/{run_id}/finish", status_code=204)
def finish(project: str, run_id: str, body: FinishRun, store: StoreDep, actor: ActorDep) -> Response:
    """Record aggregates and close the run."""
    _svc(store, project, actor).backend.finish(run_id, **body.model_dump())
    return Response(status_code=204)


@router.post("/projects/{project}/evals/{run_id}/gates", response_model=list[GateResult])
def gates(project: str, run_id: str, body: GatesRequest, store: StoreDep) -> list[GateResult]:
    """Check gates on a run."""
    return _svc(store, project).check_gates(run_id, body.gates)


@router.get("/projects/{project}/evals/{run_id}/report")
def report(project: str, run_id: str, store: StoreDep, format: str = "markdown") -> PlainTextResponse:
    """The run as markdown, html, json, junit or table text."""
    media = {"html": "text/html", "json": "application/json", "junit": "application/xml"}.get(format, "text/plain")
    return PlainTextResponse(_svc(store, project).report(run_id, format), media_type=media)


@router.post("/projects/{project}/evals/{run_id}/validate-judge", response_model=JudgeAgreement)
def validate_judge(project: str, run_id: str, body: ValidateJudge, store: StoreDep) -> JudgeAgreement:
    """Agreement of a judge with human labels (a mapping, or a column of the run's dataset)."""
    return _svc(store, project).validate_judge(run_id, body.judge, labels=body.labels,
                                               labels_column=body.labels_column)
