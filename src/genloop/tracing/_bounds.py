"""Bounds on every field of a trace record, applied where records enter (gateway, OTLP, REST) and before a write.

A trace record comes from places GenLoop does not control: an upstream's ``usage``, an OTLP exporter's
attributes, an SDK's JSON. A value the database cannot hold (an integer beyond the column's range, a
timestamp past year 9999, a NUL character in PostgreSQL text, a lone surrogate, JSON nested beyond what
the encoder takes) must never reach a batch, where it would fail every trace written with it. So:

- typed columns are coerced or dropped: token counts and versions are integers in ``[0, 2**31 - 1]``,
  durations and costs finite floats, timestamps inside ``[1970, 9999]``, strings cut to their column;
- JSON values (input, output, metadata, span attributes) keep their shape, but integers outside 64 bits
  become strings, NUL characters and lone surrogates are replaced, nesting is cut at 64 levels, a string
  at 1 MiB, a list or object at 10,000 entries;
- whatever was changed is named in ``metadata["genloop.bounded"]``, so a reader sees the record was mended.

:func:`bound_scalars` (the typed columns) costs microseconds and runs on every record;
:func:`bound_json` walks a whole value and runs only where the input is untrusted or an encode failed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["INT32_MAX", "bound_json", "bound_record", "bound_scalars", "bound_timestamp", "token_count"]

INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_STRING = 1 << 20
MAX_ITEMS = 10_000
MAX_DEPTH = 64
MAX_SPANS = 2_000
MAX_ERROR = 16_384
_MIN_TS = 0.0
_MAX_TS = 253_402_300_799.0  # 9999-12-31T23:59:59Z, the last second Python's datetime can hold
_FLOAT_MAX = 1e15

_INTS = ("input_tokens", "output_tokens", "deployment_version")
_FLOATS = ("cost_usd", "latency_ms", "ttft_ms")
_STRINGS = {"name": 128, "deployment": 128, "variant": 64, "prompt": 160, "model": 256, "provider": 64,
            "upstream_model": 256, "error_type": 64, "user": 256, "session_id": 256, "api_key": 32, "status": 16,
            "source": 16, "shadow_of": 32, "error": MAX_ERROR, "project": 128}
_JSON = ("input", "output", "guardrails", "metadata")


def token_count(value: Any) -> int | None:
    """A token count as an integer in ``[0, 2**31 - 1]``, or None for anything else (a float, text, bool, too big)."""
    if type(value) is int and 0 <= value <= INT32_MAX:
        return value
    if isinstance(value, float) and value.is_integer() and 0 <= value <= INT32_MAX:
        return int(value)
    return None


def bound_timestamp(value: Any) -> float | None:
    """Epoch seconds inside what every store and Python's datetime hold, or None."""
    if isinstance(value, dt.datetime):
        try:
            value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
        except (OverflowError, ValueError, OSError):
            return None
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
            value = (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
        except (ValueError, OverflowError, OSError):
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) and _MIN_TS <= value <= _MAX_TS else None


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) and -_FLOAT_MAX <= value <= _FLOAT_MAX else None


def _note(rec: dict[str, Any], field: str) -> None:
    metadata = rec.get("metadata")
    if not isinstance(metadata, dict):
        metadata = rec["metadata"] = {}
    notes = metadata.get("genloop.bounded")
    if not isinstance(notes, list):
        notes = metadata["genloop.bounded"] = []
    if field not in notes:
        notes.append(field)


def bound_scalars(rec: dict[str, Any]) -> dict[str, Any]:
    """Coerce the typed columns of ``rec`` in place (cheap: no walk of JSON values); returns ``rec``."""
    for field in _INTS:
        value = rec.get(field)
        if value is not None and token_count(value) is None:
            rec[field] = None
            _note(rec, field)
        elif value is not None and type(value) is not int:
            rec[field] = token_count(value)
    for field in _FLOATS:
        value = rec.get(field)
        if value is not None and _finite(value) is None:
            rec[field] = None
            _note(rec, field)
    status = rec.get("http_status")
    if status is not None and not (type(status) is int and 0 <= status <= 999):
        rec["http_status"] = None
        _note(rec, "http_status")
    for field, size in _STRINGS.items():
        value = rec.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            rec[field] = None if field not in ("name", "status", "source") else ""
            _note(rec, field)
        elif len(value) > size or "\x00" in value:
            rec[field] = _text(value)[:size]
            _note(rec, field)
    started = rec.get("started_at")
    if started is not None and bound_timestamp(started) is None:
        rec["started_at"] = None  # the writer uses the time it stores the trace
        _note(rec, "started_at")
    for key in ("cache_hit", "stream"):
        if rec.get(key) is not None and not isinstance(rec[key], bool):
            rec[key] = bool(rec[key]) if isinstance(rec[key], (int, float, str)) else False
    if rec.get("metadata") is not None and not isinstance(rec["metadata"], dict):
        rec["metadata"] = {"value": rec["metadata"]}
        _note(rec, "metadata")
    spans = rec.get("spans")
    if spans is not None:
        if not isinstance(spans, list):
            rec["spans"] = []
            _note(rec, "spans")
        else:
            if len(spans) > MAX_SPANS:
                rec["spans"] = spans = spans[:MAX_SPANS]
                _note(rec, "spans")
            bounded = [_span(rec, s) for s in spans if isinstance(s, dict)]
            if len(bounded) != len(spans) or any(a is not b for a, b in zip(bounded, spans, strict=False)):
                rec["spans"] = bounded
    return rec


def _span(rec: dict[str, Any], span: dict[str, Any]) -> dict[str, Any]:
    if span.get("started_at") is not None and bound_timestamp(span["started_at"]) is None:
        span = {**span, "started_at": None}
        _note(rec, "spans.started_at")
    if span.get("duration_ms") is not None and _finite(span["duration_ms"]) is None:
        span = {**span, "duration_ms": None}
        _note(rec, "spans.duration_ms")
    for key in ("span_id", "parent_span_id", "name", "kind", "status"):
        value = span.get(key)
        if value is not None and not isinstance(value, str):
            span = {**span, key: str(value) if isinstance(value, (int, float)) else None}
    if span.get("attributes") is not None and not isinstance(span["attributes"], dict):
        span = {**span, "attributes": {"value": span["attributes"]}}
    return span


def bound_record(rec: dict[str, Any]) -> dict[str, Any]:
    """Every bound: the typed columns, then each JSON value walked (for untrusted records); returns ``rec``."""
    bound_scalars(rec)
    for field in _JSON:
        if rec.get(field) is not None:
            value, changed = _walk(rec[field], 0)
            rec[field] = value
            if changed:
                _note(rec, field)
    for span in rec.get("spans") or ():
        if span.get("attributes"):
            span["attributes"], changed = _walk(span["attributes"], 0)
            if changed:
                _note(rec, "spans.attributes")
    return rec


def bound_json(value: Any) -> Any:
    """``value`` with every JSON bound applied (see the module docstring)."""
    return _walk(value, 0)[0]


def _text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _walk(value: Any, depth: int) -> tuple[Any, bool]:
    if value is None or isinstance(value, bool):
        return value, False
    if isinstance(value, int):
        return (value, False) if INT64_MIN <= value <= INT64_MAX else (str(value), True)
    if isinstance(value, float):
        return (value, False) if math.isfinite(value) else (None, True)
    if isinstance(value, str):
        clean = _text(value)
        if len(clean) > MAX_STRING:
            clean = clean[:MAX_STRING]
        return clean, clean is not value and clean != value
    if depth >= MAX_DEPTH:
        return "<nested too deep>", True
    if isinstance(value, dict):
        changed = len(value) > MAX_ITEMS
        out: dict[str, Any] = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                break
            name = _text(key if isinstance(key, str) else str(key))[:1024]
            out[name], sub = _walk(item, depth + 1)
            changed = changed or sub or name != key
        return out, changed
    if isinstance(value, (list, tuple)):
        items = [_walk(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
        return [v for v, _ in items], len(value) > MAX_ITEMS or any(c for _, c in items)
    return _text(str(value))[:MAX_STRING], True
