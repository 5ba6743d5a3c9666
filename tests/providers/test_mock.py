"""The in-process mock provider: echo, scripted replies and failures, latency, deterministic usage."""

from __future__ import annotations

import math
import time

import pytest

from genloop.errors import ProviderError
from genloop.providers import ChatRequest, CompletionRequest, EmbeddingRequest, MockProvider, PriceTable
from genloop.providers._mock import count_tokens, shape_reply, split_pieces


def chat(text: str, **kwargs: object) -> ChatRequest:
    return ChatRequest(model="echo", messages=[{"role": "system", "content": "be brief"},
                                               {"role": "user", "content": text}], **kwargs)  # type: ignore[arg-type]


async def test_echo_and_usage() -> None:
    provider = MockProvider()
    result = await provider.chat(chat("hello  big world"))
    assert result.text == "hello  big world"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (5, 3)
    assert (result.provider, result.model, result.finish_reason, result.cost) == ("mock", "echo", "stop", None)
    assert result.latency_s >= 0


async def test_scripted_replies_cycle_and_functions() -> None:
    provider = MockProvider(reply=["a", "b"])
    assert [(await provider.chat(chat("x"))).text for _ in range(3)] == ["a", "b", "a"]
    by_function = MockProvider(reply=lambda request: request.messages[-1]["content"].upper())
    assert (await by_function.chat(chat("shout"))).text == "SHOUT"


async def test_stream_deltas_join_and_final_chunk_has_usage() -> None:
    chunks = [c async for c in MockProvider(reply="one two three").chat_stream(chat("x", max_tokens=2))]
    assert "".join(c.delta for c in chunks) == "one two"
    final = chunks[-1]
    assert final.is_final and final.finish_reason == "length"
    assert final.usage is not None and final.usage.output_tokens == 2
    assert not any(c.is_final for c in chunks[:-1])


async def test_failures_on_given_calls() -> None:
    provider = MockProvider(failures={2: 429, 3: 400})
    await provider.chat(chat("ok"))
    with pytest.raises(ProviderError) as throttled:
        await provider.chat(chat("x"))
    assert (throttled.value.upstream_status, throttled.value.retryable) == (429, True)
    with pytest.raises(ProviderError) as rejected:
        await provider.chat(chat("x"))
    assert (rejected.value.upstream_status, rejected.value.retryable) == (400, False)
    assert (await provider.chat(chat("fine"))).text == "fine"
    assert provider.calls == 4


async def test_seeded_failure_rate_is_repeatable() -> None:
    async def pattern(seed: int) -> list[bool]:
        provider = MockProvider(fail_rate=0.5, seed=seed)
        out = []
        for _ in range(20):
            try:
                await provider.chat(chat("x"))
                out.append(True)
            except ProviderError:
                out.append(False)
        return out

    first = await pattern(3)
    assert first == await pattern(3)
    assert 0 < first.count(False) < 20


async def test_fail_model_name_and_latency() -> None:
    with pytest.raises(ProviderError, match="HTTP 503"):
        await MockProvider().chat(ChatRequest(model="fail-503", messages=[{"role": "user", "content": "x"}]))
    started = time.perf_counter()
    result = await MockProvider(latency_ms=30).chat(chat("x"))
    assert time.perf_counter() - started >= 0.03 and result.latency_s >= 0.03


async def test_complete_and_embed() -> None:
    provider = MockProvider(prices=PriceTable({"mock:echo": {"input": 1.0, "output": 2.0}}))
    completion = await provider.complete(CompletionRequest(model="echo", prompt="a b c"))
    assert completion.text == "a b c" and completion.cost == pytest.approx((3 * 1.0 + 3 * 2.0) / 1e6)
    result = await provider.embed(EmbeddingRequest(model="e", input=["x", "y", "x"], dimensions=12))
    assert [len(v) for v in result.vectors] == [12, 12, 12]
    assert result.vectors[0] == result.vectors[2] != result.vectors[1]
    assert math.isclose(sum(v * v for v in result.vectors[0]), 1.0)
    assert result.usage.input_tokens == 3
    assert all(provider.supports(op) for op in ("chat", "chat_stream", "complete", "embed"))


def test_token_helpers() -> None:
    text = "  lead and  trail "
    assert "".join(split_pieces(text)) == text and count_tokens(text) == len(split_pieces(text)) == 3
    assert shape_reply("a b STOP c", max_tokens=None, stop="STOP") == ("a b ", "stop")
    assert shape_reply("a b c", max_tokens=2, stop=None) == ("a b", "length")
