"""Upstream answers of the wrong shape: each is an upstream error (502, the fallback tried), and each request is traced."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from genloop.tracing import TraceService

from .conftest import mock_variant

CHAT = "/v1/chat/completions"
_MSG = {"role": "assistant", "content": "ok"}
#: model name -> the raw body a misbehaving OpenAI-compatible server answers with HTTP 200
SHAPES: dict[str, bytes] = {
    "choices-dict": json.dumps({"choices": {"0": {"message": _MSG}}}).encode(),
    "choices-string": json.dumps({"choices": "hello"}).encode(),
    "choices-empty": json.dumps({"choices": []}).encode(),
    "choice-number": json.dumps({"choices": [7]}).encode(),
    "no-message": json.dumps({"choices": [{"index": 0, "finish_reason": "stop"}]}).encode(),
    "message-string": json.dumps({"choices": [{"message": "hi"}]}).encode(),
    "content-object": json.dumps({"choices": [{"message": {"role": "assistant", "content": {"x": 1}}}]}).encode(),
    "usage-strings": json.dumps({"choices": [{"message": _MSG}], "usage": {"prompt_tokens": "many",
                                                                           "completion_tokens": "3"}}).encode(),
    "usage-float": json.dumps({"choices": [{"message": _MSG}], "usage": {"prompt_tokens": 1.5}}).encode(),
    "usage-huge": b'{"choices": [{"message": {"role": "assistant", "content": "ok"}}], '
                  b'"usage": {"prompt_tokens": 123456789012345678901234567890, "completion_tokens": 1}}',
    "usage-list": json.dumps({"choices": [{"message": _MSG}], "usage": [1, 2]}).encode(),
    "not-json": b"<html>oops</html>",
    "json-list": b"[1, 2, 3]",
}
STREAMS: dict[str, list[bytes]] = {
    "stream-choices-dict": [b'{"choices": {"a": 1}}'],
    "stream-delta-string": [b'{"choices": [{"index": 0, "delta": "hi"}]}'],
    "stream-usage-strings": [b'{"choices": [{"index": 0, "delta": {"content": "hi"}}]}',
                             b'{"choices": [], "usage": {"prompt_tokens": "x", "completion_tokens": 2}}'],
    "stream-not-object": [b"[1]"],
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        model = body.get("model")
        if model in STREAMS:
            payload = b"".join(b"data: " + event + b"\n\n" for event in STREAMS[model]) + b"data: [DONE]\n\n"
            kind = b"text/event-stream"
        else:
            payload, kind = SHAPES.get(model, b"{}"), b"application/json"
        self.send_response(200)
        self.send_header("content-type", kind.decode())
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def shapes() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_malformed_answers_fall_back_and_are_traced(store, upstream, deploy, gateway_factory, shapes) -> None:
    for name in SHAPES:
        deploy(f"fb-{name}", variants=[{"model": f"openai:{name}", "base_url": shapes}],
               fallbacks=[mock_variant(upstream)], retries={"attempts": 1})
        deploy(f"only-{name}", variants=[{"model": f"openai:{name}", "base_url": shapes}], retries={"attempts": 1})
    with gateway_factory() as gw, httpx.Client(base_url=gw.url, timeout=20) as http:
        sent = []
        for name in SHAPES:
            rescued = http.post(CHAT, json={"model": f"fb-{name}", "messages": [{"role": "user", "content": "hi"}]})
            assert rescued.status_code == 200, (name, rescued.text)
            assert rescued.headers["x-genloop-variant"] and rescued.json()["choices"][0]["message"]["content"]
            failed = http.post(CHAT, json={"model": f"only-{name}", "messages": [{"role": "user", "content": "hi"}]})
            assert failed.status_code == 502, (name, failed.text)
            assert failed.json()["error"]["code"] == "upstream_error", (name, failed.text)
            sent += [rescued.headers["x-genloop-trace-id"], failed.headers["x-genloop-trace-id"]]
        gw.flush()
        assert gw.app.gateway.writer.dead_lettered == 0
    stored = {t.id: t for t in TraceService(store).list(limit=500).items}
    assert set(sent) <= set(stored)
    for tid in sent[::2]:  # the rescued ones: ok, answered by the fallback
        assert stored[tid].status == "ok" and stored[tid].metadata.get("genloop.fallback")
    for tid in sent[1::2]:
        assert stored[tid].status == "error" and stored[tid].http_status == 502


def test_malformed_stream_events_end_with_an_error_and_a_trace(store, deploy, gateway_factory, shapes) -> None:
    for name in STREAMS:
        deploy(name, variants=[{"model": f"openai:{name}", "base_url": shapes}], retries={"attempts": 1})
    with gateway_factory() as gw, httpx.Client(base_url=gw.url, timeout=20) as http:
        ids = []
        for name in STREAMS:
            with http.stream("POST", CHAT, json={"model": name, "stream": True,
                                                 "messages": [{"role": "user", "content": "hi"}]}) as answer:
                text = answer.read().decode()
                assert answer.status_code == 200 and "malformed" in text, (name, text)
                ids.append(answer.headers["x-genloop-trace-id"])
        gw.flush()
    stored = {t.id: t for t in TraceService(store).list(limit=100).items}
    assert all(stored[i].status == "error" and "malformed" in (stored[i].error or "") for i in ids)
