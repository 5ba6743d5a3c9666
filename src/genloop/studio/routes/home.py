"""Home: the projects, and one project's overview (latest changes, deployments with their traffic of the
last hour, latest evaluation runs with their gates)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from genloop.audit import AuditService
from genloop.deployments import DeploymentService
from genloop.errors import GenLoopError
from genloop.evals import EvalResult, EvalService
from genloop.store._projects import list_projects
from genloop.studio._context import Studio, StudioDep
from genloop.studio._params import ListQ, pager
from genloop.tracing._traffic import deployment_traffic

router = APIRouter()


@router.get("/")
def home(studio: StudioDep, page: ListQ) -> Response:
    """Every project this user may open."""
    projects = list_projects(studio.store, names=studio.visible_projects(), offset=page.offset, limit=page.limit)
    return studio.render("home.html", projects=projects, pager=pager(studio.request, projects))


@router.get("/projects/{project}")
async def project_home(project: str, studio: StudioDep) -> Response:
    """What changed lately, the deployments and their traffic, the latest evaluations."""
    studio.check("GET", f"/projects/{project}/audit")
    overview = await run_in_threadpool(_overview, studio, project)
    return studio.render("project.html", project=project, **overview)


def _overview(studio: Studio, project: str) -> dict[str, Any]:
    store = studio.store
    evals = EvalService(store, project)
    runs = evals.list(limit=8).items
    return {
        "events": AuditService(store, project).list(limit=12).items,
        "deployments": DeploymentService(store, project).list(limit=20).items,
        "traffic": deployment_traffic(store, project, hours=1.0),
        "evals": [(run, _result(evals, run.id)) for run in runs],
    }


def _result(evals: EvalService, run_id: str) -> EvalResult | None:
    """The run's evaluation result; None for a run of kind eval that the evaluation engine did not make."""
    try:
        return evals.get(run_id)
    except GenLoopError:
        return None
