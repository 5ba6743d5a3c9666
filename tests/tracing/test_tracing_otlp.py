"""OpenTelemetry in: OTLP/HTTP JSON and protobuf exports become GenLoop traces (GenAI semantic conventions)."""

from __future__ import annotations

import httpx
import pytest

from genloop.tracing import TraceService, otlp_to_records

TRACE_ID = "5b8efff798038103d269b633813fc60c"


def _export() -> dict:
    def attr(key, value):  # type: ignore[no-untyped-def]
        kind = {str: "stringValue", int: "intValue", float: "doubleValue", bool: "boolValue"}[type(value)]
        return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}

    return {"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", "support-app")]},
        "scopeSpans": [{"scope": {"name": "openllmetry"}, "spans": [
            {"traceId": TRACE_ID, "spanId": "eee19b7ec3c1b174", "name": "handle question", "kind": 2,
             "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000001500000000",
             "attributes": [attr("user.id", "ann"), attr("session.id", "s9")]},
            {"traceId": TRACE_ID, "spanId": "eee19b7ec3c1b175", "parentSpanId": "eee19b7ec3c1b174",
             "name": "chat gpt-4o-mini", "kind": 3, "startTimeUnixNano": "1700000000100000000",
             "endTimeUnixNano": "1700000001400000000", "status": {"code": 2, "message": "upstream 500"},
             "attributes": [attr("gen_ai.operation.name", "chat"), attr("gen_ai.provider.name", "openai"),
                            attr("gen_ai.request.model", "gpt-4o-mini"), attr("gen_ai.usage.input_tokens", 12),
                            attr("gen_ai.usage.output_tokens", 30), attr("gen_ai.prompt.0.role", "user"),
                            attr("gen_ai.prompt.0.content", "hello"), attr("error.type", "500")]},
        ]}]}]}


def test_json_mapping() -> None:
    import orjson

    (rec,) = otlp_to_records(orjson.dumps(_export()), "application/json", project="default")
    assert rec["id"] == TRACE_ID and rec["source"] == "otlp" and rec["name"] == "handle question"
    assert (rec["model"], rec["provider"], rec["input_tokens"], rec["output_tokens"]) == ("gpt-4o-mini", "openai",
                                                                                          12, 30)
    assert rec["input"] == [{"role": "user", "content": "hello"}]
    assert rec["status"] == "error" and rec["error"] == "upstream 500" and rec["latency_ms"] == 1500.0
    assert (rec["user"], rec["session_id"], rec["metadata"]) == ("ann", "s9", {"service.name": "support-app"})
    assert len(rec["spans"]) == 2 and rec["spans"][1]["kind"] == "client"


def test_otlp_endpoint_json_and_protobuf(store, gateway_factory) -> None:
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    proto_export = _export()
    other = "6b8efff798038103d269b633813fc60c"
    for span in proto_export["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        span["traceId"] = other
    message = ParseDict(_hex_to_b64(proto_export), ExportTraceServiceRequest())
    with gateway_factory() as gw, httpx.Client(base_url=gw.url) as http:
        assert http.post("/v1/traces", json=_export()).json() == {}
        sent = http.post("/v1/traces", content=message.SerializeToString(),
                         headers={"content-type": "application/x-protobuf"})
        assert sent.status_code == 200 and sent.headers["content-type"] == "application/x-protobuf"
        bad = http.post("/v1/traces", content=b"\x00garbage", headers={"content-type": "application/x-protobuf"})
        assert bad.status_code == 400
        gw.flush()
    service = TraceService(store)
    for trace_id in (TRACE_ID, other):
        trace = service.get(trace_id)
        assert trace.source == "otlp" and trace.output_tokens == 30 and len(trace.spans) == 2
        assert trace.cost_usd == pytest.approx((12 * 0.15 + 30 * 0.60) / 1e6)


def _hex_to_b64(export: dict) -> dict:
    import base64
    import copy

    out = copy.deepcopy(export)
    for span in out["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return out
