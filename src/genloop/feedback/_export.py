"""Feedback to data: corrections and likes/dislikes on traces become a new SFT or preference dataset version.

The export reads the matching feedback with its traces, builds rows (``_export_rows``), redacts PII when
asked and drops exact duplicates (``_export_redact``), then, inside a ``data`` run named "feedback
export", writes the dataset version (``source_run_id`` set, the run's output) and records every trace
whose content is in it as a run input (``trace:<id>``, no version), so lineage leads back to traffic.
Nothing to export raises :class:`InvalidInput` before any run or version is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, insert, or_, select

from genloop.errors import InvalidInput
from genloop.feedback._export_redact import Redactor, canonical_digest
from genloop.feedback._export_rows import Candidate, Source, Tally, preference_rows, sft_rows
from genloop.feedback._export_schemas import EXPORT_KINDS, FeedbackExport
from genloop.feedback._tables import FeedbackRow
from genloop.refs import validate_name
from genloop.runs._tables import RunRefRow
from genloop.store import Store
from genloop.store._registry import find_project
from genloop.tracing._tables import TraceRow

if TYPE_CHECKING:
    from genloop.guardrails import Policy

__all__ = ["ExportSpec", "export_feedback"]

RUN_NAME = "feedback export"
_LISTED_TRACES = 100  # up to this many trace ids are listed in the run summary (all are run inputs)
_DATASET_KIND = {"sft": "chat", "preference": "preference"}
_SIGNALS = {"sft": "corrections", "preference": "corrections, likes or dislikes"}


@dataclass(frozen=True)
class ExportSpec:
    """What to export: the kind, the target dataset, and which feedback."""

    kind: str
    name: str
    deployment: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    feedback_name: str | None = None
    like_threshold: float | None = None
    dislike_threshold: float | None = None
    message: str = ""

    def scope(self, project: str) -> str:
        """Where the feedback came from, in words: "in project 'p' for deployment 'bot' since ..."."""
        parts = [f"in project {project!r}"]
        if self.deployment:
            parts.append(f"for deployment {self.deployment!r}")
        if self.feedback_name:
            parts.append(f"named {self.feedback_name!r}")
        if self.since:
            parts.append(f"since {_aware(self.since).isoformat()}")
        if self.until:
            parts.append(f"until {_aware(self.until).isoformat()}")
        return " ".join(parts)

    def params(self) -> dict[str, Any]:
        return {"kind": self.kind, "dataset": self.name, "deployment": self.deployment,
                "since": _aware(self.since).isoformat() if self.since else None,
                "until": _aware(self.until).isoformat() if self.until else None,
                "feedback_name": self.feedback_name, "like_threshold": self.like_threshold,
                "dislike_threshold": self.dislike_threshold}


def export_feedback(store: Store, project: str, actor: str, spec: ExportSpec, *, redact_pii: bool = False,
                    policy: Policy | Mapping[str, Any] | str | Path | None = None) -> FeedbackExport:
    """Run the export described by ``spec`` (see :meth:`FeedbackService.export`)."""
    from genloop.datasets import DatasetService
    from genloop.runs import RunService

    _check(spec)
    redactor = Redactor(policy) if redact_pii or policy is not None else None
    sources = _load(store, project, spec)
    if not sources:
        raise InvalidInput(f"no feedback with {_SIGNALS[spec.kind]} {spec.scope(project)}; nothing exported",
                           hint=_hint(spec))
    tally = Tally()
    candidates = sft_rows(sources, tally) if spec.kind == "sft" else preference_rows(sources, tally)
    rows, trace_ids, redactions = _finish(candidates, tally, redactor)
    skipped = tally.skipped()
    if not rows:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in skipped.items())
        raise InvalidInput(f"none of the {len(sources)} feedback items {spec.scope(project)} made a {spec.kind} "
                           f"row ({reasons}); nothing exported",
                           hint="traces need captured input and output messages; see genloop traces show ID")
    ordered = sorted(trace_ids)
    trace_hash = "sha256:" + hashlib.sha256("\n".join(ordered).encode()).hexdigest()
    params = spec.params() | {"redact_pii": redactor is not None,
                              "policy": redactor.describe() if redactor is not None else None}
    with RunService(store, project, actor).run("data", name=RUN_NAME, params=params) as run:
        message = spec.message or (f"{spec.kind} export of feedback {spec.scope(project)}: {len(rows)} rows from "
                                   f"{len(ordered)} traces (run {run.id})")
        version, created = DatasetService(store, project, actor).create_or_get(
            spec.name, rows, kind=_DATASET_KIND[spec.kind], message=message, tags=["feedback", spec.kind],
            source_run_id=run.id, display=f"feedback export ({spec.kind})")
        run.add_output(f"dataset:{version.ref}")
        _add_trace_inputs(store, run.id, ordered)
        result = FeedbackExport(
            dataset=version, created=created, run_id=run.id, kind=spec.kind, considered=len(sources),
            exported=len(rows), feedback_used=len(tally.used), skipped=skipped, traces=len(ordered),
            trace_ids_hash=trace_hash, redactions=dict(sorted(redactions.items())))
        run.summary = result.model_dump(mode="json", include={"considered", "exported", "feedback_used", "skipped",
                                                               "traces", "trace_ids_hash", "redactions", "created"})
        run.summary["dataset"] = version.ref
        if len(ordered) <= _LISTED_TRACES:
            run.summary["trace_ids"] = ordered
    return result


def _check(spec: ExportSpec) -> None:
    if spec.kind not in EXPORT_KINDS:
        raise InvalidInput(f"unknown export kind {spec.kind!r}", hint=f"use one of: {', '.join(EXPORT_KINDS)}")
    validate_name(spec.name, "dataset name")
    if spec.feedback_name is not None:
        validate_name(spec.feedback_name, "feedback name")
    thresholds = {"like_threshold": spec.like_threshold, "dislike_threshold": spec.dislike_threshold}
    for key, value in thresholds.items():
        if value is None:
            continue
        if spec.kind != "preference":
            raise InvalidInput(f"{key} applies to preference exports only",
                               hint="an sft export uses corrections; drop the threshold or use kind 'preference'")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise InvalidInput(f"{key} must be a number, got {value!r}")
    if None not in thresholds.values() and spec.dislike_threshold >= spec.like_threshold:  # type: ignore[operator]
        raise InvalidInput(f"dislike_threshold ({spec.dislike_threshold}) must be below like_threshold "
                           f"({spec.like_threshold})", hint="e.g. like_threshold=4, dislike_threshold=2 on a 1-5 scale")
    if spec.since and spec.until and _aware(spec.since) >= _aware(spec.until):
        raise InvalidInput("since must be before until")


def _load(store: Store, project_name: str, spec: ExportSpec) -> list[Source]:
    """The matching feedback, oldest first, each joined with its trace's input and output."""
    F, T = FeedbackRow, TraceRow
    with store.db.read() as session:
        project = find_project(session, project_name)
        if project is None:
            return []
        signals: list[ColumnElement[bool]] = [F.correction.is_not(None)]
        if spec.kind == "preference":
            signals.append(F.value_bool.is_not(None))
            if spec.like_threshold is not None:
                signals.append(F.value_number >= spec.like_threshold)
            if spec.dislike_threshold is not None:
                signals.append(F.value_number <= spec.dislike_threshold)
        query = select(F.id, F.trace_id, F.correction, F.value_bool, F.value_number, T.id, T.input, T.output)
        on = and_(T.id == F.trace_id, T.project_id == project.id)
        if spec.deployment:  # the deployment is the trace's: feedback on traces not stored yet cannot match
            query = query.join(T, on).where(T.deployment == spec.deployment)
        else:
            query = query.outerjoin(T, on)
        query = query.where(F.project_id == project.id, or_(*signals))
        if spec.feedback_name:
            query = query.where(F.name == spec.feedback_name)
        if spec.since:
            query = query.where(F.created_at >= _aware(spec.since))
        if spec.until:
            query = query.where(F.created_at < _aware(spec.until))
        return [Source(feedback_id=fid, trace_id=tid, correction=correction, verdict=_verdict(flag, number, spec),
                       found=found is not None, input=trace_input, output=trace_output)
                for fid, tid, correction, flag, number, found, trace_input, trace_output
                in session.execute(query.order_by(F.id))]


def _verdict(flag: bool | None, number: float | None, spec: ExportSpec) -> bool | None:
    if spec.kind != "preference":
        return None
    if flag is not None:
        return flag
    if number is not None and spec.like_threshold is not None and number >= spec.like_threshold:
        return True
    if number is not None and spec.dislike_threshold is not None and number <= spec.dislike_threshold:
        return False
    return None


def _finish(candidates: Iterator[Candidate], tally: Tally,
            redactor: Redactor | None) -> tuple[list[dict[str, Any]], set[str], Counter[str]]:
    """Redact, drop rows identical to an earlier one (and pairs redaction made equal).

    Returns the rows, the ids of the traces in them, and the redacted spans they hold by category.
    """
    rows: list[dict[str, Any]] = []
    seen: set[bytes] = set()
    trace_ids: set[str] = set()
    redactions: Counter[str] = Counter()
    for candidate in candidates:
        row, counts = redactor.row(candidate.row) if redactor is not None else (candidate.row, Counter())
        if "chosen" in row and row["chosen"] == row["rejected"]:
            tally.skip(candidate.feedback_ids, "same_answer")
            continue
        digest = canonical_digest(row)
        if digest in seen:
            tally.skip(candidate.feedback_ids, "duplicate")
            continue
        seen.add(digest)
        rows.append(row)
        trace_ids.update(candidate.trace_ids)
        tally.used.update(candidate.feedback_ids)
        redactions.update(counts)
    return rows, trace_ids, redactions


def _add_trace_inputs(store: Store, run_id: str, trace_ids: list[str]) -> None:
    """Each trace as an input edge of the run (traces are not versioned: no version)."""
    edges = [{"run_id": run_id, "direction": "input", "entity_type": "trace", "entity_name": tid, "version": None}
             for tid in trace_ids]

    def write(session: Any) -> None:
        for start in range(0, len(edges), 1000):
            session.execute(insert(RunRefRow), edges[start:start + 1000])

    store.db.write(write)


def _hint(spec: ExportSpec) -> str:
    if spec.kind == "sft":
        return "record corrections with genloop feedback add TRACE_ID --correction '...', or widen the filters"
    return ("record --good/--bad or corrections on traces (numeric scores count with like_threshold / "
            "dislike_threshold), or widen the filters")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
