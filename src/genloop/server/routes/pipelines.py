"""REST routes for pipelines: versioned specs, runs (started here, run by the server), steps and their logs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from genloop.pipelines import PipelineInfo, PipelineRun, PipelineRunRequest, PipelineService
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["pipelines"], default_response_class=JSONResponse)


class PipelineCreate(BaseModel):
    """A new pipeline version: its name and spec (``{description, params, steps}``, or the YAML text)."""

    name: str
    spec: dict[str, Any] | str = Field(description="The spec as JSON, or its YAML text")
    message: str = ""
    description: str | None = None


@router.post("/projects/{project}/pipelines", response_model=PipelineInfo, status_code=201)
def create_pipeline(project: str, body: PipelineCreate, store: StoreDep, actor: ActorDep) -> PipelineInfo:
    """Create a version (checked first: kinds, parameters, references, cycles); identical content returns it."""
    return PipelineService(store, project, actor).create(body.name, body.spec, message=body.message,
                                                         description=body.description)


@router.get("/projects/{project}/pipelines", response_model=Page[PipelineInfo])
def list_pipelines(project: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[PipelineInfo]:
    """The latest version of every pipeline, by name."""
    return PipelineService(store, project).list(offset=offset, limit=limit)


@router.get("/projects/{project}/pipelines/{ref}", response_model=PipelineInfo)
def get_pipeline(project: str, ref: str, store: StoreDep) -> PipelineInfo:
    """One version: ``NAME`` (latest) or ``NAME@3``."""
    return PipelineService(store, project).get(ref)


@router.get("/projects/{project}/pipelines/{name}/versions", response_model=Page[PipelineInfo])
def pipeline_versions(project: str, name: str, store: StoreDep, offset: OffsetQ = 0,
                      limit: LimitQ = 50) -> Page[PipelineInfo]:
    """Every version of one pipeline, newest first."""
    return PipelineService(store, project).versions(name, offset=offset, limit=limit)


@router.post("/projects/{project}/pipelines/{ref}/runs", response_model=PipelineRun, status_code=201)
def start_pipeline(project: str, ref: str, body: PipelineRunRequest, store: StoreDep,
                   actor: ActorDep) -> PipelineRun:
    """Start a run on the server (steps in-process, no local files); ``wait`` answers when it ends."""
    return PipelineService(store, project, actor).start(ref, params=body.params, trigger=body.trigger,
                                                        resume=body.resume, wait=body.wait)


@router.get("/projects/{project}/pipeline-runs", response_model=Page[PipelineRun])
def list_pipeline_runs(project: str, store: StoreDep, pipeline: str | None = Query(default=None),
                       status: str | None = Query(default=None), offset: OffsetQ = 0,
                       limit: LimitQ = 50) -> Page[PipelineRun]:
    """Pipeline runs, newest first, with their steps."""
    return PipelineService(store, project).runs(pipeline, status=status, offset=offset, limit=limit)


@router.get("/projects/{project}/pipeline-runs/{run_id}", response_model=PipelineRun)
def get_pipeline_run(project: str, run_id: str, store: StoreDep) -> PipelineRun:
    """One pipeline run: each step's status, run, outputs, error and log."""
    return PipelineService(store, project).get_run(run_id)
