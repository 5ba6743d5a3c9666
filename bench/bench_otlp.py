"""OTLP ingestion at volume: spans/s accepted by the gateway's /v1/traces and written to the store (queryable).

    python bench/bench_otlp.py [--senders 4] [--duration 10] [--spans 100] [--writer process|thread]

Several sender processes post OTLP/HTTP protobuf exports (``--spans`` spans over ``--spans / 10`` traces each, GenAI
semantic-convention attributes, as an instrumented app's BatchSpanProcessor would) to a gateway process on a
SQLite store, as fast as it answers, for ``--duration`` seconds. Reported: spans accepted per second while sending,
and end to end (accepted until the last span is in the store's spans table), with the writer's lag after the
last send. One sender was itself the bottleneck in an outside measurement (~4,000 spans/s), hence several.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _export(spans: int) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    now = time.time_ns()
    out = []
    traces = max(1, spans // 10)
    trace_ids = [secrets.token_bytes(16) for _ in range(traces)]
    for i in range(spans):
        attrs = [KeyValue(key="gen_ai.system", value=AnyValue(string_value="openai")),
                 KeyValue(key="gen_ai.request.model", value=AnyValue(string_value="gpt-4o-mini")),
                 KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(int_value=120 + i)),
                 KeyValue(key="gen_ai.usage.output_tokens", value=AnyValue(int_value=30))]
        out.append(Span(trace_id=trace_ids[i % traces], span_id=secrets.token_bytes(8), name=f"chat {i % 7}",
                        kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=now - 5_000_000,
                        end_time_unix_nano=now, attributes=attrs))
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=out)])])
    return request.SerializeToString()


def sender_main(url: str, duration: float, spans: int, out: str) -> None:
    import httpx

    bodies = [_export(spans) for _ in range(50)]  # distinct trace ids per body, built before the clock starts
    sent = accepted = errors = 0
    with httpx.Client(timeout=30) as http:
        began = time.time()
        deadline = time.monotonic() + duration
        i = 0
        while time.monotonic() < deadline:
            body = bodies[i % len(bodies)] if i < len(bodies) else _export(spans)
            i += 1
            response = http.post(url, content=body, headers={"content-type": "application/x-protobuf"})
            sent += spans
            if response.status_code == 200:
                accepted += spans
            else:
                errors += 1
    Path(out).write_text(json.dumps({"sent": sent, "accepted": accepted, "errors": errors, "began": began,
                                     "ended": time.time()}))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spans_in(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        return int(conn.execute("select count(*) from spans").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--spans", type=int, default=100, help="spans per export request")
    parser.add_argument("--writer", choices=["process", "thread"], default="process")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="genloop-otlp-"))
    db = tmp / "genloop.db"
    env = {**os.environ, "GENLOOP_HOME": str(tmp), "GENLOOP_DATABASE_URL": f"sqlite:///{db}",
           "GENLOOP_TRACE_WRITER": args.writer, "GENLOOP_TRACE_BATCH_SIZE": "2000",
           "GENLOOP_GATEWAY_MAX_BODY_MB": "64"}
    subprocess.run([sys.executable, "-c", "from genloop.store import Store; Store().close()"], env=env, check=True)
    port = _free_port()
    log = (tmp / "gateway.log").open("ab")
    gateway = subprocess.Popen([sys.executable, "-c", f"from genloop.gateway import serve_gateway; "
                                f"serve_gateway(port={port})"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/v1/traces"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"the gateway did not start; see {tmp / 'gateway.log'}")
            time.sleep(0.2)
        outs = [tmp / f"sender-{i}.json" for i in range(args.senders)]
        senders = [subprocess.Popen([sys.executable, __file__, "--sender", url, str(args.duration), str(args.spans),
                                     str(out)]) for out in outs]
        for proc in senders:
            proc.wait(args.duration + 120)
        results = [json.loads(out.read_text()) for out in outs]
        began, ended = min(r["began"] for r in results), max(r["ended"] for r in results)
        sending = ended - began  # the window in which the senders sent (their start-up excluded)
        accepted = sum(r["accepted"] for r in results)
        errors = sum(r["errors"] for r in results)
        while _spans_in(db) < accepted and time.time() - ended < 300:
            time.sleep(0.05)
        stored = _spans_in(db)
        total = time.time() - began
    finally:
        gateway.terminate()
        gateway.wait(60)
    report: dict[str, Any] = {
        "senders": args.senders, "spans_per_request": args.spans, "writer": args.writer, "cpu_count": os.cpu_count(),
        "accepted": accepted, "errors": errors, "stored": stored, "sending_s": round(sending, 2),
        "accepted_per_s": round(accepted / sending), "end_to_end_per_s": round(stored / total),
        "writer_lag_s": round(total - sending, 2)}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--sender":
        sender_main(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
