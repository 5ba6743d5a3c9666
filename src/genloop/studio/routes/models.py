"""Models: the registry list, a model's versions, one version (kind, aliases, status history with the
actions it allows, the lineage graph, the evaluation runs that read it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from genloop.errors import NotFound
from genloop.models import STATUS_TRANSITIONS, ModelService
from genloop.runs import RunInfo, RunService
from genloop.runs._usage import runs_touching
from genloop.studio._context import Studio, StudioDep
from genloop.studio._graph import layout_lineage
from genloop.studio._params import ListQ, name_search, pager

router = APIRouter()


@router.get("/projects/{project}/models")
def models(project: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/models")
    service = ModelService(studio.store, project)
    found = name_search(lambda offset, limit: service.list(offset=offset, limit=limit), page, lambda item: item.name)
    return studio.render("models/list.html", project=project, models=found.items, q=page.q,
                         pager=pager(studio.request, found))


@router.get("/projects/{project}/models/{name}")
def model(project: str, name: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/models/{name}/versions")
    service = ModelService(studio.store, project)
    versions = service.versions(name, offset=page.offset, limit=page.limit)
    if not versions.items and page.offset == 0:
        service.get(name)  # NotFound names the model
    return studio.render("models/model.html", project=project, name=name, versions=versions.items,
                         pager=pager(studio.request, versions))


@router.get("/projects/{project}/models/{name}/{version}")
def version(project: str, name: str, version: int, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/models/{name}@{version}")
    detail = ModelService(studio.store, project).show(f"{name}@{version}")
    graph = layout_lineage(RunService(studio.store, project).lineage(f"model:{detail.ref}"), project)
    recorded = detail.metadata.get("evaluation")
    evaluation: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    evals = runs_touching(studio.store, project, "model", name, version, kind="eval", direction="input")
    evals += _runs(studio, project, [evaluation.get("tuned_run"), evaluation.get("base_run")],
                   skip={r.id for r in evals})
    metadata = {k: v for k, v in detail.metadata.items() if k != "evaluation"}
    return studio.render("models/version.html", project=project, name=name, m=detail, graph=graph, evals=evals,
                         comparison=evaluation.get("comparison") or {}, metadata=metadata,
                         next_statuses=STATUS_TRANSITIONS.get(detail.status, ()))


def _runs(studio: Studio, project: str, ids: list[object], skip: set[str]) -> list[RunInfo]:
    """The evaluation runs a tuning recorded in the version's metadata (its own and its base's)."""
    service, found = RunService(studio.store, project), list[RunInfo]()
    for run_id in ids:
        if isinstance(run_id, str) and run_id not in skip:
            try:
                found.append(service.get(run_id))
            except NotFound:  # deleted since
                continue
    return found


@router.post("/projects/{project}/models/{name}/{version}/status")
def set_status(project: str, name: str, version: int, studio: StudioDep, status: str = Form(...),
               reason: str = Form("")) -> Response:
    """Move the version along draft -> reviewed -> approved -> retired (audited, with the reason)."""
    studio.check("POST", f"/projects/{project}/models/{name}@{version}/status")
    ModelService(studio.store, project, studio.actor).set_status(f"{name}@{version}", status,
                                                                 reason=reason.strip() or None)
    return studio.redirect(f"/projects/{project}/models/{name}/{version}")


@router.post("/projects/{project}/models/{name}/{version}/aliases")
def set_alias(project: str, name: str, version: int, studio: StudioDep, alias: str = Form(...)) -> Response:
    studio.check("PUT", f"/projects/{project}/models/{name}@{version}/aliases/{alias.strip()}")
    ModelService(studio.store, project, studio.actor).alias(f"{name}@{version}", alias.strip())
    return studio.redirect(f"/projects/{project}/models/{name}/{version}")
