"""The Anthropic Messages API: ``POST /v1/messages`` with ``x-api-key`` and ``anthropic-version``.

OpenAI-shaped messages are translated: system messages become the top-level ``system`` prompt, tool calls and
tool results become ``tool_use`` / ``tool_result`` blocks, images become base64 or URL image blocks.
``max_tokens`` is required by the API (default 1024 here). ``seed`` and ``response_format`` have no
equivalent and are not sent. There is no text-completion or embeddings API.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson

from genloop.errors import InvalidInput, ProviderError
from genloop.providers._http import HTTPProvider
from genloop.providers._schemas import ChatChunk, ChatRequest, ChatResult, Usage

__all__ = ["AnthropicProvider"]

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
           "refusal": "content_filter", "pause_turn": "stop"}


class AnthropicProvider(HTTPProvider):
    """Claude models over the Messages API (plain and streamed)."""

    settings_prefix = "anthropic"
    key_env_vars = ("ANTHROPIC_API_KEY",)
    base_url_env_vars = ("ANTHROPIC_BASE_URL",)
    default_base_url = "https://api.anthropic.com/v1"

    def __init__(self, *, name: str = "anthropic", version: str = "2023-06-01", default_max_tokens: int = 1024,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.version = version
        self.default_max_tokens = default_max_tokens

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key}

    def _headers(self) -> dict[str, str]:
        return {"anthropic-version": self.version, **super()._headers()}

    async def chat(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        data = await self.post_json("/messages", self._body(request), what="chat")
        text: list[str] = []
        calls: list[dict[str, Any]] = []
        for block in data.get("content") or []:
            if block.get("type") == "text":
                text.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                calls.append(_tool_call(block["id"], block["name"], orjson.dumps(block.get("input", {})).decode()))
        usage = _usage(data.get("usage"))
        return ChatResult(
            text="".join(text),
            finish_reason=_FINISH.get(data.get("stop_reason") or "", data.get("stop_reason")),
            usage=usage,
            latency_s=time.perf_counter() - started,
            model=data.get("model") or request.model,
            provider=self.name,
            tool_calls=calls,
            raw=data,
            cost=self.cost(request.model, usage),
        )

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        started = time.perf_counter()
        model, stop_reason = request.model, None
        usage = Usage()
        calls: dict[int, dict[str, Any]] = {}
        async with aclosing(self.stream_sse("/messages", self._body(request, stream=True), what="chat stream")) as events:
            async for _event, data in events:
                event = orjson.loads(data)
                kind = event.get("type")
                if kind == "content_block_delta":
                    delta = event.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        yield ChatChunk(delta=delta["text"], model=model, provider=self.name)
                    elif delta.get("type") == "input_json_delta" and event.get("index") in calls:
                        calls[event["index"]]["function"]["arguments"] += delta.get("partial_json", "")
                elif kind == "content_block_start":
                    block = event.get("content_block") or {}
                    if block.get("type") == "tool_use":
                        calls[event.get("index", 0)] = _tool_call(block.get("id", ""), block.get("name", ""), "")
                    elif block.get("type") == "text" and block.get("text"):
                        yield ChatChunk(delta=block["text"], model=model, provider=self.name)
                elif kind == "message_start":
                    message = event.get("message") or {}
                    model = message.get("model") or model
                    usage = _usage(message.get("usage"))
                elif kind == "message_delta":
                    stop_reason = (event.get("delta") or {}).get("stop_reason") or stop_reason
                    output = (event.get("usage") or {}).get("output_tokens")
                    if output is not None:
                        usage = Usage(input_tokens=usage.input_tokens, output_tokens=output)
                elif kind == "message_stop":
                    break
                elif kind == "error":
                    error = event.get("error") or {}
                    raise ProviderError(f"{self.name} failed mid-stream: {self._redact(str(error.get('message')))}",
                                        retryable=error.get("type") == "overloaded_error", provider=self.name)
        yield ChatChunk(
            finish_reason=_FINISH.get(stop_reason or "", stop_reason),
            usage=usage,
            latency_s=time.perf_counter() - started,
            cost=self.cost(request.model, usage),
            model=model,
            provider=self.name,
            tool_calls=[calls[i] for i in sorted(calls)],
        )

    def _body(self, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
        system, messages = _translate(request.messages)
        body: dict[str, Any] = {"model": request.model, "max_tokens": request.max_tokens or self.default_max_tokens,
                                "messages": messages}
        if system:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop is not None:
            body["stop_sequences"] = request.stop_list()
        if request.tools:
            body["tools"] = [_tool(t) for t in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
        if stream:
            body["stream"] = True
        body.update(request.extra)
        return body


def _translate(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """OpenAI-shaped messages to (system prompt, Anthropic messages)."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        role, content = message.get("role"), message.get("content")
        if role in ("system", "developer"):
            system.append(_text(content))
        elif role == "user":
            out.append({"role": "user", "content": content if isinstance(content, str) else _blocks(content)})
        elif role == "assistant":
            calls = message.get("tool_calls") or []
            if isinstance(content, str) and not calls:
                out.append({"role": "assistant", "content": content})
                continue
            blocks = _blocks(content) if content else []
            for call in calls:
                function = call.get("function") or {}
                arguments = orjson.loads(function.get("arguments") or "{}")
                blocks.append({"type": "tool_use", "id": call.get("id"), "name": function.get("name"), "input": arguments})
            out.append({"role": "assistant", "content": blocks})
        elif role == "tool":
            result = {"type": "tool_result", "tool_use_id": message.get("tool_call_id"), "content": _text(content)}
            out.append({"role": "user", "content": [result]})
        else:
            raise InvalidInput(f"anthropic: unknown message role {role!r}", hint="use system, user, assistant or tool")
    return "\n\n".join(system), out


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for part in content or []:
        if part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif part.get("type") == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            if url.startswith("data:"):
                media_type, _, data = url[5:].partition(";base64,")
                blocks.append({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
            else:
                blocks.append({"type": "image", "source": {"type": "url", "url": url}})
        else:
            raise InvalidInput(f"anthropic: unsupported content part {part.get('type')!r}", hint="use text or image_url")
    return blocks


def _text(content: Any) -> str:
    if isinstance(content, str) or content is None:
        return content or ""
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function", tool)
    spec = {"name": function["name"], "input_schema": function.get("parameters") or {"type": "object", "properties": {}}}
    if function.get("description"):
        spec["description"] = function["description"]
    return spec


def _tool_choice(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, dict):
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    return {"type": {"required": "any"}.get(choice, choice)}


def _tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _usage(data: dict[str, Any] | None) -> Usage:
    """Input counts the cached tokens too, like OpenAI's prompt_tokens."""
    data = data or {}
    cached = (data.get("cache_creation_input_tokens") or 0) + (data.get("cache_read_input_tokens") or 0)
    return Usage(input_tokens=(data.get("input_tokens") or 0) + cached, output_tokens=data.get("output_tokens") or 0)
