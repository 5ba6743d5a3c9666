"""The Anthropic Messages wire format against a faithful fake of the API (same JSON and SSE event shapes)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from genloop.errors import InvalidInput, ProviderError
from genloop.providers import AnthropicProvider, ChatRequest, CompletionRequest, EmbeddingRequest, RetryPolicy


class FakeAnthropic:
    """Checks requests the way the real API does and answers in its shapes; ``script`` overrides answers."""

    def __init__(self, reply: str = "Hello there friend", tool_use: dict[str, Any] | None = None) -> None:
        self.reply, self.tool_use = reply, tool_use
        self.requests: list[dict[str, Any]] = []
        self.script: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/messages" and request.method == "POST"
        if request.headers.get("x-api-key") != "sk-ant-test":
            return self.error(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in request.headers:
            return self.error(400, "invalid_request_error", "anthropic-version: header is required")
        body = json.loads(request.content)
        self.requests.append(body)
        if self.script:
            return self.script.pop(0)
        if "max_tokens" not in body:
            return self.error(400, "invalid_request_error", "max_tokens: Field required")
        if any(m["role"] not in ("user", "assistant") for m in body["messages"]):
            return self.error(400, "invalid_request_error", "messages: roles must be user or assistant")
        content = [{"type": "text", "text": self.reply}]
        if self.tool_use:
            content.append({"type": "tool_use", **self.tool_use})
        message = {"id": "msg_01", "type": "message", "role": "assistant", "model": body["model"], "content": content,
                   "stop_reason": "tool_use" if self.tool_use else "end_turn", "stop_sequence": None,
                   "usage": {"input_tokens": 12, "output_tokens": 6, "cache_read_input_tokens": 3}}
        if not body.get("stream"):
            return httpx.Response(200, json=message)
        return httpx.Response(200, text=self.sse(message), headers={"content-type": "text/event-stream"})

    def sse(self, message: dict[str, Any]) -> str:
        start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
        events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                events.append({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
                events.append({"type": "ping"})
                for word in block["text"].split(" "):
                    piece = word if events[-1]["type"] == "ping" else " " + word
                    events.append({"type": "content_block_delta", "index": index,
                                   "delta": {"type": "text_delta", "text": piece}})
            else:
                events.append({"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}})
                arguments = json.dumps(block["input"])
                for part in (arguments[:5], arguments[5:]):
                    events.append({"type": "content_block_delta", "index": index,
                                   "delta": {"type": "input_json_delta", "partial_json": part}})
            events.append({"type": "content_block_stop", "index": index})
        events.append({"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                       "usage": {"output_tokens": message["usage"]["output_tokens"]}})
        events.append({"type": "message_stop"})
        return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)

    @staticmethod
    def error(status: int, kind: str, message: str) -> httpx.Response:
        return httpx.Response(status, json={"type": "error", "error": {"type": kind, "message": message}})


def make(fake: FakeAnthropic, **kwargs: Any) -> AnthropicProvider:
    return AnthropicProvider(api_key="sk-ant-test", transport=httpx.MockTransport(fake),
                             retry=kwargs.pop("retry", RetryPolicy(max_attempts=1)), **kwargs)


MESSAGES = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Say hello"}]


async def test_chat_translates_system_and_reports_usage() -> None:
    fake = FakeAnthropic()
    async with make(fake) as provider:
        result = await provider.chat(ChatRequest(model="claude-3-5-haiku-20241022", messages=MESSAGES, stop="END",
                                                 temperature=0.2, seed=4, response_format={"type": "json_object"}))
    sent = fake.requests[0]
    assert sent["system"] == "Be terse." and sent["messages"] == [{"role": "user", "content": "Say hello"}]
    assert sent["max_tokens"] == 1024 and sent["stop_sequences"] == ["END"] and sent["temperature"] == 0.2
    assert "seed" not in sent and "response_format" not in sent
    assert (result.text, result.finish_reason) == ("Hello there friend", "stop")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (15, 6)
    assert result.cost == pytest.approx((15 * 0.80 + 6 * 4.00) / 1e6)


async def test_stream_events_become_deltas_and_final_usage() -> None:
    async with make(FakeAnthropic()) as provider:
        chunks = [c async for c in provider.chat_stream(ChatRequest(model="claude-x", messages=MESSAGES, max_tokens=50))]
    assert "".join(c.delta for c in chunks) == "Hello there friend"
    final = chunks[-1]
    assert final.finish_reason == "stop" and final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (15, 6)


async def test_tools_round_trip() -> None:
    tool_use = {"id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}
    fake = FakeAnthropic(reply="Checking.", tool_use=tool_use)
    history = [*MESSAGES,
               {"role": "assistant", "content": None, "tool_calls": [{"id": "toolu_0", "type": "function", "function": {
                   "name": "get_weather", "arguments": '{"city": "Bergen"}'}}]},
               {"role": "tool", "tool_call_id": "toolu_0", "content": "rain"},
               {"role": "user", "content": [{"type": "text", "text": "and Oslo?"},
                                            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}}]}]
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                                               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    request = ChatRequest(model="claude-x", messages=history, tools=tools, tool_choice="required")
    async with make(fake) as provider:
        result = await provider.chat(request)
        chunks = [c async for c in provider.chat_stream(request)]
    sent = fake.requests[0]
    assert sent["tools"][0]["input_schema"]["properties"]["city"] == {"type": "string"}
    assert sent["tool_choice"] == {"type": "any"}
    assert sent["messages"][1]["content"] == [{"type": "tool_use", "id": "toolu_0", "name": "get_weather",
                                               "input": {"city": "Bergen"}}]
    assert sent["messages"][2]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_0", "content": "rain"}
    assert sent["messages"][3]["content"][1]["source"] == {"type": "base64", "media_type": "image/png", "data": "AAA"}
    expected = {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
    assert result.tool_calls == [expected] and result.finish_reason == "tool_calls"
    assert json.loads(chunks[-1].tool_calls[0]["function"]["arguments"]) == {"city": "Oslo"}


async def test_errors_overloaded_retried_bad_request_not() -> None:
    fake = FakeAnthropic()
    fake.script = [fake.error(529, "overloaded_error", "Overloaded"), fake.error(500, "api_error", "Internal")]
    async with make(fake, retry=RetryPolicy(max_attempts=3, base_delay=0.001)) as provider:
        assert (await provider.chat(ChatRequest(model="c", messages=MESSAGES))).text == "Hello there friend"
        assert len(fake.requests) == 3
        fake.script = [fake.error(400, "invalid_request_error", "messages.0.content: empty")]
        with pytest.raises(ProviderError, match="messages.0.content: empty") as info:
            await provider.chat(ChatRequest(model="c", messages=MESSAGES))
    assert info.value.upstream_status == 400 and not info.value.retryable and len(fake.requests) == 4


async def test_stream_error_event() -> None:
    fake = FakeAnthropic()
    events = 'event: message_start\ndata: {"type": "message_start", "message": {"usage": {"input_tokens": 1}}}\n\n' \
             'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    fake.script = [httpx.Response(200, text=events)]
    async with make(fake) as provider:
        with pytest.raises(ProviderError, match="Overloaded") as info:
            [c async for c in provider.chat_stream(ChatRequest(model="c", messages=MESSAGES))]
    assert info.value.retryable


async def test_no_completion_or_embeddings_api() -> None:
    async with make(FakeAnthropic()) as provider:
        assert not provider.supports("embed")
        with pytest.raises(InvalidInput, match="provider 'anthropic'.*no text completion"):
            await provider.complete(CompletionRequest(model="c", prompt="x"))
        with pytest.raises(InvalidInput, match="provider 'anthropic'.*no embeddings"):
            await provider.embed(EmbeddingRequest(model="c", input="x"))
