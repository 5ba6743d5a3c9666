"""Poison records: one record the store cannot hold never stops tracing; it is bounded, or dead-lettered, and counted."""

from __future__ import annotations

import os
import time

import orjson
import pytest

from genloop.errors import Forbidden, InvalidInput
from genloop.tracing import TraceService, TraceWriter, new_trace_id
from genloop.tracing._bounds import bound_record, bound_scalars, token_count


def _record(i: int, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"id": new_trace_id(), "project": "default", "name": "chat.completions", "deployment": "bot",
            "variant": "a", "status": "ok", "started_at": time.time() - 10 + i * 0.01, "input_tokens": i,
            "output_tokens": 1, "latency_ms": 1.5, "input": [{"role": "user", "content": f"hi {i}"}],
            "spans": [{"span_id": f"{i + 1:016x}", "name": "gateway", "kind": "server", "started_at": time.time()}],
            **extra}


def _poisons() -> list[tuple[dict, str]]:
    """Records a store would refuse as sent; the second item says whether bounds mend it or it is dead-lettered."""
    return [
        (_record(900, input_tokens=2**70, output_tokens=2**64 + 5), "mended"),  # beyond 64 bits (token usage)
        (_record(901, input_tokens=2**40), "mended"),  # beyond the 32-bit column on PostgreSQL
        (_record(902, started_at=1e20), "mended"),  # a timestamp far out of range
        (_record(903, started_at=-1e18, spans=[{"span_id": "ab" * 8, "started_at": 1e30, "duration_ms": 1e400}]),
         "mended"),
        (_record(904, input_tokens="12 tokens", output_tokens=3.5), "mended"),  # not integers
        (_record(905, metadata={"big": 2**80, "deep": {"x": [2**65]}}), "mended"),  # JSON ints beyond 64 bits
        (_record(906, input=[{"role": "user", "content": "nul\x00byte"}], error="e\x00rr"), "mended"),
        (_record(907, input=[{"role": "user", "content": "lone \ud800 surrogate"}]), "mended"),
        (_record(908, cost_usd=float("inf"), latency_ms=float("nan"), http_status=10**12), "mended"),
        (_record(909, deployment="d" * 10_000, user="u" * 10_000, spans=[{"parent_span_id": "x" * 100}]), "mended"),
        (_record(910, id="not-a-trace-id"), "dead"),  # cannot be mended: the id is the identity
        (_record(911, project="bad name\n"), "dead"),  # an invalid project name
    ]


@pytest.mark.parametrize("fsync", [False])
def test_poisoned_stream_stores_every_other_trace(store, tmp_path, fsync) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    writer = TraceWriter(store, spool, batch_size=8, flush_interval=0.02, fsync=fsync)
    writer.start()
    good = [_record(i) for i in range(40)]
    poisons = _poisons()
    stream = list(good)
    for k, (poison, _) in enumerate(poisons):  # spread the poisons through the batches
        stream.insert(3 * k + 1, poison)
    for rec in stream:
        writer.submit(rec)
    assert writer.flush(30), f"writer stuck: pending={writer.pending}"
    # the stream goes on after the poison: later traces are stored too
    later = [_record(50 + i) for i in range(5)]
    for rec in later:
        writer.submit(rec)
    assert writer.flush(15)
    writer.close()
    service = TraceService(store)
    stored = {t.id for t in service.list(limit=500).items}
    assert {r["id"] for r in good + later} <= stored
    mended = [p for p, fate in poisons if fate == "mended"]
    dead = [p for p, fate in poisons if fate == "dead"]
    for rec in mended:
        shown = service.get(rec["id"])  # readable back, whatever went in
        assert shown.input_tokens is None or 0 <= shown.input_tokens < 2**31
        assert shown.started_at.year < 10_000
        assert "genloop.bounded" in shown.metadata
    assert writer.dead_lettered == len(dead)
    lines = [orjson.loads(x) for x in (spool / "dead-letter.jsonl").read_bytes().splitlines()]
    assert sorted(x["record"]["id"] for x in lines) == sorted(r["id"] for r in dead)
    assert all(x["reason"] for x in lines)
    assert any("trace id" in x["reason"] for x in lines) and any("project" in x["reason"] for x in lines)


def test_spool_replay_never_retries_a_poison_batch_forever(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    folder = spool / "deadhost-1-abcdef12"  # a crashed process's spool: its lock is free
    folder.mkdir(parents=True)
    (folder / ".lock").touch()
    good = [_record(i) for i in range(10)]
    bad = _record(99, project="no such\nproject")
    lines = [orjson.dumps(r) for r in good[:5]] + [orjson.dumps(bad)] + [orjson.dumps(r) for r in good[5:]]
    (folder / "seg-00000001.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    writer = TraceWriter(store, spool, batch_size=50, flush_interval=0.02)
    writer.start()
    assert writer.flush(15), "the replay retried the poison batch"
    writer.close()
    assert writer.dead_lettered == 1 and writer.replayed == 11
    assert not folder.exists()
    assert {r["id"] for r in good} <= {t.id for t in TraceService(store).list(limit=100).items}


def test_trace_of_another_project_is_refused(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = TraceService(store, "alpha"), TraceService(store, "beta")
    rec = _record(1)
    del rec["project"]
    a.record([rec])
    intruder = {"id": rec["id"], "source": "otlp", "name": "x",
                "spans": [{"span_id": "cd" * 8, "name": "injected", "started_at": time.time()}]}
    with pytest.raises(Forbidden):
        b.record([dict(intruder)])
    # through the writer too (the OTLP path): dead-lettered, never attached
    writer = TraceWriter(store, tmp_path / "spool", flush_interval=0.02)
    writer.start()
    writer.submit({**intruder, "project": "beta"})
    assert writer.flush(10)
    writer.close()
    assert writer.dead_lettered == 1
    assert [s.name for s in a.get(rec["id"]).spans] == ["gateway"]
    with pytest.raises(InvalidInput):
        a.record([{"id": "x" * 40}])


def test_bounds_are_cheap_and_exact() -> None:
    assert token_count(5) == 5 and token_count(5.0) == 5 and token_count(True) is None
    assert token_count(2**31) is None and token_count(-1) is None and token_count("5") is None
    rec = bound_scalars({"input_tokens": 2**70, "started_at": float("inf"), "status": 3})
    assert rec["input_tokens"] is None and rec["started_at"] is None and rec["status"] == ""
    assert set(rec["metadata"]["genloop.bounded"]) == {"input_tokens", "started_at", "status"}
    deep: dict = {}
    node = deep
    for _ in range(300):
        node["x"] = {}
        node = node["x"]
    out = bound_record({"metadata": {"deep": deep, "big": -(2**64)}})
    orjson.dumps(out)  # encodable now
    assert out["metadata"]["big"] == str(-(2**64))


def test_dead_letter_file_is_private(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    writer = TraceWriter(store, tmp_path / "spool", flush_interval=0.02)
    writer.start()
    writer.submit(_record(1, id="zz"))
    assert writer.flush(10)
    writer.close()
    assert writer.dead_lettered == 1
    assert oct(os.stat(writer.dead_letter_path).st_mode & 0o777) == oct(0o600)


def _otlp(trace_id: str, span_id: str, *attrs: tuple[str, dict], start: object = "1700000000000000000") -> dict:
    return {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": trace_id, "spanId": span_id, "name": "chat", "kind": 3, "startTimeUnixNano": start,
         "endTimeUnixNano": start, "attributes": [{"key": k, "value": v} for k, v in attrs]}]}]}]}


def test_otlp_poison_is_bounded_or_refused_and_other_projects_cannot_attach(store, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from genloop.auth import KeyService

    mine = KeyService(store, "alpha").create("app", scopes=["gateway"])
    theirs = KeyService(store, "beta").create("intruder", scopes=["gateway"])
    tid, other = new_trace_id(), new_trace_id()
    with gateway_factory(auth=True) as gw, httpx.Client(base_url=gw.url) as http:
        auth_a = {"authorization": f"Bearer {mine.key}"}
        auth_b = {"authorization": f"Bearer {theirs.key}"}
        huge = _otlp(tid, "a1" * 8, ("gen_ai.usage.input_tokens", {"intValue": str(2**70)}),
                     ("gen_ai.usage.output_tokens", {"intValue": "7"}), ("big", {"intValue": str(-(2**64))}),
                     ("nul", {"stringValue": "a\x00b"}), start=str(10**30))
        assert http.post("/v1/traces", json=huge, headers=auth_a).status_code == 200
        for bad in ({"resourceSpans": [5]}, {"resourceSpans": [{"scopeSpans": {"spans": 1}}]},
                    _otlp(other, "b1" * 8, ("x", {"intValue": "twelve"})),
                    _otlp(other, "b1" * 8, ("x", {"arrayValue": {"values": "nope"}})),
                    _otlp(other, "b1" * 8, start={"n": 1})):
            answer = http.post("/v1/traces", json=bad, headers=auth_a)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] == "invalid_otlp"
        gw.flush()
        intrusion = _otlp(tid, "c1" * 8, ("injected", {"stringValue": "yes"}))
        refused = http.post("/v1/traces", json=intrusion, headers=auth_b)
        assert refused.status_code == 403 and "another project" in refused.json()["error"]["message"]
        assert http.post("/v1/traces", json=_otlp(tid, "d1" * 8), headers=auth_a).status_code == 200
        gw.flush()
        assert gw.app.gateway.writer.dead_lettered == 0
    shown = TraceService(store, "alpha").get(tid)
    assert shown.input_tokens is None and shown.output_tokens == 7
    assert shown.metadata.get("genloop.bounded") and shown.started_at.year < 10_000
    assert sorted(s.span_id for s in shown.spans) == ["a1" * 8, "d1" * 8]
    with pytest.raises(Exception, match="no trace"):
        TraceService(store, "beta").get(tid)


def test_records_from_an_sdk_are_bounded_before_they_are_written(store) -> None:  # type: ignore[no-untyped-def]
    """The REST/SDK path (TraceService.record) bounds every field too: nothing it accepts breaks a later read."""
    service = TraceService(store)
    poisons = [p for p, fate in _poisons() if fate == "mended"]
    assert service.record(poisons) == len(poisons)
    for rec in poisons:
        shown = service.get(rec["id"])
        assert shown.metadata["genloop.bounded"]
    assert service.list(limit=100).total == len(poisons)
