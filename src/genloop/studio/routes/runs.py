"""Runs and lineage: the runs list (by kind and status), one run (params, metrics, loss curves drawn from
its series, artifacts, inputs and outputs), an artifact's download, and the lineage graph of any version."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from genloop.errors import InvalidInput
from genloop.runs import RunService
from genloop.studio._context import StudioDep
from genloop.studio._graph import layout_lineage
from genloop.studio._params import ListQ, pager

router = APIRouter()

MAX_CHART_POINTS = 5000


@router.get("/projects/{project}/runs")
def runs(project: str, studio: StudioDep, page: ListQ, kind: str = "", status: str = "") -> Response:
    studio.check("GET", f"/projects/{project}/runs")
    found = RunService(studio.store, project).list(kind=kind or None, status=status or None, offset=page.offset,
                                                   limit=page.limit)
    return studio.render("runs/list.html", project=project, runs=found.items, kind=kind, status=status,
                         pager=pager(studio.request, found))


@router.get("/projects/{project}/runs/{run_id}")
def run(project: str, run_id: str, studio: StudioDep) -> Response:
    """A run; each series is sent thinned to at most 5,000 points for its chart."""
    studio.check("GET", f"/projects/{project}/runs/{run_id}")
    service = RunService(studio.store, project)
    found = service.get(run_id)
    series = {s.key: _thin(service.series(run_id, s.key)) for s in found.series}
    return studio.render("runs/run.html", project=project, run=found, series=series)


def _thin(points: list) -> dict[str, list[float]]:  # type: ignore[type-arg]
    step = max(1, len(points) // MAX_CHART_POINTS)
    kept = points[::step]
    if points and kept[-1] is not points[-1]:
        kept.append(points[-1])
    return {"x": [p.step for p in kept], "y": [p.value for p in kept]}


@router.get("/projects/{project}/runs/{run_id}/artifacts/{name:path}")
def artifact(project: str, run_id: str, name: str, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/runs/{run_id}/artifacts/{name}")
    handle = RunService(studio.store, project).open_artifact(run_id, name)

    def chunks():  # type: ignore[no-untyped-def]
        with handle:
            while block := handle.read(1 << 20):
                yield block

    filename = name.rsplit("/", 1)[-1].replace('"', "")
    return StreamingResponse(chunks(), media_type="application/octet-stream",
                             headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/projects/{project}/lineage")
def lineage(project: str, studio: StudioDep, ref: str = "", depth: int = 10) -> Response:
    """``?ref=model:tiny@4`` (or ``dataset:…``, ``prompt:…``; a plain ``NAME@N`` when the name is unique)."""
    studio.check("GET", f"/projects/{project}/lineage/{ref}")
    if not ref.strip():
        raise InvalidInput("which version? ?ref=model:NAME@N", hint="open it from a model or dataset page")
    if not 1 <= depth <= 50:
        raise InvalidInput(f"depth {depth} is outside 1..50", hint="use depth=10")
    root = RunService(studio.store, project).lineage(ref.strip(), depth=depth)
    return studio.render("runs/lineage.html", project=project, ref=ref.strip(), root=root,
                         graph=layout_lineage(root, project))
