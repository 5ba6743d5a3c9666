"""Every other wire format (Anthropic, Gemini, the in-process mock, plugins) through :mod:`genloop.providers`,
translated to and from the OpenAI shapes the gateway speaks."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from genloop.errors import GenLoopError, ProviderError
from genloop.gateway._upstream import Target, UpstreamError, UpstreamStream

__all__ = ["ProviderUpstream"]


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
        except _MALFORMED as exc:  # a plugin provider that let a parsing error through
            raise _malformed(target, exc) from exc
        message: dict[str, Any] = {"role": "assistant", "content": result.text}
        if result.tool_calls:
            message["tool_calls"] = result.tool_calls
        return {"id": "chatcmpl-" + os.urandom(12).hex(), "object": "chat.completion", "created": int(time.time()),
                "model": _public_model(target, result.model), "choices": [{"index": 0, "message": message, "logprobs": None,
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
        except _MALFORMED as exc:
            raise _malformed(target, exc) from exc
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(result.vectors)]
        usage = result.usage.input_tokens
        return {"object": "list", "data": data, "model": _public_model(target, result.model),
                "usage": {"prompt_tokens": usage, "total_tokens": usage}}

    async def open_stream(self, target: Target, body: dict[str, Any], timeout: float) -> UpstreamStream:
        request = _chat_request(target, body)
        return UpstreamStream(self._chunks(target, request, timeout))

    async def _chunks(self, target: Target, request: Any, timeout: float) -> AsyncIterator[dict[str, Any]]:
        head = {"id": "chatcmpl-" + os.urandom(12).hex(), "object": "chat.completion.chunk",
                "created": int(time.time()), "model": _public_model(target, target.model)}
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
                except _MALFORMED as exc:
                    raise _malformed(target, exc, retryable=False) from exc
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


_MALFORMED = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def _malformed(target: Target, exc: BaseException, *, retryable: bool = True) -> UpstreamError:
    return UpstreamError(502, f"upstream {target.label} answered a malformed response ({type(exc).__name__}: "
                         f"{str(exc)[:200]})", retryable=retryable, kind="protocol")


def _provider_error(target: Target, exc: BaseException, *, mid_stream: bool = False) -> UpstreamError:
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamError(504, f"upstream {target.label} timed out", retryable=not mid_stream, kind="timeout")
    if isinstance(exc, ProviderError):
        status = exc.upstream_status or 502
        return UpstreamError(status, str(exc), retryable=exc.retryable and not mid_stream)
    assert isinstance(exc, GenLoopError)
    return UpstreamError(exc.status_code if exc.status_code < 500 else 502, str(exc), retryable=False)


def _public_model(target: Target, model: str) -> str:
    """The model name a client sees: a local model's registry ref (``tiny@3``), never its folder on disk."""
    return target.label if target.provider == "local" and target.label else model
