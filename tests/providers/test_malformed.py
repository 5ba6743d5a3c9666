"""Answers of the wrong shape from any wire format are a ProviderError (retryable), never a TypeError or KeyError."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from genloop.errors import ProviderError
from genloop.providers import AnthropicProvider, ChatRequest, GeminiProvider, OpenAIProvider, RetryPolicy

USER = [{"role": "user", "content": "hi"}]
OPENAI = [{"choices": {"0": 1}}, {"choices": "x"}, {"choices": [7]}, {"choices": [{"message": "hi"}]},
          {"choices": [{"message": {"content": "ok"}}], "usage": {"prompt_tokens": "many"}},
          {"choices": [{"message": {"content": "ok"}}], "usage": {"prompt_tokens": 2**70}},
          {"choices": [{"message": {"content": "ok"}}], "usage": [1]}]
ANTHROPIC = [{"content": "text"}, {"content": [5]}, {"content": [{"type": "text", "text": "a"}], "usage": "lots"},
             {"content": [{"type": "text", "text": "a"}], "usage": {"input_tokens": 1.5}}]
GEMINI = [{"candidates": "x"}, {"candidates": [{"content": 3}]},
          {"candidates": [{"content": {"parts": [{"text": "a"}]}}], "usageMetadata": {"promptTokenCount": "x"}}]


def _on(cls: Any, answer: Any) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answer).encode(), headers={"content-type": "application/json"})

    return cls(base_url="http://fake/v1", api_key="k", transport=httpx.MockTransport(handler),
               retry=RetryPolicy(max_attempts=1))


@pytest.mark.parametrize(("cls", "answer"), [*((OpenAIProvider, a) for a in OPENAI),
                                             *((AnthropicProvider, a) for a in ANTHROPIC),
                                             *((GeminiProvider, a) for a in GEMINI)])
async def test_malformed_answer_is_a_provider_error(cls: Any, answer: Any) -> None:
    async with _on(cls, answer) as provider:
        with pytest.raises(ProviderError, match="malformed|without choices") as caught:
            await provider.chat(ChatRequest(model="m", messages=USER, max_tokens=5))
        assert caught.value.retryable or "without choices" in str(caught.value)
