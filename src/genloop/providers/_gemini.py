"""The Gemini API (Google AI): ``generateContent``, ``streamGenerateContent?alt=sse``, ``embedContent`` and
``batchEmbedContents``, keyed with the ``x-goog-api-key`` header (never the ``?key=`` query, which leaks into logs).

OpenAI-shaped messages are translated: roles become ``user``/``model``, system messages become
``systemInstruction``, tool calls and results become ``functionCall`` / ``functionResponse`` parts, images
must be ``data:`` URLs. ``extra`` is merged into the top-level body (e.g. ``safetySettings``).
Text completion sends the prompt as one user turn. Embedding calls report no usage (0 tokens).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson

from genloop.errors import InvalidInput
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

__all__ = ["GeminiProvider"]

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
           "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter"}


class GeminiProvider(HTTPProvider):
    """Gemini models over the Generative Language REST API (v1beta)."""

    operations = frozenset({"chat", "chat_stream", "complete", "embed"})
    settings_prefix = "gemini"
    key_env_vars = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    base_url_env_vars = ("GEMINI_BASE_URL",)
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"

    def __init__(self, *, name: str = "gemini", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    async def chat(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        data = await self.post_json(f"/{_model_path(request.model)}:generateContent", _body(request), what="chat")
        return self._result(data, request.model, started)

    async def complete(self, request: CompletionRequest) -> ChatResult:
        started = time.perf_counter()
        body = {"contents": [{"role": "user", "parts": [{"text": request.prompt}]}], **_config(request), **request.extra}
        data = await self.post_json(f"/{_model_path(request.model)}:generateContent", body, what="completion")
        return self._result(data, request.model, started)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        started = time.perf_counter()
        model, finish, usage = request.model, None, None
        calls: list[dict[str, Any]] = []
        path = f"/{_model_path(request.model)}:streamGenerateContent?alt=sse"
        async with aclosing(self.stream_sse(path, _body(request), what="chat stream")) as events:
            async for _event, data in events:
                event = orjson.loads(data)
                model = event.get("modelVersion") or model
                if event.get("usageMetadata"):
                    usage = _usage(event["usageMetadata"])
                text, new_calls, reason = _candidate(event, start=len(calls))
                calls.extend(new_calls)
                finish = reason or finish
                if text:
                    yield ChatChunk(delta=text, model=model, provider=self.name)
        yield ChatChunk(
            finish_reason="tool_calls" if calls and finish == "stop" else finish,
            usage=usage or Usage(),
            latency_s=time.perf_counter() - started,
            cost=self.cost(request.model, usage),
            model=model,
            provider=self.name,
            tool_calls=calls,
        )

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        started = time.perf_counter()
        model = _model_path(request.model)
        texts = request.texts()

        def one(text: str) -> dict[str, Any]:
            item: dict[str, Any] = {"model": model, "content": {"parts": [{"text": text}]}, **request.extra}
            if request.dimensions is not None:
                item["outputDimensionality"] = request.dimensions
            return item

        if len(texts) == 1:
            data = await self.post_json(f"/{model}:embedContent", one(texts[0]), what="embeddings")
            vectors = [data["embedding"]["values"]]
        else:
            data = await self.post_json(f"/{model}:batchEmbedContents", {"requests": [one(t) for t in texts]},
                                        what="embeddings")
            vectors = [e["values"] for e in data.get("embeddings") or []]
        return EmbeddingResult(vectors=vectors, usage=Usage(), latency_s=time.perf_counter() - started,
                               model=request.model, provider=self.name, cost=None)

    def _result(self, data: dict[str, Any], model: str, started: float) -> ChatResult:
        text, calls, finish = _candidate(data)
        if not data.get("candidates") and (data.get("promptFeedback") or {}).get("blockReason"):
            finish = "content_filter"
        usage = _usage(data.get("usageMetadata"))
        return ChatResult(
            text=text,
            finish_reason="tool_calls" if calls and finish == "stop" else finish,
            usage=usage,
            latency_s=time.perf_counter() - started,
            model=data.get("modelVersion") or model,
            provider=self.name,
            tool_calls=calls,
            raw=data,
            cost=self.cost(model, usage),
        )


def _model_path(model: str) -> str:
    return model if "/" in model else f"models/{model}"


def _config(request: ChatRequest | CompletionRequest) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for ours, theirs in (("temperature", "temperature"), ("top_p", "topP"), ("max_tokens", "maxOutputTokens"),
                         ("seed", "seed")):
        if getattr(request, ours) is not None:
            config[theirs] = getattr(request, ours)
    if request.stop is not None:
        config["stopSequences"] = request.stop_list()
    response_format = getattr(request, "response_format", None) or {}
    if response_format.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        schema = (response_format.get("json_schema") or {}).get("schema")
        if schema:
            config["responseJsonSchema"] = schema
    return {"generationConfig": config} if config else {}


def _body(request: ChatRequest) -> dict[str, Any]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool_call_id -> function name, for functionResponse parts
    for message in request.messages:
        role, content = message.get("role"), message.get("content")
        if role in ("system", "developer"):
            system.extend(p["text"] for p in _parts(content) if "text" in p)
        elif role == "user":
            contents.append({"role": "user", "parts": _parts(content)})
        elif role == "assistant":
            parts = _parts(content) if content else []
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                names[call.get("id", "")] = function.get("name", "")
                parts.append({"functionCall": {"name": function.get("name"),
                                               "args": orjson.loads(function.get("arguments") or "{}")}})
            contents.append({"role": "model", "parts": parts})
        elif role == "tool":
            name = message.get("name") or names.get(message.get("tool_call_id", ""), "")
            text = "".join(p.get("text", "") for p in _parts(content))
            contents.append({"role": "user", "parts": [{"functionResponse": {"name": name, "response": {"content": text}}}]})
        else:
            raise InvalidInput(f"gemini: unknown message role {role!r}", hint="use system, user, assistant or tool")
    body: dict[str, Any] = {"contents": contents, **_config(request)}
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    if request.tools:
        declarations = [t.get("function", t) for t in request.tools]
        body["tools"] = [{"functionDeclarations": declarations}]
    if request.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _tool_choice(request.tool_choice)}
    body.update(request.extra)
    return body


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str) or content is None:
        return [{"text": content or ""}]
    parts = []
    for part in content:
        if part.get("type") == "text":
            parts.append({"text": part.get("text", "")})
        elif part.get("type") == "image_url" and (part.get("image_url") or {}).get("url", "").startswith("data:"):
            mime, _, data = part["image_url"]["url"][5:].partition(";base64,")
            parts.append({"inlineData": {"mimeType": mime, "data": data}})
        else:
            raise InvalidInput(f"gemini: unsupported content part {part.get('type')!r}",
                               hint="use text parts, and images as data: URLs")
    return parts


def _tool_choice(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, dict):
        return {"mode": "ANY", "allowedFunctionNames": [(choice.get("function") or {}).get("name")]}
    return {"mode": {"auto": "AUTO", "required": "ANY", "none": "NONE"}.get(choice, choice.upper())}


def _candidate(data: dict[str, Any], start: int = 0) -> tuple[str, list[dict[str, Any]], str | None]:
    """Text, tool calls and normalised finish reason of the first candidate (thought parts skipped)."""
    candidates = data.get("candidates") or []
    if not candidates:
        return "", [], None
    candidate = candidates[0]
    text: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in (candidate.get("content") or {}).get("parts") or []:
        if "text" in part and not part.get("thought"):
            text.append(part["text"])
        elif "functionCall" in part:
            call = part["functionCall"]
            calls.append({"id": call.get("id") or f"call_{start + len(calls)}", "type": "function",
                          "function": {"name": call.get("name", ""),
                                       "arguments": orjson.dumps(call.get("args") or {}).decode()}})
    reason = candidate.get("finishReason")
    return "".join(text), calls, _FINISH.get(reason, reason.lower()) if reason else None


def _usage(data: dict[str, Any] | None) -> Usage:
    """Thinking tokens are billed as output, so they count as output here."""
    data = data or {}
    output = (data.get("candidatesTokenCount") or 0) + (data.get("thoughtsTokenCount") or 0)
    return Usage(input_tokens=data.get("promptTokenCount") or 0, output_tokens=output)
