"""REST routes for runs: lifecycle, params, metrics, series, artifacts (streamed) and lineage edges.

Fields are checked by the service, not by the request schemas, so errors carry the same messages
as in-process.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from genloop.errors import PayloadTooLarge
from genloop.runs import MetricPoint, Run, RunArtifact, RunInfo, RunService
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["runs"])


class StartRequest(BaseModel):
    kind: Any
    name: str = ""
    params: Any = None
    inputs: list[str] = []


class ParamsRequest(BaseModel):
    params: Any


class MetricsRequest(BaseModel):
    metrics: Any
    step: Any = None


class SeriesRequest(BaseModel):
    key: Any
    points: list[Any]


class RefRequest(BaseModel):
    ref: Any


class RefResponse(BaseModel):
    ref: str


class FinishRequest(BaseModel):
    status: Any = "succeeded"
    error: str | None = None
    summary: Any = None


@router.post("/projects/{project}/runs", response_model=Run, status_code=201)
def start_run(project: str, body: StartRequest, store: StoreDep, actor: ActorDep) -> Run:
    """Start a run; its inputs (typed refs) are resolved to concrete versions and recorded."""
    return RunService(store, project, actor).start(body.kind, name=body.name, params=body.params, inputs=body.inputs)


@router.get("/projects/{project}/runs", response_model=Page[RunInfo])
def list_runs(project: str, store: StoreDep, kind: str | None = None, status: str | None = None, offset: OffsetQ = 0,
              limit: LimitQ = 50) -> Page[RunInfo]:
    """Runs of a project, newest first."""
    return RunService(store, project).list(kind=kind, status=status, offset=offset, limit=limit)


@router.get("/projects/{project}/runs/{run_id}", response_model=Run)
def get_run(project: str, run_id: str, store: StoreDep) -> Run:
    """One run with its params, metrics, series summaries, artifacts, inputs and outputs."""
    return RunService(store, project).get(run_id)


@router.post("/projects/{project}/runs/{run_id}/finish", response_model=Run)
def finish_run(project: str, run_id: str, body: FinishRequest, store: StoreDep, actor: ActorDep) -> Run:
    """Finish a run as succeeded, failed or cancelled; it is frozen afterwards."""
    return RunService(store, project, actor).finish(run_id, status=body.status, error=body.error,
                                                    summary=body.summary)


@router.post("/projects/{project}/runs/{run_id}/params", status_code=204)
def log_params(project: str, run_id: str, body: ParamsRequest, store: StoreDep, actor: ActorDep) -> Response:
    """Merge params into the run's parameters."""
    RunService(store, project, actor).log_params(run_id, body.params)
    return Response(status_code=204)


@router.post("/projects/{project}/runs/{run_id}/metrics", status_code=204)
def log_metrics(project: str, run_id: str, body: MetricsRequest, store: StoreDep, actor: ActorDep) -> Response:
    """Set scalar metrics; with ``step``, also append each to its series."""
    RunService(store, project, actor).log_metrics(run_id, body.metrics, step=body.step)
    return Response(status_code=204)


@router.post("/projects/{project}/runs/{run_id}/series", status_code=204)
def log_series(project: str, run_id: str, body: SeriesRequest, store: StoreDep, actor: ActorDep) -> Response:
    """Append ``{step, value}`` points to one metric series."""
    RunService(store, project, actor).log_series(run_id, body.key, body.points)
    return Response(status_code=204)


@router.get("/projects/{project}/runs/{run_id}/series/{key:path}", response_model=list[MetricPoint])
def get_series(project: str, run_id: str, key: str, store: StoreDep) -> list[MetricPoint]:
    """The points of one metric series, in step order."""
    return RunService(store, project).series(run_id, key)


@router.post("/projects/{project}/runs/{run_id}/inputs", response_model=RefResponse)
def add_input(project: str, run_id: str, body: RefRequest, store: StoreDep, actor: ActorDep) -> RefResponse:
    """Record a version the run read; answers the concrete ref recorded."""
    return RefResponse(ref=RunService(store, project, actor).add_input(run_id, body.ref))


@router.post("/projects/{project}/runs/{run_id}/outputs", response_model=RefResponse)
def add_output(project: str, run_id: str, body: RefRequest, store: StoreDep, actor: ActorDep) -> RefResponse:
    """Record a version the run wrote; answers the concrete ref recorded."""
    return RefResponse(ref=RunService(store, project, actor).add_output(run_id, body.ref))


@router.post("/projects/{project}/runs/{run_id}/artifacts", response_model=RunArtifact, status_code=201)
def upload_artifact(
    project: str,
    run_id: str,
    store: StoreDep,
    actor: ActorDep,
    name: Annotated[str, Form(description="Artifact name, e.g. plots/loss.png")],
    file: Annotated[UploadFile, File(description="The file")],
) -> RunArtifact:
    """Store an uploaded file as an artifact of the run (multipart; copied in 1 MiB chunks)."""
    limit = store.settings.max_upload_mb << 20
    fd, tmp = tempfile.mkstemp(prefix="genloop-artifact-")
    try:
        with os.fdopen(fd, "wb") as out:
            size = 0
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"artifact is over {store.settings.max_upload_mb} MiB",
                                          hint="raise GENLOOP_MAX_UPLOAD_MB on the server")
                out.write(chunk)
        return RunService(store, project, actor).log_artifact(run_id, name, tmp)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@router.get("/projects/{project}/runs/{run_id}/artifacts/{name:path}", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}}}})
def download_artifact(project: str, run_id: str, name: str, store: StoreDep) -> StreamingResponse:
    """Stream an artifact's bytes."""
    handle = RunService(store, project).open_artifact(run_id, name)
    return StreamingResponse(_chunks(handle), media_type="application/octet-stream",
                             headers={"content-disposition": f'attachment; filename="{name.rsplit("/", 1)[-1]}"'})


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(1 << 20):
            yield chunk
