"""Calling upstream model APIs: a lean aiohttp pass-through for OpenAI-compatible servers, and an adapter
over :mod:`genloop.providers` for every other wire format (Anthropic, Gemini, mock, plugins).

Both speak OpenAI-shaped dicts to the gateway: a completion, a stream of chunks, or an embedding list.
Failures become :class:`UpstreamError` with the status to report and whether a retry may help.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from genloop.errors import GenLoopError, ProviderError

__all__ = ["OpenAIUpstream", "ProviderUpstream", "Target", "UpstreamError", "UpstreamStream"]

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
    """OpenAI-compatible servers over one pooled aiohttp session (keep-alive, no per-call setup)."""

    def __init__(self, pool_size: int = 1024) -> None:
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size, limit_per_host=0, keepalive_timeout=60,
                                             ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True,
                                                  skip_auto_headers=("User-Agent",))
        return self._session

    @staticmethod
    def _headers(target: Target) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if target.api_key:
            headers["authorization"] = f"Bearer {target.api_key}"
        return headers

    @staticmethod
    def _url(target: Target, path: str) -> str:
        return (target.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/") + path

    async def _post(self, target: Target, path: str, body: dict[str, Any], timeout: aiohttp.ClientTimeout
                    ) -> aiohttp.ClientResponse:
        try:
            response = await self._client().post(self._url(target, path), data=orjson.dumps(body),
                                                 headers=self._headers(target), timeout=timeout)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamError(504, f"upstream {target.label} timed out", retryable=True, kind="timeout") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(502, f"upstream {target.label} connection failed: {type(exc).__name__}",
                                retryable=True, kind="connection") from exc
        if response.status >= 400:
            try:
                raw = await response.read()
            except (TimeoutError, aiohttp.ClientError):
                raw = b""
            finally:
                response.release()
            raise _status_error(target, response.status, raw, response.headers.get("retry-after"))
        return response

    async def chat(self, target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One completion (``body`` without ``stream``)."""
        return await self._json(target, "/chat/completions", body, timeout)

    async def embed(self, target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        return await self._json(target, "/embeddings", body, timeout)

    async def _json(self, target: Target, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        response = await self._post(target, path, body, aiohttp.ClientTimeout(total=timeout))
        try:
            raw = await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamError(504, f"upstream {target.label} timed out", retryable=True, kind="timeout") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(502, f"upstream {target.label} broke off its answer: {type(exc).__name__}",
                                retryable=True, kind="connection") from exc
        finally:
            response.release()
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or ("choices" not in data and "data" not in data):
            raise UpstreamError(502, f"upstream {target.label} answered something that is not an OpenAI response: "
                                f"{raw[:120]!r}", retryable=True, kind="protocol")
        return data

    async def open_stream(self, target: Target, body: dict[str, Any], timeout: float) -> UpstreamStream:
        """Start a streamed completion; raises before any chunk if the upstream refuses."""
        response = await self._post(target, "/chat/completions", body,
                                    aiohttp.ClientTimeout(total=None, sock_connect=min(timeout, 10), sock_read=timeout))
        return UpstreamStream(_sse_chunks(response, target), response.close)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _sse_chunks(response: aiohttp.ClientResponse, target: Target) -> AsyncIterator[dict[str, Any]]:
    finished = False
    try:
        async for line in response.content:
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
                message = (chunk["error"] or {}).get("message") if isinstance(chunk["error"], dict) else chunk["error"]
                raise UpstreamError(502, f"upstream {target.label} failed mid-stream: {message}", retryable=False)
            finished = finished or any(c.get("finish_reason") for c in chunk.get("choices") or ())
            yield chunk
        if not finished:  # the connection ended before [DONE] and before any finish_reason
            raise UpstreamError(502, f"upstream {target.label} ended its stream before finishing", retryable=False,
                                kind="connection")
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamError(504, f"upstream {target.label} stalled mid-stream", retryable=False,
                            kind="timeout") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError(502, f"upstream {target.label} broke off its stream: {type(exc).__name__}",
                            retryable=False, kind="connection") from exc
    finally:
        response.release()


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


class ProviderUpstream:
    """Any :mod:`genloop.providers` provider (Anthropic, Gemini, mock, plugins) behind the OpenAI shapes."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._providers: dict[tuple[str, str | None, str | None], Any] = {}

    def _provider(self, target: Target) -> Any:
        key = (target.provider, target.base_url, target.api_key)
        provider = self._providers.get(key)
        if provider is None:
            from genloop.providers import get_provider
            from genloop.providers._retry import NO_RETRY

            config = {k: v for k, v in (("base_url", target.base_url), ("api_key", target.api_key)) if v}
            try:
                provider = get_provider(target.provider, settings=self.settings, retry=NO_RETRY, **config)
            except TypeError:  # a provider without retries of its own
                provider = get_provider(target.provider, settings=self.settings, **config)
            self._providers[key] = provider
        return provider

    async def chat(self, target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        request = _chat_request(target, body)
        try:
            result = await asyncio.wait_for(self._provider(target).chat(request), timeout)
        except (TimeoutError, GenLoopError) as exc:
            raise _provider_error(target, exc) from exc
        message: dict[str, Any] = {"role": "assistant", "content": result.text}
        if result.tool_calls:
            message["tool_calls"] = result.tool_calls
        return {"id": "chatcmpl-" + os.urandom(12).hex(), "object": "chat.completion", "created": int(time.time()),
                "model": result.model, "choices": [{"index": 0, "message": message, "logprobs": None,
                                                    "finish_reason": result.finish_reason or "stop"}],
                "usage": _usage(result.usage)}

    async def embed(self, target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        from genloop.providers import EmbeddingRequest

        request = EmbeddingRequest(model=target.model, input=body.get("input") or "",
                                   dimensions=body.get("dimensions"))
        try:
            result = await asyncio.wait_for(self._provider(target).embed(request), timeout)
        except (TimeoutError, GenLoopError) as exc:
            raise _provider_error(target, exc) from exc
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(result.vectors)]
        usage = result.usage.input_tokens
        return {"object": "list", "data": data, "model": result.model,
                "usage": {"prompt_tokens": usage, "total_tokens": usage}}

    async def open_stream(self, target: Target, body: dict[str, Any], timeout: float) -> UpstreamStream:
        request = _chat_request(target, body)
        return UpstreamStream(self._chunks(target, request, timeout))

    async def _chunks(self, target: Target, request: Any, timeout: float) -> AsyncIterator[dict[str, Any]]:
        head = {"id": "chatcmpl-" + os.urandom(12).hex(), "object": "chat.completion.chunk",
                "created": int(time.time()), "model": target.model}
        yield {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        stream = self._provider(target).chat_stream(request)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(anext(stream), timeout)
                except StopAsyncIteration:
                    return
                except (TimeoutError, GenLoopError) as exc:
                    raise _provider_error(target, exc, mid_stream=True) from exc
                if chunk.delta:
                    yield {**head, "choices": [{"index": 0, "delta": {"content": chunk.delta}, "finish_reason": None}]}
                if chunk.finish_reason or chunk.usage is not None:
                    delta: dict[str, Any] = {"tool_calls": chunk.tool_calls} if chunk.tool_calls else {}
                    yield {**head, "choices": [{"index": 0, "delta": delta,
                                                "finish_reason": chunk.finish_reason or "stop"}]}
                if chunk.usage is not None:
                    yield {**head, "choices": [], "usage": _usage(chunk.usage)}
        finally:
            await stream.aclose()

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()


def _chat_request(target: Target, body: dict[str, Any]) -> Any:
    from genloop.providers import ChatRequest

    fields = {k: body[k] for k in ("temperature", "top_p", "stop", "seed", "response_format", "tools", "tool_choice")
              if body.get(k) is not None}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    return ChatRequest(model=target.model, messages=body["messages"], max_tokens=max_tokens, **fields)


def _usage(usage: Any) -> dict[str, int]:
    return {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
            "total_tokens": usage.input_tokens + usage.output_tokens}


def _provider_error(target: Target, exc: BaseException, *, mid_stream: bool = False) -> UpstreamError:
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamError(504, f"upstream {target.label} timed out", retryable=not mid_stream, kind="timeout")
    if isinstance(exc, ProviderError):
        status = exc.upstream_status or 502
        return UpstreamError(status, str(exc), retryable=exc.retryable and not mid_stream)
    assert isinstance(exc, GenLoopError)
    return UpstreamError(exc.status_code if exc.status_code < 500 else 502, str(exc), retryable=False)
