"""Calling OpenAI-compatible upstreams: a lean HTTP/1.1 pass-through (see ``_provider_upstream`` for the rest).

Upstreams speak OpenAI-shaped dicts to the gateway: a completion, a stream of chunks, or an embedding list.
Failures become :class:`UpstreamError` with the status to report and whether a retry may help; so does an
answer of the wrong shape (:func:`check_answer`, :func:`check_chunk`): ``choices`` that is not a list of
objects with a message, token counts that are not integers, an embedding list that is not one. The
gateway never passes such an answer on, and never fails on it later with a 500.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from genloop.gateway._http1 import ConnectionFailed, LeanClient, Response
from genloop.tracing._bounds import token_count

__all__ = ["OpenAIUpstream", "Target", "UpstreamError", "UpstreamStream", "check_answer", "check_chunk"]

_RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True, slots=True)
class Target:
    """Where one variant's calls go: ``provider`` wire format, upstream ``model`` name, endpoint and key."""

    provider: str
    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    label: str = ""  # what traces show: NAME@VERSION or provider:model

    @property
    def breaker_key(self) -> str:
        return f"{self.provider}|{self.base_url or ''}|{self.model}"


class UpstreamError(Exception):
    """An upstream call failed: ``status`` to report (upstream's, or 502/504), ``retryable``, ``kind``."""

    def __init__(self, status: int, message: str, *, retryable: bool, kind: str = "http",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retryable = retryable
        self.kind = kind
        self.retry_after = retry_after


class UpstreamStream:
    """An open streamed answer: iterate OpenAI-shaped chunk dicts; always ``aclose()`` it."""

    def __init__(self, chunks: AsyncIterator[dict[str, Any]], closer: Any = None) -> None:
        self._chunks = chunks
        self._closer = closer

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._chunks

    async def aclose(self) -> None:
        if self._closer is not None:
            self._closer()
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            try:
                await aclose()
            except (RuntimeError, asyncio.CancelledError):  # closing a generator mid-iteration elsewhere
                pass


class OpenAIUpstream:
    """OpenAI-compatible servers over pooled keep-alive connections (see :mod:`._http1`)."""

    def __init__(self, pool_size: int = 1024) -> None:
        self.client = LeanClient(pool_size)

    @staticmethod
    def _headers(target: Target) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        if target.api_key:
            headers["authorization"] = f"Bearer {target.api_key}"
        return headers

    @staticmethod
    def _url(target: Target, path: str) -> str:
        return (target.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/") + path

    async def _post(self, target: Target, path: str, body: dict[str, Any]) -> Response:
        try:
            response = await self.client.post(self._url(target, path), orjson.dumps(body), self._headers(target))
        except (ConnectionFailed, OSError) as exc:
            raise UpstreamError(502, f"upstream {target.label} connection failed: {exc}", retryable=True,
                                kind="connection") from exc
        if response.status >= 400:
            try:
                raw = await response.read()
            except (ConnectionFailed, OSError):
                raw = b""
            response.release()
            raise _status_error(target, response.status, raw, response.headers.get("retry-after"))
        return response

    async def chat(self, target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One completion (``body`` without ``stream``)."""
        return await self._json(target, "/chat/completions", body, timeout)

    async def embed(self, target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        return await self._json(target, "/embeddings", body, timeout)

    async def _json(self, target: Target, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        response: Response | None = None
        try:
            async with asyncio.timeout(timeout):
                response = await self._post(target, path, body)
                raw = await response.read()
        except TimeoutError as exc:
            if response is not None:
                response.close()
            raise UpstreamError(504, f"upstream {target.label} timed out after {timeout:g}s", retryable=True,
                                kind="timeout") from exc
        except (ConnectionFailed, OSError) as exc:
            raise UpstreamError(502, f"upstream {target.label} broke off its answer: {exc}", retryable=True,
                                kind="connection") from exc
        except BaseException:
            if response is not None:
                response.close()
            raise
        response.release()
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or ("choices" not in data and "data" not in data):
            raise UpstreamError(502, f"upstream {target.label} answered something that is not an OpenAI response: "
                                f"{raw[:120]!r}", retryable=True, kind="protocol")
        return check_answer(target, data, "embed" if path == "/embeddings" else "chat")

    async def open_stream(self, target: Target, body: dict[str, Any], timeout: float) -> UpstreamStream:
        """Start a streamed completion; raises before any chunk if the upstream refuses."""
        try:
            async with asyncio.timeout(timeout):
                response = await self._post(target, "/chat/completions", body)
        except TimeoutError as exc:
            raise UpstreamError(504, f"upstream {target.label} timed out after {timeout:g}s", retryable=True,
                                kind="timeout") from exc
        return UpstreamStream(_sse_chunks(response, target, timeout), response.close)

    async def aclose(self) -> None:
        await self.client.aclose()


async def _sse_chunks(response: Response, target: Target, timeout: float) -> AsyncIterator[dict[str, Any]]:
    finished = False
    buffer = b""
    chunks = response.iter_chunks()
    try:
        while True:
            try:
                async with asyncio.timeout(timeout):
                    piece = await anext(chunks, None)
            except TimeoutError as exc:
                raise UpstreamError(504, f"upstream {target.label} stalled mid-stream", retryable=False,
                                    kind="timeout") from exc
            if piece is None:
                break
            buffer += piece
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                try:
                    chunk = orjson.loads(data)
                except orjson.JSONDecodeError as exc:
                    raise UpstreamError(502, f"upstream {target.label} sent a malformed stream event",
                                        retryable=False, kind="protocol") from exc
                if isinstance(chunk, dict) and "error" in chunk:
                    error = chunk["error"]
                    message = error.get("message") if isinstance(error, dict) else error
                    raise UpstreamError(502, f"upstream {target.label} failed mid-stream: {message}", retryable=False)
                check_chunk(target, chunk)
                finished = finished or any(c.get("finish_reason") for c in chunk.get("choices") or ())
                yield chunk
        if not finished:  # the connection ended before [DONE] and before any finish_reason
            raise UpstreamError(502, f"upstream {target.label} ended its stream before finishing", retryable=False,
                                kind="connection")
    except (ConnectionFailed, OSError) as exc:
        raise UpstreamError(502, f"upstream {target.label} broke off its stream: {exc}", retryable=False,
                            kind="connection") from exc
    finally:
        response.release()  # back to the pool when read whole, else the connection is dropped


def _status_error(target: Target, status: int, raw: bytes, retry_after: str | None) -> UpstreamError:
    message = raw[:300].decode("utf-8", "replace")
    try:
        payload = orjson.loads(raw)
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            message = str(payload["error"].get("message") or message)
    except orjson.JSONDecodeError:
        pass
    wait = None
    if retry_after:
        try:
            wait = float(retry_after)
        except ValueError:
            wait = None
    return UpstreamError(status, f"upstream {target.label} answered HTTP {status}: {message}",
                         retryable=status in _RETRYABLE or status >= 500, retry_after=wait)


def _malformed(target: Target, what: str, *, retryable: bool = True) -> UpstreamError:
    return UpstreamError(502, f"upstream {target.label} answered a malformed response: {what}", retryable=retryable,
                         kind="protocol")


def _check_usage(target: Target, usage: Any, *, retryable: bool = True) -> None:
    if usage is None:
        return
    if not isinstance(usage, dict):
        raise _malformed(target, "usage is not an object", retryable=retryable)
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = usage.get(name)
        if value is not None and token_count(value) is None:
            raise _malformed(target, f"usage.{name} is not a token count ({str(value)[:40]!r})", retryable=retryable)


def check_answer(target: Target, data: dict[str, Any], op: str) -> dict[str, Any]:
    """``data`` when it is a well-formed OpenAI chat completion (``op="chat"``) or embedding list, else 502."""
    _check_usage(target, data.get("usage"))
    if op == "embed":
        rows = data.get("data")
        if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("embedding"), (list, str))
                                                 for r in rows):
            raise _malformed(target, "data is not a list of embeddings")
        return data
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise _malformed(target, "choices is not a non-empty list")
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            raise _malformed(target, f"choices[{i}] has no message object")
        content = choice["message"].get("content")
        if content is not None and not isinstance(content, str):
            raise _malformed(target, f"choices[{i}].message.content is not text")
    return data


def check_chunk(target: Target, chunk: Any) -> None:
    """Raise a (non-retryable: the stream has begun) 502 when a stream event is not an OpenAI chunk."""
    if not isinstance(chunk, dict):
        raise _malformed(target, "a stream event is not an object", retryable=False)
    _check_usage(target, chunk.get("usage"), retryable=False)
    choices = chunk.get("choices")
    if choices is None:
        return
    if not isinstance(choices, list):
        raise _malformed(target, "a stream event's choices is not a list", retryable=False)
    for choice in choices:
        if not isinstance(choice, dict):
            raise _malformed(target, "a stream event's choice is not an object", retryable=False)
        delta = choice.get("delta")
        if delta is not None and not isinstance(delta, dict):
            raise _malformed(target, "a stream event's delta is not an object", retryable=False)
        if delta and delta.get("content") is not None and not isinstance(delta["content"], str):
            raise _malformed(target, "a stream event's content is not text", retryable=False)
        if type(choice.get("index", 0)) is not int:
            raise _malformed(target, "a stream event's choice index is not an integer", retryable=False)
