"""The shared HTTP layer: keys never leak (reprs, logs, errors), error mapping, and SSE parsing."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from genloop.errors import ProviderError
from genloop.providers import AnthropicProvider, ChatRequest, GeminiProvider, OpenAIProvider, RetryPolicy
from genloop.providers._http import _sse_events
from genloop.providers.mock_upstream import run_mock_upstream
from genloop.settings import Settings

KEY = "sk-SECRET-0123456789"
USER = [{"role": "user", "content": "hi"}]


def test_keys_not_in_reprs() -> None:
    settings = Settings(openai_api_key=SecretStr(KEY), anthropic_api_key=KEY, gemini_api_key=KEY)  # type: ignore[arg-type]
    assert KEY not in repr(settings) and KEY not in str(settings)
    assert KEY not in settings.model_dump_json()
    for cls in (OpenAIProvider, AnthropicProvider, GeminiProvider):
        provider = cls(api_key=KEY)
        assert KEY not in repr(provider) and KEY not in str(vars(provider))
        assert all(KEY not in repr(client.headers) for client in provider._clients)


async def test_keys_not_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = [{"status": 503}, {"status": 503}, {"status": 500}]
    with run_mock_upstream(api_key=KEY, script=script) as url:
        provider = OpenAIProvider(base_url=url + "/v1", api_key=KEY,
                                  retry=RetryPolicy(max_attempts=3, base_delay=0.001))
        async with provider:
            with pytest.raises(ProviderError) as info:
                await provider.chat(ChatRequest(model="m", messages=USER))
    assert info.value.upstream_status == 500
    assert any("retry" in r.getMessage() for r in caplog.records)  # retries were logged...
    assert not [r for r in caplog.records if KEY in r.getMessage()]  # ...without the key
    assert KEY not in str(info.value) and KEY not in repr(info.value) and KEY not in str(info.value.to_payload())


async def test_upstream_message_echoing_the_key_is_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {KEY}.",
                                                   "type": "invalid_request_error", "code": "invalid_api_key"}})

    async with OpenAIProvider(api_key=KEY, transport=httpx.MockTransport(handler)) as provider:
        with pytest.raises(ProviderError) as info:
            await provider.chat(ChatRequest(model="m", messages=USER))
    assert str(info.value).startswith("openai answered HTTP 401: Incorrect API key provided: ***.")
    assert "OPENAI_API_KEY" in str(info.value) and not info.value.retryable


async def test_non_json_error_bodies_and_invalid_json_answers() -> None:
    answers = iter([httpx.Response(502, text="<html>Bad Gateway</html>"), httpx.Response(200, text="not json")])
    transport = httpx.MockTransport(lambda request: next(answers))
    async with OpenAIProvider(base_url="http://x/v1", transport=transport,
                              retry=RetryPolicy(max_attempts=1)) as provider:
        with pytest.raises(ProviderError, match="HTTP 502: <html>Bad Gateway</html>") as info:
            await provider.chat(ChatRequest(model="m", messages=USER))
        assert info.value.retryable
        with pytest.raises(ProviderError, match="invalid JSON"):
            await provider.chat(ChatRequest(model="m", messages=USER))


async def test_sse_parsing() -> None:
    raw = (b": comment\r\nevent: one\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n"
           b"data:no-space\n\n"
           b"id: 7\ndata: last")
    events = [e async for e in _sse_events(httpx.Response(200, content=raw))]
    assert events == [("one", '{"a":\n1}'), ("message", "no-space"), ("message", "last")]
