"""Data quality in Studio: a version's profile (histograms), the quality runs with what each step removed,
and the prompt map (canvas scatter, colour by cluster/source/deployment/score, hover, click or lasso, the
selection saved as a new dataset version). Every page and action runs the check of the REST route behind it.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow.parquet as pq
from fastapi import APIRouter, Form
from fastapi.responses import Response

from genloop.datasets import DatasetService
from genloop.errors import GenLoopError, InvalidInput, NotFound
from genloop.quality import QualityService
from genloop.runs import RunService
from genloop.studio._context import StudioDep
from genloop.studio._params import ListQ, pager

router = APIRouter()

MAP_POINTS = 20_000  # points sent to the browser; the rest of the map stays in the run's artifact


@router.get("/projects/{project}/datasets/{name}/{version}/profile")
def profile(project: str, name: str, version: int, studio: StudioDep) -> Response:
    """The latest stored profile of a version, or a button to compute one."""
    ref = f"{name}@{version}"
    studio.check("GET", f"/projects/{project}/quality/profiles/{ref}")
    service = QualityService(studio.store, project)
    try:
        found = service.get_profile(ref)
    except NotFound:
        found = None
    DatasetService(studio.store, project).get(ref)  # a missing version is a 404, not an empty page
    return studio.render("quality/profile.html", project=project, name=name, version=version, ref=ref, p=found,
                         charts=_charts(found) if found else [])


@router.post("/projects/{project}/datasets/{name}/{version}/profile")
def run_profile(project: str, name: str, version: int, studio: StudioDep, sample: int = Form(10_000)) -> Response:
    studio.check("POST", f"/projects/{project}/quality/profile")
    QualityService(studio.store, project, studio.actor).profile(f"{name}@{version}", sample=sample)
    return studio.redirect(f"/projects/{project}/datasets/{name}/{version}/profile")


def _charts(p: Any) -> list[dict[str, Any]]:
    """Histograms as the page's chart script draws them: title, bin edges, counts."""
    charts = []
    for field in p.text_fields:
        for unit, stats in (("characters", field.chars), (f"tokens ({p.tokenizer})", field.tokens)):
            charts.append({"title": f"{field.name}: {unit}", "edges": stats.histogram.edges,
                           "counts": stats.histogram.counts})
    if p.chat:
        turns = p.chat["turns"]["histogram"]
        charts.append({"title": "messages per chat", "edges": turns["edges"], "counts": turns["counts"]})
    return charts


@router.get("/projects/{project}/quality")
def runs(project: str, studio: StudioDep, page: ListQ) -> Response:
    """Quality runs, newest first, with what each did."""
    studio.check("GET", f"/projects/{project}/runs")
    service = RunService(studio.store, project)
    found = service.list(kind="data", offset=page.offset, limit=page.limit)
    items = [service.get(r.id) for r in found.items if (r.name or "").startswith("quality ")]  # with inputs/outputs
    return studio.render("quality/runs.html", project=project, runs=items, pager=pager(studio.request, found))


@router.get("/projects/{project}/quality/runs/{run_id}")
def run(project: str, run_id: str, studio: StudioDep) -> Response:
    """One quality run: its report, per step what it removed and changed, with examples."""
    studio.check("GET", f"/projects/{project}/runs/{run_id}")
    info = RunService(studio.store, project).get(run_id)
    report = (info.summary or {}).get("report") or {}
    return studio.render("quality/run.html", project=project, run=info, report=report,
                         op=(info.params or {}).get("op", ""))


@router.get("/projects/{project}/quality/map")
def map_page(project: str, studio: StudioDep, run: str = "") -> Response:
    """The prompt map of a map run (``?run=ID``), or the form that makes one."""
    studio.check("GET", f"/projects/{project}/runs")
    points: list[dict[str, Any]] = []
    info = None
    if run:
        info = RunService(studio.store, project).get(run)
        points = _map_points(studio, project, run)
    return studio.render("quality/map.html", project=project, run=info, points=points, error=None,
                         total=(info.summary or {}).get("points", 0) if info else 0)


def _map_points(studio: Any, project: str, run_id: str) -> list[dict[str, Any]]:
    """The map's points (a seeded sample past :data:`MAP_POINTS`), each with its index in the artifact."""
    import numpy as np

    try:
        with RunService(studio.store, project).open_artifact(run_id, "map.parquet") as f:
            table = pq.read_table(io.BytesIO(f.read()))
    except NotFound as exc:
        raise NotFound(f"run {run_id} is not a prompt map", hint="open a run made by genloop quality map") from exc
    index = np.arange(table.num_rows)
    if table.num_rows > MAP_POINTS:
        index = np.sort(np.random.default_rng(0).choice(table.num_rows, MAP_POINTS, replace=False))
        table = table.take(index)
    rows = table.to_pylist()
    for i, row in zip(index.tolist(), rows, strict=True):
        row["id"] = i
    return rows


@router.post("/projects/{project}/quality/map")
def make_map(project: str, studio: StudioDep, ref: str = Form(""), reference: str = Form(""),
             since: str = Form(""), deployment: str = Form("")) -> Response:
    studio.check("POST", f"/projects/{project}/quality/map")
    import datetime as dt

    try:
        start = dt.datetime.fromisoformat(since) if since.strip() else None
        result = QualityService(studio.store, project, studio.actor).map(
            ref.strip() or None, reference=reference.strip() or None, since=start,
            deployment=deployment.strip() or None)
    except (GenLoopError, ValueError) as exc:
        return studio.render("quality/map.html", status_code=400, project=project, run=None, points=[], total=0,
                             error=str(exc))
    return studio.redirect(f"/projects/{project}/quality/map?run={result.run_id}")


@router.post("/projects/{project}/quality/map/{run_id}/selection")
def save_selection(project: str, run_id: str, studio: StudioDep, name: str = Form(...),
                   ids: str = Form(...), queue: str = Form("")) -> Response:
    """The selected points' prompts as a new version of an eval dataset (``prompt``, source, trace, cluster),
    and, given an annotation ``queue``, its rows added to that queue for review."""
    studio.check("POST", f"/projects/{project}/datasets/{name}/versions")
    if queue.strip():
        studio.check("POST", f"/projects/{project}/review/queues/{queue.strip()}/items")
        from genloop.review import ReviewService

        ReviewService(studio.store, project).get_queue(queue.strip())  # NotFound before anything is written
    try:
        chosen = sorted({int(x) for x in ids.split(",") if x.strip()})
    except ValueError as exc:
        raise InvalidInput("the selection is not a list of point ids", hint="select points on the map") from exc
    if not chosen:
        raise InvalidInput("no point is selected", hint="click points or draw a lasso around them first")
    with RunService(studio.store, project).open_artifact(run_id, "map.parquet") as f:
        table = pq.read_table(io.BytesIO(f.read()))
    if chosen[-1] >= table.num_rows:
        raise InvalidInput(f"point {chosen[-1]} is not on this map", hint="reload the map")
    picked = table.take(chosen).to_pylist()
    rows = [{"prompt": p["text"], "source": p["source"], "trace_id": p["trace_id"], "source_row": p["row"],
             "cluster": p["cluster"]} for p in picked if p["text"]]
    version = DatasetService(studio.store, project, studio.actor).create(
        name, rows, kind="eval", message=f"{len(rows)} prompts selected on prompt map {run_id}", source_run_id=run_id)
    if queue.strip():
        from genloop.review import ReviewService

        ReviewService(studio.store, project, studio.actor).add_dataset(queue.strip(), version.ref)
    return studio.redirect(f"/projects/{project}/datasets/{version.name}/{version.version}")
