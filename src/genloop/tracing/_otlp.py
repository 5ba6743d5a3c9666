"""OpenTelemetry in: OTLP/HTTP trace exports (JSON or protobuf) mapped onto GenLoop trace records.

Spans are grouped by trace id; each group becomes one trace whose fields come from the GenAI
semantic conventions (``gen_ai.request.model``, ``gen_ai.usage.input_tokens``,
``gen_ai.input.messages`` ...; also the older ``gen_ai.prompt.N.content`` attributes and
``gen_ai.*.message`` events). Every span is kept, with its attributes, on the trace.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import orjson

from genloop.errors import InvalidInput, MissingDependency
from genloop.tracing._bounds import bound_record, token_count

__all__ = ["otlp_to_records", "parse_otlp"]

_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
Pricer = Callable[[str, int, int], float | None]


def parse_otlp(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Decode an ExportTraceServiceRequest into its ``resourceSpans`` (OTLP JSON shape, hex ids)."""
    if "protobuf" in content_type:
        try:
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependency.for_extra("opentelemetry-proto", "otel") from exc
        message = ExportTraceServiceRequest()
        try:
            message.ParseFromString(body)
        except Exception as exc:  # protobuf raises DecodeError and others
            raise InvalidInput(f"invalid OTLP protobuf body: {exc}") from exc
        return [_proto_resource_spans(rs) for rs in message.resource_spans]
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"invalid OTLP JSON body: {exc}",
                           hint="send application/json (OTLP JSON) or application/x-protobuf") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("resourceSpans", []), list):
        raise InvalidInput("OTLP JSON body needs a resourceSpans list")
    return payload.get("resourceSpans") or []


def otlp_to_records(body: bytes, content_type: str, *, project: str, price: Pricer | None = None,
                    api_key: str | None = None) -> list[dict[str, Any]]:
    """Map an OTLP trace export onto GenLoop trace records (one per trace id), every field bounded.

    A body of the wrong shape (a list where an object belongs, a timestamp that is not an integer) is
    :class:`InvalidInput`; values a store cannot hold are mended by :func:`~genloop.tracing._bounds.bound_record`.
    """
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    try:
        for rs in parse_otlp(body, content_type):
            resource = _attrs((_obj(rs).get("resource") or {}).get("attributes"))
            for ss in _list(_obj(rs).get("scopeSpans")):
                for span in _list(_obj(ss).get("spans")):
                    trace_id = _hex_id(_obj(span).get("traceId"), 32)
                    if trace_id:
                        groups.setdefault(trace_id, []).append((span, resource))
        return [bound_record(_record(tid, spans, project, price, api_key)) for tid, spans in groups.items()]
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise InvalidInput(f"invalid OTLP trace export: {type(exc).__name__}: {str(exc)[:200]}",
                           hint="send an ExportTraceServiceRequest (OTLP JSON or protobuf)") from exc


def _obj(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _record(trace_id: str, spans: list[tuple[dict[str, Any], dict[str, Any]]], project: str,
            price: Pricer | None, api_key: str | None) -> dict[str, Any]:
    mapped = [_span(span) for span, _res in spans]
    ids = {s["span_id"] for s in mapped}
    roots = [s for s in mapped if not s["parent_span_id"] or s["parent_span_id"] not in ids] or mapped
    root = min(roots, key=lambda s: s["started_at"])
    resource = spans[0][1]
    merged: dict[str, Any] = {}
    for s in sorted(mapped, key=lambda s: s["started_at"]):
        for key, value in s["attributes"].items():
            merged.setdefault(key, value)
    genai = [s for s in mapped if any(k.startswith("gen_ai.") for k in s["attributes"])]
    input_tokens = _sum(genai, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
    output_tokens = _sum(genai, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    errors = [s for s in mapped if s["status"] == "error"]
    model = merged.get("gen_ai.request.model") or merged.get("gen_ai.response.model")
    cost = merged.get("gen_ai.usage.cost")
    if cost is None and price is not None and model and (input_tokens or output_tokens):
        cost = price(str(model), input_tokens or 0, output_tokens or 0)
    end = max(s["started_at"] + (s["duration_ms"] or 0) / 1000 for s in mapped)
    metadata = {k: v for k, v in resource.items() if isinstance(v, (str, int, float, bool))}
    return {
        "id": trace_id, "project": project, "source": "otlp", "name": root["name"],
        "deployment": merged.get("genloop.deployment"), "variant": merged.get("genloop.variant"),
        "model": str(model) if model else None,
        "provider": merged.get("gen_ai.provider.name") or merged.get("gen_ai.system"),
        "upstream_model": merged.get("gen_ai.response.model") or model,
        "input": _messages(genai, "input"), "output": _messages(genai, "output"),
        "status": "error" if errors else "ok",
        "error": (errors[0]["attributes"].get("otel.status_message") or errors[0]["attributes"].get("error.type")
                  or "error") if errors else None,
        "error_type": errors[0]["attributes"].get("error.type") if errors else None,
        "input_tokens": input_tokens, "output_tokens": output_tokens, "cost_usd": cost,
        "latency_ms": round((end - root["started_at"]) * 1000, 3), "started_at": root["started_at"],
        "user": merged.get("user.id") or merged.get("enduser.id"),
        "session_id": merged.get("session.id") or merged.get("gen_ai.conversation.id"),
        "api_key": api_key, "metadata": metadata, "spans": mapped,
    }


def _nanos(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"a time in nanoseconds must be an integer, got {value!r:.40}")
    return int(value)


def _span(span: dict[str, Any]) -> dict[str, Any]:
    start = _nanos(span.get("startTimeUnixNano"), 0)
    end = _nanos(span.get("endTimeUnixNano"), start)
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise TypeError("span status must be an object")
    code = status.get("code", 0)
    attributes = _attrs(span.get("attributes"))
    if status.get("message"):
        attributes["otel.status_message"] = status["message"]
    events = [{"name": str(_obj(e).get("name", "")), **_attrs(e.get("attributes"))} for e in _list(span.get("events"))]
    if events:
        attributes["otel.events"] = events
    kind = span.get("kind", 1)
    return {
        "span_id": _hex_id(span.get("spanId"), 16) or "", "parent_span_id": _hex_id(span.get("parentSpanId"), 16),
        "name": str(span.get("name") or ""),
        "kind": _KINDS.get(kind, str(kind).removeprefix("SPAN_KIND_").lower()) if kind is not None else "internal",
        "status": {2: "error", "STATUS_CODE_ERROR": "error", 1: "ok", "STATUS_CODE_OK": "ok"}.get(code, "unset"),
        "started_at": start / 1e9, "duration_ms": round(max(0, end - start) / 1e6, 3), "attributes": attributes,
    }


def _messages(spans: list[dict[str, Any]], side: str) -> Any:
    key, flat, events = (("gen_ai.input.messages", "gen_ai.prompt.", ("gen_ai.system.message", "gen_ai.user.message",
                          "gen_ai.assistant.message", "gen_ai.tool.message")) if side == "input"
                         else ("gen_ai.output.messages", "gen_ai.completion.", ("gen_ai.choice",)))
    for s in spans:
        attrs = s["attributes"]
        if key in attrs:
            value = attrs[key]
            if isinstance(value, str):
                try:
                    return orjson.loads(value)
                except orjson.JSONDecodeError:
                    return value
            return value
        numbered: dict[int, dict[str, Any]] = {}
        for name, value in attrs.items():
            if name.startswith(flat):
                index, _, field = name[len(flat):].partition(".")
                if index.isdigit() and field:
                    numbered.setdefault(int(index), {})[field] = value
        if numbered:
            return [numbered[i] for i in sorted(numbered)]
        found = [{k: v for k, v in e.items() if k != "name"} | {"event": e["name"]}
                 for e in attrs.get("otel.events", []) if e.get("name") in events]
        if found:
            return found
    return None


def _sum(spans: list[dict[str, Any]], *keys: str) -> int | None:
    total, seen = 0, False
    for s in spans:
        for key in keys:
            value = s["attributes"].get(key)
            if isinstance(value, str) and value.isdigit() and len(value) < 12:
                value = int(value)
            count = token_count(value)
            if count is not None:
                total += count
                seen = True
                break
    return token_count(total) if seen else None


def _attrs(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in _list(items):
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _value(_obj(item.get("value") or {}))
    return out


def _value(v: dict[str, Any]) -> Any:
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return _int_value(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [_value(_obj(x)) for x in _list(_obj(v["arrayValue"] or {}).get("values"))]
    if "kvlistValue" in v:
        return _attrs(_obj(v["kvlistValue"] or {}).get("values"))
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def _int_value(value: Any) -> int | str:
    """An OTLP intValue (a JSON number or, in the protobuf JSON mapping, a decimal string); kept as text past 64 bits."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and len(value) > 40):
        raise TypeError(f"intValue must be an integer, got {str(value)[:40]!r}")
    number = int(value)
    return number if -(2**63) <= number < 2**63 else str(number)


_HEX = re.compile(r"[0-9a-f]+")


def _hex_id(value: Any, size: int) -> str | None:
    if not value:
        return None
    text = str(value).lower()
    if len(text) != size or _HEX.fullmatch(text) is None:
        try:  # the protobuf JSON mapping writes ids in base64
            text = base64.b64decode(str(value), validate=True).hex()
        except ValueError:
            return None
    return text if len(text) == size and text.strip("0") else None


def _proto_resource_spans(rs: Any) -> dict[str, Any]:
    return {
        "resource": {"attributes": [_proto_kv(kv) for kv in rs.resource.attributes]},
        "scopeSpans": [{"spans": [_proto_span(s) for s in ss.spans]} for ss in rs.scope_spans],
    }


def _proto_span(s: Any) -> dict[str, Any]:
    return {
        "traceId": s.trace_id.hex(), "spanId": s.span_id.hex(), "parentSpanId": s.parent_span_id.hex() or None,
        "name": s.name, "kind": int(s.kind), "startTimeUnixNano": s.start_time_unix_nano,
        "endTimeUnixNano": s.end_time_unix_nano, "attributes": [_proto_kv(kv) for kv in s.attributes],
        "status": {"code": int(s.status.code), "message": s.status.message},
        "events": [{"name": e.name, "attributes": [_proto_kv(kv) for kv in e.attributes]} for e in s.events],
    }


def _proto_kv(kv: Any) -> dict[str, Any]:
    return {"key": kv.key, "value": _proto_value(kv.value)}


def _proto_value(v: Any) -> dict[str, Any]:
    which = v.WhichOneof("value")
    if which == "string_value":
        return {"stringValue": v.string_value}
    if which == "int_value":
        return {"intValue": v.int_value}
    if which == "double_value":
        return {"doubleValue": v.double_value}
    if which == "bool_value":
        return {"boolValue": v.bool_value}
    if which == "array_value":
        return {"arrayValue": {"values": [_proto_value(x) for x in v.array_value.values]}}
    if which == "kvlist_value":
        return {"kvlistValue": {"values": [_proto_kv(x) for x in v.kvlist_value.values]}}
    if which == "bytes_value":
        return {"bytesValue": base64.b64encode(v.bytes_value).decode()}
    return {}
