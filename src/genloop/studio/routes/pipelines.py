"""Pipelines: the list (with recent runs), one pipeline (its spec and runs), one run (its steps as a graph
with status, outputs, errors and logs). Each page is checked like the REST route behind it."""

from __future__ import annotations

import yaml
from fastapi import APIRouter
from fastapi.responses import Response

from genloop.pipelines import PipelineService
from genloop.studio._context import StudioDep
from genloop.studio._params import ListQ, pager
from genloop.studio._pipeline_graph import layout_steps

router = APIRouter()


@router.get("/projects/{project}/pipelines")
def pipelines(project: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/pipelines")
    service = PipelineService(studio.store, project)
    found = service.list(offset=page.offset, limit=page.limit)
    recent = service.runs(limit=10).items
    return studio.render("pipelines/list.html", project=project, pipelines=found.items, runs=recent,
                         pager=pager(studio.request, found))


@router.get("/projects/{project}/pipelines/{ref}")
def pipeline(project: str, ref: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/pipelines/{ref}")
    service = PipelineService(studio.store, project)
    info = service.get(ref)
    found = service.runs(info.name, offset=page.offset, limit=page.limit)
    return studio.render("pipelines/pipeline.html", project=project, info=info, runs=found.items,
                         spec_yaml=yaml.safe_dump(info.spec, sort_keys=False), pager=pager(studio.request, found))


@router.get("/projects/{project}/pipeline-runs/{run_id}")
def pipeline_run(project: str, run_id: str, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/pipeline-runs/{run_id}")
    run = PipelineService(studio.store, project).get_run(run_id)
    return studio.render("pipelines/run.html", project=project, run=run, graph=layout_steps(run, project))
