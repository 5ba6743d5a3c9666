"""Schemas of pipeline triggers: the spec a team writes, what the service returns, and one firing."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from genloop.pipelines._cron import CronSchedule

__all__ = ["TRIGGER_KINDS", "Firing", "TriggerInfo", "TriggerSpec"]

TriggerKind = Literal["cron", "dataset", "feedback", "annotation", "monitor", "manual"]
TRIGGER_KINDS: tuple[str, ...] = ("cron", "dataset", "feedback", "annotation", "monitor", "manual")
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind: (required fields, optional fields)
    "cron": ({"cron"}, set()),
    "dataset": ({"dataset"}, set()),
    "feedback": ({"threshold"}, {"feedback_name", "feedback_source"}),
    "annotation": ({"threshold"}, {"queue"}),
    "monitor": (set(), {"monitor", "levels"}),
    "manual": (set(), set()),
}
_KIND_FIELDS = {"cron", "dataset", "threshold", "feedback_name", "feedback_source", "queue", "monitor", "levels"}


class TriggerSpec(BaseModel):
    """When to start a pipeline: on a cron schedule, a new dataset version, a count of new feedback or
    annotations, a monitor's alert, or only by hand (``manual``: CI or a person with ``genloop triggers fire``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Unique in the project: a letter, then letters, digits, '_' or '-'")
    pipeline: str = Field(description="The pipeline to start: NAME (its latest version when fired) or NAME@N")
    kind: TriggerKind
    cron: str | None = Field(default=None, description="cron: five fields in UTC, e.g. '0 3 * * mon'")
    dataset: str | None = Field(default=None, description="dataset: fire when this dataset gets a new version")
    threshold: int | None = Field(default=None, ge=1, le=10_000_000,
                                  description="feedback, annotation: fire when this many new ones arrived")
    feedback_name: str | None = Field(default=None, description="feedback: count only feedback of this name")
    feedback_source: str | None = Field(default=None, description="feedback: count only this source (human, api...)")
    queue: str | None = Field(default=None, description="annotation: count only ratings in this review queue")
    monitor: str | None = Field(default=None, description="monitor: this monitor's alerts (default: any monitor)")
    levels: list[Literal["warning", "alert", "no_data"]] | None = Field(
        default=None, description="monitor: the levels that fire it (default: alert)")
    params: dict[str, Any] = Field(default_factory=dict, description="Pipeline parameters for the runs it starts")
    description: str = ""

    @model_validator(mode="after")
    def _fields_of_kind(self) -> TriggerSpec:
        required, optional = _FIELDS[self.kind]
        missing = sorted(f for f in required if getattr(self, f) is None)
        if missing:
            raise ValueError(f"a {self.kind} trigger needs {', '.join(missing)}")
        extra = sorted(f for f in _KIND_FIELDS - required - optional if getattr(self, f) is not None)
        if extra:
            raise ValueError(f"a {self.kind} trigger takes no {', '.join(extra)}")
        if self.cron is not None:
            CronSchedule.parse(self.cron)
        return self


class TriggerInfo(BaseModel):
    """A trigger with its state: the evidence it last fired on (``cursor``) and its last run."""

    id: int
    project: str
    spec: TriggerSpec
    enabled: bool = True
    firings: int = Field(default=0, description="How many times it fired")
    cursor: dict[str, Any] = Field(default_factory=dict, description="The evidence it last fired on")
    pending: bool = Field(default=False, description="A firing whose run is not yet recorded (retried)")
    last_fired_at: dt.datetime | None = None
    last_run_id: str | None = None
    last_error: str | None = None
    next_fire_at: dt.datetime | None = Field(default=None, description="cron: the next scheduled time")
    created_at: dt.datetime
    created_by: str = ""

    @property
    def name(self) -> str:
        return self.spec.name


class Firing(BaseModel):
    """One firing: why (``trigger``: kind, reason and evidence, also kept on the pipeline run) and its run."""

    trigger: dict[str, Any]
    run_id: str | None = None
    status: str | None = Field(default=None, description="The run's status when the firing returned")
    error: str | None = None
