"""The Gemini wire format against a faithful fake of the Generative Language API (JSON and SSE shapes)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from genloop.errors import ProviderError
from genloop.providers import ChatRequest, CompletionRequest, EmbeddingRequest, GeminiProvider, RetryPolicy

PREFIX = "/v1beta/models/"


class FakeGemini:
    """Answers generateContent, streamGenerateContent?alt=sse, embedContent and batchEmbedContents."""

    def __init__(self, parts: list[dict[str, Any]] | None = None) -> None:
        self.parts = parts or [{"text": "Hello from Gemini"}]
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert "key" not in request.url.params  # the key travels in a header, never the URL
        if request.headers.get("x-goog-api-key") != "AIza-test":
            return self.error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
        path = request.url.path
        assert path.startswith(PREFIX)
        model, _, method = path.removeprefix(PREFIX).partition(":")
        body = json.loads(request.content)
        self.requests.append((method, body))
        if method == "embedContent":
            return httpx.Response(200, json={"embedding": {"values": [0.1, 0.2, 0.3]}})
        if method == "batchEmbedContents":
            assert all(r["model"] == f"models/{model}" for r in body["requests"])
            return httpx.Response(200, json={"embeddings": [{"values": [float(i)]} for i in range(len(body["requests"]))]})
        if any(c["role"] not in ("user", "model") for c in body["contents"]):
            return self.error(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.")
        usage = {"promptTokenCount": 9, "candidatesTokenCount": 4, "totalTokenCount": 13}
        if method == "generateContent":
            return httpx.Response(200, json={"candidates": [{"content": {"parts": self.parts, "role": "model"},
                                                             "finishReason": "STOP", "index": 0}],
                                             "usageMetadata": usage, "modelVersion": f"{model}-002"})
        assert method == "streamGenerateContent" and request.url.params["alt"] == "sse"
        words = self.parts[0]["text"].split(" ")
        events = [{"candidates": [{"content": {"parts": [{"text": w + " "}], "role": "model"}, "index": 0}],
                   "usageMetadata": {"promptTokenCount": 9}, "modelVersion": model} for w in words[:-1]]
        events.append({"candidates": [{"content": {"parts": [{"text": words[-1]}], "role": "model"},
                                       "finishReason": "MAX_TOKENS", "index": 0}], "usageMetadata": usage})
        return httpx.Response(200, text="".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events),
                              headers={"content-type": "text/event-stream"})

    @staticmethod
    def error(code: int, status: str, message: str) -> httpx.Response:
        return httpx.Response(code, json={"error": {"code": code, "message": message, "status": status}})


def make(fake: FakeGemini, key: str = "AIza-test") -> GeminiProvider:
    return GeminiProvider(api_key=key, transport=httpx.MockTransport(fake), retry=RetryPolicy(max_attempts=1))


MESSAGES = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Again"}]


async def test_generate_content_translation_and_usage() -> None:
    fake = FakeGemini()
    request = ChatRequest(model="gemini-1.5-flash", messages=MESSAGES, temperature=0.5, top_p=0.9, max_tokens=64,
                          stop=["END"], seed=3, response_format={"type": "json_schema", "json_schema": {
                              "name": "x", "schema": {"type": "object"}}})
    async with make(fake) as provider:
        result = await provider.chat(request)
    method, body = fake.requests[0]
    assert method == "generateContent"
    assert body["systemInstruction"] == {"parts": [{"text": "Be kind."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["generationConfig"] == {"temperature": 0.5, "topP": 0.9, "maxOutputTokens": 64, "seed": 3,
                                        "stopSequences": ["END"], "responseMimeType": "application/json",
                                        "responseJsonSchema": {"type": "object"}}
    assert (result.text, result.finish_reason, result.model) == ("Hello from Gemini", "stop", "gemini-1.5-flash-002")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (9, 4)
    assert result.cost == pytest.approx((9 * 0.075 + 4 * 0.30) / 1e6)


async def test_stream_generate_content_sse() -> None:
    async with make(FakeGemini()) as provider:
        chunks = [c async for c in provider.chat_stream(ChatRequest(model="gemini-2.0-flash", messages=MESSAGES))]
    assert "".join(c.delta for c in chunks) == "Hello from Gemini"
    final = chunks[-1]
    assert final.finish_reason == "length" and final.usage is not None and final.usage.output_tokens == 4


async def test_function_calls_and_responses() -> None:
    fake = FakeGemini(parts=[{"functionCall": {"name": "lookup", "args": {"q": "x"}}}])
    history = [*MESSAGES, {"role": "assistant", "tool_calls": [
        {"id": "c0", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "y"}'}}]},
        {"role": "tool", "tool_call_id": "c0", "content": "found"}]
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    async with make(fake) as provider:
        result = await provider.chat(ChatRequest(model="gemini-1.5-pro", messages=history, tools=tools,
                                                 tool_choice="auto"))
    _, body = fake.requests[0]
    assert body["tools"] == [{"functionDeclarations": [{"name": "lookup", "parameters": {"type": "object"}}]}]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["contents"][3]["parts"] == [{"functionCall": {"name": "lookup", "args": {"q": "y"}}}]
    assert body["contents"][4]["parts"] == [{"functionResponse": {"name": "lookup", "response": {"content": "found"}}}]
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls[0]["function"] == {"name": "lookup", "arguments": '{"q":"x"}'}


async def test_complete_and_embeddings() -> None:
    fake = FakeGemini()
    async with make(fake) as provider:
        completion = await provider.complete(CompletionRequest(model="gemini-1.5-flash", prompt="Once"))
        one = await provider.embed(EmbeddingRequest(model="text-embedding-004", input="a", dimensions=3))
        many = await provider.embed(EmbeddingRequest(model="text-embedding-004", input=["a", "b"]))
    assert completion.text == "Hello from Gemini"
    assert fake.requests[0][1]["contents"] == [{"role": "user", "parts": [{"text": "Once"}]}]
    assert fake.requests[1] == ("embedContent", {"model": "models/text-embedding-004",
                                                 "content": {"parts": [{"text": "a"}]}, "outputDimensionality": 3})
    assert one.vectors == [[0.1, 0.2, 0.3]] and many.vectors == [[0.0], [1.0]]


async def test_bad_key_error_is_not_retried_and_hides_the_key() -> None:
    async with make(FakeGemini(), key="AIza-wrong") as provider:
        with pytest.raises(ProviderError) as info:
            await provider.chat(ChatRequest(model="gemini-1.5-flash", messages=MESSAGES))
    assert info.value.upstream_status == 400 and not info.value.retryable
    assert "API key not valid" in str(info.value) and "AIza-wrong" not in str(info.value)
