"""REST twin of :class:`genloop.runs.RunService`: same methods, same schemas, same exceptions."""

from __future__ import annotations

import builtins
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.errors import InvalidInput
from genloop.runs import ActiveRun, LineageNode, MetricPoint, Run, RunArtifact, RunInfo
from genloop.runs._checks import check_json, check_metrics, check_points, check_step
from genloop.runs._service import write_download
from genloop.store import Page, Store

__all__ = ["RemoteRuns"]


class RemoteRuns:
    """The runs of one project on a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    def _path(self, run_id: str, *parts: str) -> str:
        return "/".join([f"/projects/{self.project}/runs", quote(str(run_id), safe=""), *parts])

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, kind: str, *, name: str = "", params: dict[str, Any] | None = None,
              inputs: Sequence[str] = ()) -> Run:
        """Start a run; see :meth:`genloop.runs.RunService.start`."""
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        params = check_json(params, "params")  # values JSON cannot carry fail here, as in-process
        return self._http.post_as(Run, f"/projects/{self.project}/runs",
                                  json={"kind": kind, "name": name, "params": params, "inputs": inputs})

    def run(self, kind: str, *, name: str = "", params: dict[str, Any] | None = None,
            inputs: Sequence[str] = ()) -> ActiveRun:
        """A context manager that starts a run and finishes it succeeded, or failed with the exception's message."""
        return ActiveRun(self, kind=kind, name=name, params=params, inputs=inputs)

    def finish(self, run_id: str, status: str = "succeeded", error: str | None = None,
               summary: dict[str, Any] | None = None) -> Run:
        """Finish a running run as succeeded, failed or cancelled."""
        summary = check_json(summary, "summary")
        return self._http.post_as(Run, self._path(run_id, "finish"),
                                  json={"status": status, "error": error, "summary": summary})

    # -- logging -------------------------------------------------------------------------------

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Merge ``params`` into the run's parameters."""
        self._http.request("POST", self._path(run_id, "params"), json={"params": check_json(params, "params")})

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int | None = None) -> None:
        """Set scalar metrics; with ``step``, also append each to its series."""
        values = check_metrics(metrics)
        step = check_step(step) if step is not None else None
        self._http.request("POST", self._path(run_id, "metrics"), json={"metrics": values, "step": step})

    def log_series(self, run_id: str, key: str, points: Iterable[MetricPoint | tuple[int, float] | dict[str, Any]]
                   ) -> None:
        """Append ``(step, value)`` points to the series ``key``."""
        checked = [{"step": s, "value": v} for s, v in check_points(points)]
        self._http.request("POST", self._path(run_id, "series"), json={"key": key, "points": checked})

    def log_artifact(self, run_id: str, name: str, local_path: str | os.PathLike[str]) -> RunArtifact:
        """Upload a local file as artifact ``name`` of the run (streamed, multipart)."""
        path = Path(local_path)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise InvalidInput(f"artifact file {str(local_path)!r} {what}", hint="log one existing file per artifact")
        with open(path, "rb") as fh:
            return self._http.post_as(RunArtifact, self._path(run_id, "artifacts"), data={"name": name},
                                      files={"file": (path.name, fh, "application/octet-stream")})

    def add_input(self, run_id: str, ref: str) -> str:
        """Record that the run read ``ref``; returns the concrete ref recorded."""
        return str(self._http.request("POST", self._path(run_id, "inputs"), json={"ref": ref})["ref"])

    def add_output(self, run_id: str, ref: str) -> str:
        """Record that the run wrote ``ref``; returns the concrete ref recorded."""
        return str(self._http.request("POST", self._path(run_id, "outputs"), json={"ref": ref})["ref"])

    # -- reading -------------------------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        """One run with everything it logged."""
        return self._http.get_as(Run, self._path(run_id))

    def list(self, *, kind: str | None = None, status: str | None = None, offset: int = 0,
             limit: int = 50) -> Page[RunInfo]:
        """Runs of the project, newest first."""
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if kind:
            params["kind"] = kind
        if status is not None:
            params["status"] = status
        return self._http.get_as(Page[RunInfo], f"/projects/{self.project}/runs", params=params)

    def series(self, run_id: str, key: str) -> builtins.list[MetricPoint]:
        """The points of metric series ``key``, in step order."""
        return self._http.get_as(list[MetricPoint], self._path(run_id, "series", quote(key, safe="")))

    def open_artifact(self, run_id: str, name: str) -> IO[bytes]:
        """Artifact ``name``, downloaded into a temporary file open for binary reading."""
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        try:
            self._http.stream_to(self._path(run_id, "artifacts", quote(name, safe="/")), spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def download_artifact(self, run_id: str, name: str, dest: str | os.PathLike[str]) -> Path:
        """Copy artifact ``name`` to ``dest`` (a file path, or an existing folder); return the file written."""
        path = self._path(run_id, "artifacts", quote(name, safe="/"))
        return write_download(name, dest, lambda out: self._http.stream_to(path, out))

    def lineage(self, ref: str, *, kind: str | None = None, depth: int = 10) -> LineageNode:
        """The graph behind a version (see :meth:`genloop.runs.RunService.lineage`)."""
        params: dict[str, Any] = {"depth": depth}
        if kind is not None:
            params["kind"] = kind
        return self._http.get_as(LineageNode, f"/projects/{self.project}/lineage/{quote(str(ref), safe='')}",
                                 params=params)
