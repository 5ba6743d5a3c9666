"""Schemas of runs and lineage: what :class:`RunService` returns and the REST API sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FINAL_STATUSES",
    "RUN_STATUSES",
    "LineageNode",
    "MetricPoint",
    "Run",
    "RunArtifact",
    "RunInfo",
    "RunSummary",
    "SeriesSummary",
]

RUN_STATUSES: tuple[str, ...] = ("running", "succeeded", "failed", "cancelled")
FINAL_STATUSES: tuple[str, ...] = ("succeeded", "failed", "cancelled")


class MetricPoint(BaseModel):
    """One point of a metric series (a loss curve)."""

    step: int
    value: float


class SeriesSummary(BaseModel):
    """A metric series at a glance: how many points, the value at the last step, and the range."""

    key: str
    count: int
    last_step: int
    last: float
    min: float
    max: float


class RunArtifact(BaseModel):
    """A file a run stored (under ``runs/<run_id>/<name>`` in the artifact store)."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    size_bytes: int
    created_at: dt.datetime


class RunSummary(BaseModel):
    """Who made a version: the run's identity and outcome, without its logs."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str = ""
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None


class RunInfo(RunSummary):
    """A run in a listing: identity, outcome and scalar metrics."""

    metrics: dict[str, float] = Field(default_factory=dict)
    created_by: str = ""

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish (None while running)."""
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None


class Run(RunInfo):
    """One execution with everything it logged and the versions it read (inputs) and wrote (outputs)."""

    params: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    inputs: list[str] = Field(default_factory=list, description="concrete typed refs, e.g. dataset:golden@3")
    outputs: list[str] = Field(default_factory=list, description="concrete typed refs, e.g. model:tiny@4")
    artifacts: list[RunArtifact] = Field(default_factory=list)
    series: list[SeriesSummary] = Field(default_factory=list)

    @property
    def series_keys(self) -> list[str]:
        """Keys of the metric series this run logged."""
        return [s.key for s in self.series]


class LineageNode(BaseModel):
    """One version in a lineage graph, with the run that produced it and that run's inputs, recursively.

    ``parent`` is the version this one derives from directly: an adapter's base model, or a dataset
    version's parent version. ``truncated`` marks a node whose ancestry was cut by ``depth``.
    """

    entity_type: str
    name: str
    version: int
    ref: str = Field(description="typed concrete ref, e.g. model:tiny@4")
    produced_by: RunSummary | None = None
    inputs: list[LineageNode] = Field(default_factory=list)
    parent: LineageNode | None = None
    input_traces: list[str] = Field(default_factory=list, description="Trace ids the producing run read (feedback "
                                    "exports: the traffic the data came from), the first 100")
    input_trace_count: int = Field(default=0, description="How many traces the producing run read in all")
    truncated: bool = False
