"""Agent trajectories: the tool calls of a trace, read from its spans (OpenTelemetry GenAI semantic conventions).

A tool call is found in two places, and both are read:

- an **execution span**, ``gen_ai.operation.name = execute_tool``, with ``gen_ai.tool.name``,
  ``gen_ai.tool.call.id``, ``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result`` (the name also comes
  from a span named ``execute_tool NAME``);
- a **requested call** in a model call's ``gen_ai.output.messages``: a part ``{"type": "tool_call", "id",
  "name", "arguments"}`` of an assistant message (the conventions' shape), or OpenAI's ``tool_calls`` list.

A requested call is the same call as the execution span with its id, and is counted once (the execution, which
is what happened); requested calls are otherwise kept only when the trace has no execution spans at all (an app
that instruments the model but not its tools), since without ids the two cannot be paired. Calls are ordered by
time: an execution by its start, a requested call by the end of the model call that asked for it.

Retrieved passages are read from retriever spans in the OpenInference convention (flattened
``retrieval.documents.N.document.content`` and ``.id``), in rank order, spans in time order.

:func:`trajectory_dataset` turns traces into an ``eval`` dataset version for the ``tool_calls`` metric (one row
per trace: ``input`` the first user message, ``answer`` the last model text, ``tool_calls`` the trajectory,
``trace_id``, and ``expected_tool_calls`` where given; ``contexts`` and ``retrieved_ids`` when the trace retrieved
passages, for the RAG judges and retrieval metrics), written by a ``data`` run whose inputs are the traces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from genloop.datasets import DatasetVersion
from genloop.errors import InvalidInput
from genloop.refs import validate_name
from genloop.tracing._schemas import SpanInfo, TraceInfo

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["ToolCall", "TraceTrajectories", "Trajectory", "TrajectoryDataset", "final_answer", "retrieved",
           "tool_calls", "trajectory_dataset", "trajectory_of"]

MAX_TRACES = 10_000


class ToolCall(BaseModel):
    """One tool call of an agent run, in the shape the ``tool_calls`` metric reads."""

    name: str
    arguments: Any = Field(default_factory=dict, description="An object when the span's arguments are JSON")
    id: str | None = Field(default=None, description="gen_ai.tool.call.id")
    result: Any = None
    span_id: str | None = Field(default=None, description="The span it was read from")
    executed: bool = Field(default=True, description="False for a call the model requested with no execution span")


class Trajectory(BaseModel):
    """A trace's question, tool calls in order, and final answer."""

    trace_id: str
    input: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    answer: str | None = None
    contexts: list[str] = Field(default_factory=list, description="Retrieved passages, in rank order")
    retrieved_ids: list[str] = Field(default_factory=list, description="Their ids, where the spans give them")


class TrajectoryDataset(BaseModel):
    """What :func:`trajectory_dataset` wrote."""

    dataset: DatasetVersion
    created: bool
    run_id: str
    rows: int


class TraceTrajectories:
    """Mixed into :class:`genloop.tracing.TraceService` (``store``, ``project`` and ``actor`` come from it)."""

    store: Store
    project: str
    actor: str

    if TYPE_CHECKING:
        def get(self, trace_id: str) -> TraceInfo: ...

    def trajectory(self, trace_id: str) -> Trajectory:
        """The trace's question, its tool calls in order (with arguments) and its final answer."""
        return trajectory_of(self.get(trace_id))

    def to_dataset(self, name: str, trace_ids: Sequence[str], *, expected: Mapping[str, Any] | None = None,
                   message: str = "") -> TrajectoryDataset:
        """Write the traces' trajectories as a new ``eval`` version of dataset ``name``, for the ``tool_calls``
        metric (``expected``: trace id to its expected calls); the traces are the inputs of its run."""
        return trajectory_dataset(self.store, self.project, self.actor, name, trace_ids, expected=expected,
                                  message=message)


def _json(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _time(span: SpanInfo, end: bool = False) -> float:
    start = span.started_at.timestamp()
    return start + (span.duration_ms or 0) / 1000 if end else start


def _messages(span: SpanInfo, key: str) -> list[Any]:
    value = _json(span.attributes.get(key))
    return value if isinstance(value, list) else []


def _requested(message: Any) -> list[ToolCall]:
    if not isinstance(message, Mapping):
        return []
    found = []
    for part in message.get("parts") or []:
        if isinstance(part, Mapping) and part.get("type") == "tool_call":
            found.append(ToolCall(name=str(part.get("name") or ""), arguments=_json(part.get("arguments") or {}),
                                  id=part.get("id"), executed=False))
    for call in message.get("tool_calls") or []:  # OpenAI's shape
        if isinstance(call, Mapping):
            function = call.get("function")
            body: Mapping[str, Any] = function if isinstance(function, Mapping) else call
            found.append(ToolCall(name=str(body.get("name") or ""), arguments=_json(body.get("arguments") or {}),
                                  id=call.get("id"), executed=False))
    return found


def tool_calls(spans: Sequence[SpanInfo]) -> list[ToolCall]:
    """The ordered tool calls of a trace's spans (see the module docstring for the rules)."""
    timed: list[tuple[float, int, ToolCall]] = []
    executed_ids: set[str] = set()
    for index, span in enumerate(spans):
        attrs = span.attributes
        if attrs.get("gen_ai.operation.name") != "execute_tool":
            continue
        name = attrs.get("gen_ai.tool.name") or span.name.removeprefix("execute_tool").strip()
        call_id = attrs.get("gen_ai.tool.call.id")
        if call_id:
            executed_ids.add(str(call_id))
        timed.append((_time(span), index, ToolCall(
            name=str(name), arguments=_json(attrs.get("gen_ai.tool.call.arguments", {})),
            id=str(call_id) if call_id else None, result=_json(attrs.get("gen_ai.tool.call.result")),
            span_id=span.span_id)))
    any_executed = bool(timed)
    for index, span in enumerate(spans):
        for message in _messages(span, "gen_ai.output.messages"):
            for call in _requested(message):
                if any_executed and (call.id is None or call.id in executed_ids):
                    continue
                call.span_id = span.span_id
                timed.append((_time(span, end=True), index, call))
    return [call for _t, _i, call in sorted(timed, key=lambda t: (t[0], t[1]))]


def _text(message: Any) -> str | None:
    if isinstance(message, str):
        return message
    if not isinstance(message, Mapping):
        return None
    content = message.get("content")
    if isinstance(content, str) and content:
        return content
    texts = [str(p.get("content")) for p in message.get("parts") or []
             if isinstance(p, Mapping) and p.get("type") == "text" and p.get("content") is not None]
    return "\n".join(texts) if texts else None


def final_answer(spans: Sequence[SpanInfo]) -> str | None:
    """The text of the last model output that has text (by the end time of its span)."""
    best: tuple[float, str] | None = None
    for span in spans:
        for message in _messages(span, "gen_ai.output.messages"):
            text = _text(message)
            if text and (best is None or _time(span, end=True) >= best[0]):
                best = (_time(span, end=True), text)
    return best[1] if best else None


def retrieved(spans: Sequence[SpanInfo]) -> tuple[list[str], list[str]]:
    """Passages and their ids from retriever spans (``retrieval.documents.N.document.content``/``.id``)."""
    contexts: list[str] = []
    ids: list[str] = []
    for span in sorted(spans, key=_time):
        documents: dict[int, dict[str, Any]] = {}
        for key, value in span.attributes.items():
            if key.startswith("retrieval.documents."):
                index, _, field = key[len("retrieval.documents."):].partition(".")
                if index.isdigit() and field in ("document.content", "document.id"):
                    documents.setdefault(int(index), {})[field] = value
        for position in sorted(documents):
            document = documents[position]
            if document.get("document.content") is not None:
                contexts.append(str(document["document.content"]))
            if document.get("document.id") is not None:
                ids.append(str(document["document.id"]))
    return contexts, ids


def _question(trace: TraceInfo, spans: Sequence[SpanInfo]) -> str | None:
    ordered = sorted(spans, key=_time)
    for span in ordered:
        for message in _messages(span, "gen_ai.input.messages"):
            if isinstance(message, Mapping) and message.get("role") == "user" and _text(message):
                return _text(message)
    messages = trace.input if isinstance(trace.input, list) else [trace.input]
    for message in messages:
        if isinstance(message, Mapping) and message.get("role", "user") == "user" and _text(message):
            return _text(message)
    return trace.input if isinstance(trace.input, str) else None


def trajectory_of(trace: TraceInfo) -> Trajectory:
    """A stored trace's question, tool calls and final answer."""
    spans = trace.spans or []
    answer = final_answer(spans)
    if answer is None:
        outputs = trace.output if isinstance(trace.output, list) else [trace.output]
        answer = next((t for m in reversed(outputs) if (t := _text(m))), None)
    contexts, ids = retrieved(spans)
    return Trajectory(trace_id=trace.id, input=_question(trace, spans), tool_calls=tool_calls(spans), answer=answer,
                      contexts=contexts, retrieved_ids=ids)


def trajectory_dataset(store: Store, project: str, actor: str, name: str, trace_ids: Sequence[str], *,
                       expected: Mapping[str, Any] | None = None, message: str = "") -> TrajectoryDataset:
    """Write the trajectories of ``trace_ids`` as a new ``eval`` version of dataset ``name`` (see the module)."""
    from genloop.datasets import DatasetService
    from genloop.runs import RunService
    from genloop.tracing._service import TraceService

    validate_name(name, "dataset name")
    if isinstance(trace_ids, str) or not trace_ids:
        raise InvalidInput("no traces given; nothing to write", hint="pass one or more trace ids")
    if len(trace_ids) > MAX_TRACES:
        raise InvalidInput(f"{len(trace_ids)} traces is more than {MAX_TRACES} in one dataset version",
                           hint="write them in parts")
    expected = dict(expected or {})
    service = TraceService(store, project, actor)
    trajectories = [trajectory_of(service.get(tid)) for tid in trace_ids]  # NotFound before anything is written
    unknown = set(expected) - {t.trace_id for t in trajectories} - set(trace_ids)
    if unknown:
        raise InvalidInput(f"expected calls for traces not in the list: {', '.join(sorted(unknown))[:200]}",
                           hint="key expected calls by the trace ids you pass")
    rows = []
    for given, traj in zip(trace_ids, trajectories, strict=True):
        row: dict[str, Any] = {"input": traj.input or "", "answer": traj.answer, "trace_id": traj.trace_id,
                               "tool_calls": [c.model_dump(include={"name", "arguments"}) for c in traj.tool_calls]}
        if traj.contexts:
            row["contexts"] = traj.contexts
        if traj.retrieved_ids:
            row["retrieved_ids"] = traj.retrieved_ids
        calls = expected.get(traj.trace_id, expected.get(given))
        if calls is not None:
            row["expected_tool_calls"] = calls
        rows.append(row)
    with RunService(store, project, actor).run("data", name="traces to dataset",
                                               params={"dataset": name, "traces": len(rows)}) as run:
        version, created = DatasetService(store, project, actor).create_or_get(
            name, rows, kind="eval", tags=["traces", "trajectory"], source_run_id=run.id,
            message=message or f"trajectories of {len(rows)} traces (run {run.id})", display="traces to dataset")
        run.add_output(f"dataset:{version.ref}")
        store.db.write(lambda session: _lineage(session, run.id, [t.trace_id for t in trajectories]))
        run.summary = {"rows": len(rows), "dataset": version.ref}
    return TrajectoryDataset(dataset=version, created=created, run_id=run.id, rows=len(rows))


def _lineage(session: Any, run_id: str, trace_ids: list[str]) -> None:
    from sqlalchemy import insert

    from genloop.runs._tables import RunRefRow

    edges = [{"run_id": run_id, "direction": "input", "entity_type": "trace", "entity_name": tid, "version": None}
             for tid in dict.fromkeys(trace_ids)]
    for start in range(0, len(edges), 1000):
        session.execute(insert(RunRefRow), edges[start:start + 1000])
