"""The mock upstream's ASGI app: OpenAI-shaped answers, scripted failures and call statistics.

A raw ASGI callable with orjson and no framework routing, so it costs little per request; see
``genloop.providers.mock_upstream`` for serving it.
"""

from __future__ import annotations

import asyncio
import base64
import random
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from genloop.errors import InvalidInput
from genloop.providers._mock import (
    content_text,
    count_tokens,
    hash_embedding,
    last_user_text,
    shape_reply,
    split_pieces,
)

__all__ = ["MockUpstreamApp", "MockUpstreamConfig", "load_script"]

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_error"}
_JSON = (b"content-type", b"application/json")
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


@dataclass
class MockUpstreamConfig:
    """How the mock upstream behaves. ``script`` steps are ``{"reply": ...}`` or ``{"status": 503, "message": ...}``,
    each with an optional ``latency_ms``; they are cycled, one per generation or embedding call."""

    latency_ms: float = 0.0
    chunk_latency_ms: float = 0.0
    fail_rate: float = 0.0
    fail_status: int = 500
    retry_after: float = 1.0
    seed: int | None = None
    reply: str | None = None
    script: list[dict[str, Any]] | None = None
    embedding_dims: int = 32
    models: list[str] = field(default_factory=lambda: ["mock-model"])
    api_key: str | None = field(default=None, repr=False)


def load_script(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL script: one step a line, a JSON object (``reply`` or ``status``) or a bare JSON string reply."""
    steps: list[dict[str, Any]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            step = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: not JSON ({exc})") from None
        step = {"reply": step} if isinstance(step, str) else step
        if not isinstance(step, dict) or not ("reply" in step or "status" in step):
            raise InvalidInput(f"{path}:{number}: a step needs 'reply' or 'status'",
                               hint='write {"reply": "hi"} or {"status": 503, "message": "overloaded"}')
        steps.append(step)
    if not steps:
        raise InvalidInput(f"script {path} has no steps")
    return steps


class _Failure(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


class MockUpstreamApp:
    """The ASGI callable. ``stats`` counts calls per endpoint; ``reset()`` zeroes them and rewinds script and seed."""

    def __init__(self, config: MockUpstreamConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.stats: dict[str, int] = {"requests": 0, "chat.completions": 0, "completions": 0, "embeddings": 0,
                                      "models": 0, "errors": 0, "in_flight": 0, "max_in_flight": 0}
        self._rng = random.Random(self.config.seed)
        self._step = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        if path.startswith("/_mock/"):
            if path == "/_mock/reset" and method == "POST":
                self.reset()
            await _json(send, 200, self.stats if path == "/_mock/stats" else {"ok": True})
            return
        path = path.removeprefix("/v1")
        stats = self.stats
        stats["requests"] += 1
        stats["in_flight"] += 1
        stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        try:
            await self._route(method, path, scope, receive, send)
        except _Failure as failure:
            stats["errors"] += 1
            headers = [(b"retry-after", f"{self.config.retry_after:g}".encode())] if failure.status == 429 else []
            error = {"message": failure.message, "type": _ERROR_TYPES.get(failure.status, "server_error"),
                     "param": None, "code": None}
            await _json(send, failure.status, {"error": error}, headers)
        finally:
            stats["in_flight"] -= 1

    async def _route(self, method: str, path: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.config.api_key and _bearer(scope) != self.config.api_key:
            raise _Failure(401, "Incorrect API key provided.")
        if method == "GET" and path == "/models":
            self.stats["models"] += 1
            await _json(send, 200, {"object": "list", "data": [_model(m) for m in self.config.models]})
        elif method == "GET" and path.startswith("/models/"):
            await _json(send, 200, _model(path.removeprefix("/models/")))
        elif method == "POST" and path in ("/chat/completions", "/completions", "/embeddings"):
            try:
                body = orjson.loads(await _read(receive))
            except orjson.JSONDecodeError:
                raise _Failure(400, "We could not parse the JSON body of your request.") from None
            if not isinstance(body, dict):
                raise _Failure(400, "The request body must be a JSON object.")
            self.stats[path.strip("/").replace("/", ".")] += 1
            step = await self._next_step()
            if path == "/embeddings":
                await _json(send, 200, self._embeddings(body))
            else:
                await self._generate(path == "/chat/completions", body, step, send)
        else:
            raise _Failure(404 if method in ("GET", "POST") else 405, f"Unknown request URL: {method} {path}.")

    async def _next_step(self) -> dict[str, Any]:
        """Pick this call's script step (or the failure-rate draw), wait its latency, raise its failure."""
        config, step = self.config, {}
        if config.script:
            step = config.script[self._step % len(config.script)]
            self._step += 1
        elif config.fail_rate and self._rng.random() < config.fail_rate:
            step = {"status": config.fail_status}
        latency = step.get("latency_ms", config.latency_ms)
        if latency:
            await asyncio.sleep(latency / 1000)
        if "status" in step:
            raise _Failure(int(step["status"]), step.get("message") or "The mock upstream failed this call on purpose.")
        return step

    async def _generate(self, chat: bool, body: dict[str, Any], step: dict[str, Any], send: Any) -> None:
        if chat:
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                raise _Failure(400, "'messages' must be a non-empty array.")
            prompts = [last_user_text(messages)]
            prompt_tokens = sum(count_tokens(content_text(m.get("content"))) for m in messages if isinstance(m, dict))
        else:
            prompt = body.get("prompt", "")
            prompts = [prompt] if isinstance(prompt, str) else [str(p) for p in prompt]
            prompt_tokens = sum(count_tokens(p) for p in prompts)
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        n = int(body.get("n") or 1) if chat else 1
        outputs = [shape_reply(step.get("reply", self.config.reply if self.config.reply is not None else p),
                               max_tokens=max_tokens, stop=body.get("stop")) for p in prompts for _ in range(n)]
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": sum(count_tokens(t) for t, _ in outputs)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        head = {"id": f"{'chatcmpl' if chat else 'cmpl'}-mock{self.stats['requests']}",
                "object": "chat.completion" if chat else "text_completion", "created": int(time.time()),
                "model": body.get("model") or self.config.models[0]}
        if not body.get("stream"):
            choices = [({"index": i, "message": {"role": "assistant", "content": text}, "logprobs": None,
                         "finish_reason": finish} if chat else
                        {"index": i, "text": text, "logprobs": None, "finish_reason": finish})
                       for i, (text, finish) in enumerate(outputs)]
            await _json(send, 200, {**head, "choices": choices, "usage": usage})
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        await send({"type": "http.response.start", "status": 200, "headers": _SSE})
        head["object"] = "chat.completion.chunk" if chat else "text_completion"
        events = []
        for i, (text, finish) in enumerate(outputs):
            pieces = [{"role": "assistant", "content": ""}] if chat else []
            pieces += [{"content": p} for p in split_pieces(text)]
            events += [_choice(chat, i, piece, None) for piece in pieces] + [_choice(chat, i, {}, finish)]
        chunks = [{**head, "choices": [e]} for e in events]
        if include_usage:
            chunks.append({**head, "choices": [], "usage": usage})
        frames = [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
        if self.config.chunk_latency_ms:
            for frame in frames:
                await asyncio.sleep(self.config.chunk_latency_ms / 1000)
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.body", "body": b"".join(frames)})

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("input")
        if isinstance(raw, str):
            texts = [raw]
        elif isinstance(raw, list) and raw and all(isinstance(x, int) for x in raw):
            texts = [" ".join(map(str, raw))]  # one pre-tokenised input
        elif isinstance(raw, list) and raw:
            texts = [x if isinstance(x, str) else " ".join(map(str, x)) for x in raw]
        else:
            raise _Failure(400, "'input' must be a string or a non-empty array.")
        dims = int(body.get("dimensions") or self.config.embedding_dims)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector: Any = hash_embedding(text, dims)
            if as_base64:
                vector = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(count_tokens(t) for t in texts)
        return {"object": "list", "data": data, "model": body.get("model") or self.config.models[0],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _choice(chat: bool, index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    if chat:
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {"index": index, "text": delta.get("content", ""), "logprobs": None, "finish_reason": finish}


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "genloop-mock"}


def _bearer(scope: dict[str, Any]) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1").removeprefix("Bearer ").strip()
    return None


async def _read(receive: Any) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _json(send: Any, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = orjson.dumps(payload)
    await send({"type": "http.response.start", "status": status,
                "headers": [_JSON, (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
