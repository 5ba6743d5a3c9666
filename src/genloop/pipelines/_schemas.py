"""Schemas of pipelines: what :class:`PipelineService` returns and the REST API sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["STEP_STATUSES", "PipelineInfo", "PipelineRun", "PipelineRunRequest", "StepState"]

#: ``pending`` (not started), ``running``, ``succeeded``, ``cached`` (unchanged: outputs of an earlier run
#: reused), ``reused`` (resumed: outputs of the run being resumed), ``failed``, ``skipped`` (a step it depends on
#: did not succeed).
STEP_STATUSES: tuple[str, ...] = ("pending", "running", "succeeded", "cached", "reused", "failed", "skipped")
DONE_STATUSES: tuple[str, ...] = ("succeeded", "cached", "reused")


class PipelineInfo(BaseModel):
    """One pipeline version: its spec and identity."""

    name: str
    version: int
    ref: str = Field(description="NAME@N")
    description: str = ""
    spec: dict[str, Any]
    message: str = ""
    content_hash: str
    labels: list[str] = Field(default_factory=list)
    created_at: dt.datetime
    created_by: str = ""


class StepState(BaseModel):
    """One step of a pipeline run: status, the GenLoop run it executed as, outputs, error and log."""

    name: str
    kind: str
    status: str = Field(description=" | ".join(STEP_STATUSES))
    depends_on: list[str] = Field(default_factory=list)
    run_id: str | None = Field(default=None, description="The step's own run (kind pipeline-step)")
    cache_key: str | None = None
    cached_from: str | None = Field(default=None, description="The pipeline run whose outputs were reused")
    outputs: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    log: str = ""
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class PipelineRun(BaseModel):
    """One run of a pipeline version: a ``pipeline`` run with its steps (a stable status model)."""

    id: str
    pipeline: str
    version: int
    status: str = Field(description="running | succeeded | failed | cancelled")
    error: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    trigger: dict[str, Any] | None = None
    resumed_from: str | None = None
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    created_by: str = ""
    steps: list[StepState] = Field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def step(self, name: str) -> StepState:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


class PipelineRunRequest(BaseModel):
    """Body of ``POST /pipelines/{ref}/runs``."""

    params: dict[str, Any] | None = None
    trigger: dict[str, Any] | None = None
    resume: str | None = Field(default=None, description="A failed run id to resume, or 'latest'")
    wait: bool = Field(default=True, description="Answer when the run ends (else at once, status running)")
