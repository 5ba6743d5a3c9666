"""Built-in data step kinds: pin a dataset, import rows, export feedback, the quality operations, split.
Each wraps its service through ``ctx.client`` (registered in ``_builtin.py``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field

from genloop.errors import InvalidInput
from genloop.pipelines._kinds import StepParams as _P

__all__ = ["parse_since"]


# -- data ----------------------------------------------------------------------------------------------


class DatasetP(_P):
    dataset: str = Field(description="NAME, NAME@N or NAME@label: pinned to the version it names now")


def _dataset(ctx: Any, p: DatasetP) -> dict[str, Any]:
    return {"dataset": p.dataset}  # already pinned by the runner (refs)


class ImportP(_P):
    name: str
    rows: list[dict[str, Any]] | None = Field(default=None, description="Rows inline")
    path: str | None = Field(default=None, description="A local file (only where the pipeline runs locally)")
    kind: str | None = None
    message: str = ""


def _import(ctx: Any, p: ImportP) -> dict[str, Any]:
    if (p.rows is None) == (p.path is None):
        raise InvalidInput("dataset_import takes exactly one of rows and path")
    if p.path is not None and not ctx.local:
        raise InvalidInput("dataset_import: a path is read only by pipelines run locally (genloop pipelines run)",
                           hint="pass rows inline, or import the file first with genloop datasets create")
    version = ctx.client.datasets.create(p.name, p.rows if p.rows is not None else p.path, kind=p.kind,
                                         message=p.message or f"pipeline run {ctx.pipeline_run_id}")
    return {"dataset": f"{version.name}@{version.version}"}


_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """``7d``, ``12h``, ``30m`` before now, or an ISO 8601 time (UTC when no zone is given)."""
    if text is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    match = _DURATION.fullmatch(text.strip())
    if match:
        return now - dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"invalid time {text!r}", hint="write 7d, 12h, 30m or an ISO time") from exc
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class FeedbackExportP(_P):
    kind: Literal["sft", "preference"]
    name: str
    deployment: str | None = None
    since: str | None = Field(default=None, description="7d, 12h or an ISO time")
    until: str | None = None
    feedback_name: str | None = None
    like_threshold: float | None = None
    dislike_threshold: float | None = None
    redact_pii: bool = False
    message: str = ""


def _feedback_export(ctx: Any, p: FeedbackExportP) -> dict[str, Any]:
    result = ctx.client.feedback.export(
        kind=p.kind, name=p.name, deployment=p.deployment, since=parse_since(p.since), until=parse_since(p.until),
        feedback_name=p.feedback_name, like_threshold=p.like_threshold, dislike_threshold=p.dislike_threshold,
        redact_pii=p.redact_pii, message=p.message)
    ctx.log(f"exported {result.exported} rows from {result.considered} feedback (created: {result.created})")
    return {"dataset": f"{result.dataset.name}@{result.dataset.version}", "run": result.run_id,
            "rows": result.exported}


class CleanP(_P):
    dataset: str
    steps: list[dict[str, Any]]
    name: str | None = None


class DedupP(_P):
    dataset: str
    method: Literal["exact", "near", "semantic"] = "near"
    threshold: float = 0.8
    keep: str = "first"
    columns: list[str] | None = None
    name: str | None = None


class DecontaminateP(_P):
    dataset: str
    eval_datasets: list[str] = Field(min_length=1)
    n: int = 13
    threshold: float | None = 0.8
    action: Literal["remove", "flag"] = "remove"
    columns: list[str] | None = None
    name: str | None = None


class ScrubP(_P):
    dataset: str
    mode: Literal["redact", "mask"] = "redact"
    checks: list[str] | None = None
    columns: list[str] | None = None
    name: str | None = None


def _quality(op: str) -> Any:
    def run(ctx: Any, p: Any) -> dict[str, Any]:
        args = p.model_dump(exclude={"dataset"})
        if op == "decontaminate":
            result = ctx.client.quality.decontaminate(p.dataset, args.pop("eval_datasets"), **args)
        else:
            result = getattr(ctx.client.quality, op)(p.dataset, **args)
        ctx.log(f"{op}: {result.rows_in} rows in, {result.rows_out} out")
        out = result.dataset
        return {"dataset": f"{out.name}@{out.version}" if out is not None else p.dataset, "run": result.run_id,
                "rows_in": result.rows_in, "rows_out": result.rows_out}
    return run


class SplitP(_P):
    dataset: str
    test_size: float = 0.2
    seed: int = 42
    stratify: str | None = None
    train_name: str | None = None
    test_name: str | None = None


def _split(ctx: Any, p: SplitP) -> dict[str, Any]:
    size: float | int = int(p.test_size) if p.test_size >= 1 else p.test_size
    result = ctx.client.datasets.split(p.dataset, test_size=size, seed=p.seed, stratify=p.stratify,
                                       train_name=p.train_name, test_name=p.test_name)
    return {"train": f"{result.train.name}@{result.train.version}",
            "test": f"{result.test.name}@{result.test.version}"}
