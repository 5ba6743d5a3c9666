"""The OpenAI wire format, for OpenAI itself and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI).

Chat (plain and SSE-streamed with ``stream_options.include_usage``), text completions and embeddings.
Point ``base_url`` at the server's ``/v1``; a key is only required for api.openai.com.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson

from genloop.errors import ProviderError
from genloop.providers._http import HTTPProvider
from genloop.providers._schemas import (
    ChatChunk,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingRequest,
    EmbeddingResult,
    Usage,
)

__all__ = ["OpenAIProvider"]

_CHAT_FIELDS = ("temperature", "top_p", "max_tokens", "stop", "seed", "response_format", "tools", "tool_choice")
_COMPLETION_FIELDS = ("temperature", "top_p", "max_tokens", "stop", "seed")


class OpenAIProvider(HTTPProvider):
    """Chat, completions and embeddings over the OpenAI REST API shape."""

    operations = frozenset({"chat", "chat_stream", "complete", "embed"})
    settings_prefix = "openai"
    key_env_vars = ("OPENAI_API_KEY",)
    base_url_env_vars = ("OPENAI_BASE_URL",)
    default_base_url = "https://api.openai.com/v1"

    def __init__(self, *, name: str = "openai", stream_usage: bool = True, **kwargs: Any) -> None:
        """``stream_usage=False`` for servers that reject ``stream_options`` (streams then report zero usage)."""
        super().__init__(name=name, **kwargs)
        self.stream_usage = stream_usage

    async def chat(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        data = await self.post_json("/chat/completions", _body(request, _CHAT_FIELDS, messages=request.messages),
                                    what="chat")
        choice = self._first_choice(data)
        message = choice.get("message") or {}
        usage = _usage(data.get("usage"))
        return ChatResult(
            text=message.get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=usage,
            latency_s=time.perf_counter() - started,
            model=data.get("model") or request.model,
            provider=self.name,
            tool_calls=message.get("tool_calls") or [],
            raw=data,
            cost=self.cost(request.model, usage),
        )

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        started = time.perf_counter()
        body = _body(request, _CHAT_FIELDS, messages=request.messages, stream=True)
        if self.stream_usage:
            body.setdefault("stream_options", {"include_usage": True})
        model, finish, usage = request.model, None, None
        calls: dict[int, dict[str, Any]] = {}
        async with aclosing(self.stream_sse("/chat/completions", body, what="chat stream")) as events:
            async for _event, data in events:
                if data.strip() == "[DONE]":
                    break
                chunk = self._parse_event(data)
                model = chunk.get("model") or model
                if chunk.get("usage"):
                    usage = _usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    if choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    finish = choice.get("finish_reason") or finish
                    for call in delta.get("tool_calls") or []:
                        _merge_tool_call(calls, call)
                    if delta.get("content"):
                        yield ChatChunk(delta=delta["content"], model=model, provider=self.name, raw=chunk)
        yield ChatChunk(
            finish_reason=finish,
            usage=usage or Usage(),
            latency_s=time.perf_counter() - started,
            cost=self.cost(request.model, usage),
            model=model,
            provider=self.name,
            tool_calls=[calls[i] for i in sorted(calls)],
        )

    async def complete(self, request: CompletionRequest) -> ChatResult:
        started = time.perf_counter()
        data = await self.post_json("/completions", _body(request, _COMPLETION_FIELDS, prompt=request.prompt),
                                    what="completion")
        choice = self._first_choice(data)
        usage = _usage(data.get("usage"))
        return ChatResult(
            text=choice.get("text") or "",
            finish_reason=choice.get("finish_reason"),
            usage=usage,
            latency_s=time.perf_counter() - started,
            model=data.get("model") or request.model,
            provider=self.name,
            raw=data,
            cost=self.cost(request.model, usage),
        )

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        started = time.perf_counter()
        body: dict[str, Any] = {"model": request.model, "input": request.texts(), "encoding_format": "float"}
        if request.dimensions is not None:
            body["dimensions"] = request.dimensions
        body.update(request.extra)
        data = await self.post_json("/embeddings", body, what="embeddings")
        rows = sorted(data.get("data") or [], key=lambda row: row.get("index", 0))
        usage = _usage(data.get("usage"))
        return EmbeddingResult(
            vectors=[row["embedding"] for row in rows],
            usage=usage,
            latency_s=time.perf_counter() - started,
            model=data.get("model") or request.model,
            provider=self.name,
            cost=self.cost(request.model, usage),
        )

    def _first_choice(self, data: dict[str, Any]) -> dict[str, Any]:
        choices = data.get("choices")
        if not choices:
            raise ProviderError(f"{self.name} answered without choices: {str(data)[:200]}", provider=self.name)
        return choices[0]

    def _parse_event(self, data: str) -> dict[str, Any]:
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise ProviderError(f"{self.name} streamed invalid JSON: {data[:200]}", provider=self.name) from None
        if isinstance(chunk, dict) and "error" in chunk:  # some servers report failures inside the stream
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise ProviderError(f"{self.name} failed mid-stream: {self._redact(str(message))}", provider=self.name)
        return chunk


def _body(request: Any, fields: tuple[str, ...], **first: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model, **first}
    for field in fields:
        value = getattr(request, field)
        if value is not None:
            body[field] = value
    body.update(request.extra)
    return body


def _usage(data: dict[str, Any] | None) -> Usage:
    data = data or {}
    return Usage(input_tokens=data.get("prompt_tokens") or 0, output_tokens=data.get("completion_tokens") or 0)


def _merge_tool_call(calls: dict[int, dict[str, Any]], delta: dict[str, Any]) -> None:
    """Streamed tool calls arrive in pieces keyed by index; arguments are concatenated."""
    call = calls.setdefault(delta.get("index", 0), {"id": "", "type": "function",
                                                    "function": {"name": "", "arguments": ""}})
    if delta.get("id"):
        call["id"] = delta["id"]
    function = delta.get("function") or {}
    call["function"]["name"] += function.get("name") or ""
    call["function"]["arguments"] += function.get("arguments") or ""
