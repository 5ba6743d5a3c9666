"""Agent trajectories from OTLP spans (GenAI semantic conventions for tool calls), evaluated with ``tool_calls``."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest

from genloop.errors import InvalidInput, NotFound
from genloop.evals import EvalService
from genloop.runs import RunService
from genloop.tracing import SpanInfo, TraceService
from genloop.tracing._trajectory import tool_calls

GOOD = "7c8efff798038103d269b633813fc60c"
WRONG = "8c8efff798038103d269b633813fc60c"
T0 = 1_700_000_000_000_000_000


def _attr(key: str, value: object) -> dict:
    kind = {str: "stringValue", int: "intValue", float: "doubleValue", bool: "boolValue"}[type(value)]
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def _span(trace: str, sid: str, parent: str | None, name: str, start_ms: int, end_ms: int, **attrs: object) -> dict:
    span = {"traceId": trace, "spanId": sid, "name": name, "kind": 1,
            "startTimeUnixNano": str(T0 + start_ms * 1_000_000), "endTimeUnixNano": str(T0 + end_ms * 1_000_000),
            "attributes": [_attr(k.replace("__", "."), v) for k, v in attrs.items()]}
    if parent:
        span["parentSpanId"] = parent
    return span


def _agent_run(trace: str, city: str) -> list[dict]:
    """invoke_agent > chat (asks for two tools) > execute_tool x2 > chat (answers); spans sent out of order."""
    root = trace[:15] + "1"
    asked = [{"role": "assistant", "finish_reason": "tool_call", "parts": [
        {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": city}},
        {"type": "tool_call", "id": "call_2", "name": "get_time", "arguments": {"tz": "Europe/Paris"}}]}]
    answer = [{"role": "assistant", "finish_reason": "stop",
               "parts": [{"type": "text", "content": f"It is sunny in {city} <b>and</b> 14:00."}]}]
    question = [{"role": "user", "parts": [{"type": "text", "content": "Weather and time in Paris?"}]}]
    return [
        _span(trace, trace[:15] + "5", root, "chat gpt-4o", 300, 400, gen_ai__operation__name="chat",
              gen_ai__request__model="gpt-4o", gen_ai__output__messages=json.dumps(answer)),
        _span(trace, root, None, "invoke_agent weather", 0, 500, gen_ai__operation__name="invoke_agent"),
        _span(trace, trace[:15] + "2", root, "chat gpt-4o", 10, 100, gen_ai__operation__name="chat",
              gen_ai__request__model="gpt-4o", gen_ai__input__messages=json.dumps(question),
              gen_ai__output__messages=json.dumps(asked)),
        _span(trace, trace[:15] + "4", root, "execute_tool get_time", 200, 250, gen_ai__operation__name="execute_tool",
              gen_ai__tool__name="get_time", gen_ai__tool__call__id="call_2",
              gen_ai__tool__call__arguments='{"tz": "Europe/Paris"}', gen_ai__tool__call__result='{"time": "14:00"}'),
        _span(trace, trace[:15] + "3", root, "execute_tool get_weather", 110, 190,
              gen_ai__operation__name="execute_tool", gen_ai__tool__name="get_weather",
              gen_ai__tool__call__id="call_1", gen_ai__tool__call__arguments=json.dumps({"city": city})),
    ]


def _export(spans: list[dict]) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", "agent")]},
                               "scopeSpans": [{"scope": {"name": "genai"}, "spans": spans}]}]}


def _protobuf(export: dict) -> bytes:
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    for span in export["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return ParseDict(export, ExportTraceServiceRequest()).SerializeToString()


def test_agent_traces_over_otlp_evaluated_against_expected_calls(store, gateway_factory) -> None:
    with gateway_factory() as gw, httpx.Client(base_url=gw.url) as http:
        assert http.post("/v1/traces", json=_export(_agent_run(GOOD, "Paris"))).status_code == 200
        sent = http.post("/v1/traces", content=_protobuf(_export(_agent_run(WRONG, "Lyon"))),
                         headers={"content-type": "application/x-protobuf"})
        assert sent.status_code == 200
        gw.flush()
    service = TraceService(store)
    traj = service.trajectory(GOOD)
    # executed calls, in time order, each once (the requested call_1/call_2 are the same calls)
    assert [(c.name, c.arguments, c.id, c.executed) for c in traj.tool_calls] == [
        ("get_weather", {"city": "Paris"}, "call_1", True), ("get_time", {"tz": "Europe/Paris"}, "call_2", True)]
    assert traj.tool_calls[1].result == {"time": "14:00"}
    assert traj.input == "Weather and time in Paris?"
    assert traj.answer == "It is sunny in Paris <b>and</b> 14:00."

    expected = [{"name": "get_weather", "arguments": {"city": "Paris"}},
                {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}]
    written = service.to_dataset("agent-runs", [GOOD, WRONG[:8]], expected={GOOD: expected, WRONG[:8]: expected})
    assert written.rows == 2 and written.dataset.kind == "eval"
    run = RunService(store).get(written.run_id)
    assert {f"trace:{GOOD}", f"trace:{WRONG}"} <= set(run.inputs)

    spec = {"name": "agent", "dataset": written.dataset.ref, "input_column": "input",
            "candidates": [{"name": "agent", "output_column": "answer"}],
            "metrics": ["tool_calls", {"metric": "tool_calls", "name": "tool_names", "order": "set", "arguments": False}]}
    result = EvalService(store).run(spec)
    items = {i.inputs.get("trace_id") or i.example_index: i for i in EvalService(store).items(result.run_id).items}
    scores = [i.scores for i in sorted(items.values(), key=lambda i: i.example_index)]
    assert scores[0]["tool_calls"] == 1.0
    assert scores[1]["tool_calls"] == pytest.approx(0.5)  # get_weather called for Lyon: 1 of 2 calls match
    assert scores[1]["tool_names"] == 1.0


def _info(sid: str, start: float, **attrs: object) -> SpanInfo:
    return SpanInfo(span_id=sid, name="s", started_at=dt.datetime.fromtimestamp(start, dt.UTC), duration_ms=10,
                    attributes=attrs)


def test_requested_calls_without_execution_spans_and_openai_shape() -> None:
    openai = [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": "rag"}'}}]}]
    parts = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "book", "arguments": {"id": 3}}]}]
    spans = [_info("b", 20.0, **{"gen_ai.output.messages": parts}),
             _info("a", 10.0, **{"gen_ai.output.messages": json.dumps(openai)})]
    calls = tool_calls(spans)
    assert [(c.name, c.arguments, c.executed) for c in calls] == [("search", {"q": "rag"}, False),
                                                                   ("book", {"id": 3}, False)]
    # once a tool is executed, a requested call without an id cannot be paired and is left out (not counted
    # twice); one with an id no execution has (c1) is still a call the model made
    executed = _info("e", 15.0, **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "book",
                                   "gen_ai.tool.call.arguments": "not json"})
    calls = tool_calls([*spans, executed])
    assert [(c.name, c.arguments) for c in calls] == [("search", {"q": "rag"}), ("book", "not json")]


def test_to_dataset_refuses_bad_input_and_writes_nothing(store) -> None:
    service = TraceService(store)
    with pytest.raises(InvalidInput):
        service.to_dataset("runs", [])
    with pytest.raises(NotFound):
        service.to_dataset("runs", ["ab" * 16])
    with pytest.raises(InvalidInput):
        service.to_dataset("bad name!", ["ab" * 16])
    assert RunService(store).list(kind="data").total == 0


def test_trajectory_and_dataset_in_process_and_over_rest(twin) -> None:
    import orjson

    from genloop.tracing import otlp_to_records

    twin.traces.record(otlp_to_records(orjson.dumps(_export(_agent_run(GOOD, "Paris"))), "application/json",
                                       project="default"))
    traj = twin.traces.trajectory(GOOD[:8])
    assert [c.name for c in traj.tool_calls] == ["get_weather", "get_time"] and traj.answer.startswith("It is sunny")
    with pytest.raises(InvalidInput, match="dataset name"):
        twin.traces.to_dataset("no spaces allowed", [GOOD])
    with pytest.raises(NotFound):
        twin.traces.to_dataset("runs", [WRONG])
    written = twin.traces.to_dataset("runs", [GOOD], expected={GOOD: [{"name": "get_weather"}]})
    assert written.rows == 1 and written.created and written.dataset.ref == "runs@1"


def test_traces_cli(cli, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import orjson

    from genloop.tracing import otlp_to_records

    TraceService(store).record(otlp_to_records(orjson.dumps(_export(_agent_run(GOOD, "Paris"))), "application/json",
                                               project="default"))
    shown = cli("traces", "trajectory", GOOD[:8])
    assert shown.code == 0 and "get_weather" in shown.out and "It is sunny in Paris" in shown.out
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({GOOD: [{"name": "get_weather", "arguments": {"city": "Paris"}}]}))
    made = cli("traces", "to-dataset", "agent", GOOD, "--expected", str(expected), "--json")
    assert made.code == 0, made.err
    assert made.json()["rows"] == 1 and made.json()["dataset"]["name"] == "agent"
    expected.write_text("[1, 2]")
    refused = cli("traces", "to-dataset", "agent", GOOD, "--expected", str(expected))
    assert refused.code != 0 and "JSON object" in refused.err


def test_retrieval_spans_become_contexts_for_rag_metrics(store, gateway_factory) -> None:
    """A RAG app's retriever span (OpenInference attributes) over OTLP: its passages and ids reach the dataset."""
    trace = "9c8efff798038103d269b633813fc60c"
    question = [{"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]}]
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "Paris."}]}]
    spans = [
        _span(trace, trace[:15] + "1", None, "rag", 0, 300),
        _span(trace, trace[:15] + "2", trace[:15] + "1", "retrieve", 10, 50, openinference__span__kind="RETRIEVER",
              **{"retrieval.documents.1.document.id": "d7", "retrieval.documents.1.document.content": "Lyon is big.",
                 "retrieval.documents.0.document.id": "d1",
                 "retrieval.documents.0.document.content": "Paris is the capital of France."}),
        _span(trace, trace[:15] + "3", trace[:15] + "1", "chat", 60, 200, gen_ai__operation__name="chat",
              gen_ai__input__messages=json.dumps(question), gen_ai__output__messages=json.dumps(answer)),
    ]
    with gateway_factory() as gw, httpx.Client(base_url=gw.url) as http:
        assert http.post("/v1/traces", json=_export(spans)).status_code == 200
        gw.flush()
    service = TraceService(store)
    traj = service.trajectory(trace)
    assert traj.contexts == ["Paris is the capital of France.", "Lyon is big."] and traj.retrieved_ids == ["d1", "d7"]
    assert (traj.input, traj.answer, traj.tool_calls) == ("Capital of France?", "Paris.", [])
    written = service.to_dataset("rag-logged", [trace])
    from genloop.datasets import DatasetService

    (row,) = list(DatasetService(store).iter_rows(written.dataset.ref))
    assert row["contexts"] == traj.contexts and row["retrieved_ids"] == ["d1", "d7"]
