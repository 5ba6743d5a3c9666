"""The OpenAI wire format: against the mock upstream on loopback, and request shapes through a MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from genloop.errors import ProviderError
from genloop.providers import (
    ChatRequest,
    CompletionRequest,
    EmbeddingRequest,
    OpenAIProvider,
    RetryPolicy,
)
from genloop.providers.mock_upstream import MockUpstreamServer

USER = [{"role": "user", "content": "four little words here"}]


def provider_on(handler: Callable[[httpx.Request], httpx.Response], **kwargs: object) -> OpenAIProvider:
    return OpenAIProvider(base_url="http://fake/v1", api_key="sk-test", transport=httpx.MockTransport(handler),
                          retry=RetryPolicy(max_attempts=1), **kwargs)  # type: ignore[arg-type]


async def test_chat_stream_complete_embed_against_mock_upstream(upstream: MockUpstreamServer) -> None:
    async with OpenAIProvider(base_url=upstream.url + "/v1") as provider:
        result = await provider.chat(ChatRequest(model="gpt-4o-mini", messages=USER))
        assert result.text == "four little words here"
        assert (result.usage.input_tokens, result.usage.output_tokens) == (4, 4)
        assert result.cost == pytest.approx((4 * 0.15 + 4 * 0.60) / 1e6)
        assert result.raw is not None and result.raw["object"] == "chat.completion"

        chunks = [c async for c in provider.chat_stream(ChatRequest(model="local-llm", messages=USER))]
        assert "".join(c.delta for c in chunks) == "four little words here"
        final = chunks[-1]
        assert final.usage is not None and final.usage.output_tokens == 4
        assert final.finish_reason == "stop" and final.latency_s is not None and final.cost is None

        completion = await provider.complete(CompletionRequest(model="m", prompt="a b c", max_tokens=2))
        assert (completion.text, completion.finish_reason) == ("a b", "length")

        embedded = await provider.embed(EmbeddingRequest(model="text-embedding-3-small", input=["x", "y"]))
        assert len(embedded.vectors) == 2 and len(embedded.vectors[0]) == 32
    assert upstream.stats["chat.completions"] == 2


async def test_request_shape_and_extra() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/embeddings"):
            return httpx.Response(200, json={"data": [{"index": 1, "embedding": [1.0]}, {"index": 0, "embedding": [0.0]}],
                                             "usage": {"prompt_tokens": 2, "total_tokens": 2}})
        return httpx.Response(200, json={"model": "gpt-4o-mini-2024-07-18", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    async with provider_on(handler) as provider:
        result = await provider.chat(ChatRequest(model="gpt-4o-mini", messages=USER, temperature=0.0, seed=1,
                                                 stop="END", response_format={"type": "json_object"},
                                                 extra={"max_completion_tokens": 9}))
        embedded = await provider.embed(EmbeddingRequest(model="e", input=["a", "b"], dimensions=1))
    body = json.loads(seen[0].content)
    assert seen[0].url == "http://fake/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk-test"
    assert body == {"model": "gpt-4o-mini", "messages": USER, "temperature": 0.0, "seed": 1, "stop": "END",
                    "response_format": {"type": "json_object"}, "max_completion_tokens": 9}
    assert result.model == "gpt-4o-mini-2024-07-18" and result.cost is not None
    assert json.loads(seen[1].content) == {"model": "e", "input": ["a", "b"], "encoding_format": "float", "dimensions": 1}
    assert embedded.vectors == [[0.0], [1.0]]


async def test_tool_calls_plain_and_streamed() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
    pieces = [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
              {"index": 0, "function": {"arguments": '{"city":'}}, {"index": 0, "function": {"arguments": '"Oslo"}'}}]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["tools"][0]["function"]["name"] == "get_weather"
        if not body.get("stream"):
            return httpx.Response(200, json={"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [call]}}], "usage": {}})
        assert body["stream_options"] == {"include_usage": True}
        events = [{"choices": [{"index": 0, "delta": {"tool_calls": [p]}, "finish_reason": None}]} for p in pieces]
        events += [{"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
                   {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7}}]
        sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})

    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    request = ChatRequest(model="m", messages=USER, tools=tools)
    async with provider_on(handler) as provider:
        result = await provider.chat(request)
        chunks = [c async for c in provider.chat_stream(request)]
    assert result.tool_calls == [call] and result.text == "" and result.finish_reason == "tool_calls"
    assert chunks[-1].tool_calls == [call] and chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage.output_tokens == 7


async def test_stream_without_usage_option_and_mid_stream_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "stream_options" not in json.loads(request.content)
        sse = 'data: {"choices": [{"index": 0, "delta": {"content": "par"}}]}\n\n' \
              'data: {"error": {"message": "engine crashed"}}\n\n'
        return httpx.Response(200, text=sse)

    async with provider_on(handler, stream_usage=False) as provider:
        seen = []
        with pytest.raises(ProviderError, match="engine crashed"):
            async for chunk in provider.chat_stream(ChatRequest(model="m", messages=USER)):
                seen.append(chunk.delta)
    assert seen == ["par"]


async def test_rejected_request_raises_once_with_upstream_message() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(400, json={"error": {"message": "Invalid value for 'temperature'", "type":
                                                   "invalid_request_error", "param": "temperature", "code": None}})

    provider = OpenAIProvider(base_url="http://fake/v1", transport=httpx.MockTransport(handler))
    async with provider:
        with pytest.raises(ProviderError) as info:
            await provider.chat(ChatRequest(model="m", messages=USER, temperature=9))
    assert calls == 1
    assert (info.value.upstream_status, info.value.retryable) == (400, False)
    assert "Invalid value for 'temperature'" in str(info.value)
    assert info.value.details["provider"] == "openai"
