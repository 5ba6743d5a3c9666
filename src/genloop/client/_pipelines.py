"""REST twin of :class:`genloop.pipelines.PipelineService` (``client.pipelines`` against a server)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.errors import InvalidInput
from genloop.pipelines import PipelineInfo, PipelineRun, PipelineSpec
from genloop.store import Page

__all__ = ["RemotePipelines"]


class RemotePipelines:
    """Same methods and return types as the service; runs are started on, and run by, the server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}"

    def create(self, name: str, spec: PipelineSpec | dict[str, Any] | str, *, message: str = "",
               description: str | None = None) -> PipelineInfo:
        body = spec.model_dump(mode="json") if isinstance(spec, PipelineSpec) else spec
        return self._http.post_as(PipelineInfo, f"{self._base}/pipelines",
                                  json={"name": name, "spec": body, "message": message, "description": description})

    def get(self, ref: str) -> PipelineInfo:
        return self._http.get_as(PipelineInfo, f"{self._base}/pipelines/{quote(ref, safe='')}")

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[PipelineInfo]:
        return self._http.get_as(Page[PipelineInfo], f"{self._base}/pipelines",
                                 params={"offset": offset, "limit": limit})

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[PipelineInfo]:
        return self._http.get_as(Page[PipelineInfo], f"{self._base}/pipelines/{quote(name, safe='')}/versions",
                                 params={"offset": offset, "limit": limit})

    def start(self, name_or_ref: str, *, trigger: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
              resume: str | None = None, wait: bool = True, mode: str = "inprocess", local: bool = False,
              progress: Callable[[str, str], None] | None = None) -> PipelineRun:
        """Start a run on the server (``mode`` must be ``inprocess``; a server never reads the caller's files)."""
        if mode != "inprocess":
            raise InvalidInput("a server runs pipeline steps in-process", hint="drop mode=")
        run: PipelineRun = self._http.post_as(PipelineRun, f"{self._base}/pipelines/{quote(name_or_ref, safe='')}/runs",
                                 json={"params": params, "trigger": trigger, "resume": resume, "wait": wait})
        if progress is not None:
            for step in run.steps:
                progress(step.name, step.status)
        return run

    def get_run(self, run_id: str) -> PipelineRun:
        return self._http.get_as(PipelineRun, f"{self._base}/pipeline-runs/{quote(run_id, safe='')}")

    def runs(self, name: str | None = None, *, status: str | None = None, offset: int = 0,
             limit: int = 50) -> Page[PipelineRun]:
        query: dict[str, Any] = {"offset": offset, "limit": limit}
        if name:
            query["pipeline"] = name
        if status:
            query["status"] = status
        return self._http.get_as(Page[PipelineRun], f"{self._base}/pipeline-runs", params=query)
