"""Retries: backoff with full jitter, Retry-After, bounded attempts and deadline; through real HTTP too."""

from __future__ import annotations

import asyncio
import email.utils
import random
import socket
import time

import pytest

from genloop.errors import ProviderError
from genloop.providers import ChatRequest, OpenAIProvider, RetryPolicy, parse_retry_after
from genloop.providers._retry import retry_call
from genloop.providers.mock_upstream import MockUpstreamServer

USER = [{"role": "user", "content": "hi"}]


def test_parse_retry_after() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None and parse_retry_after({}) is None


def test_backoff_is_full_jitter_under_a_capped_exponential() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(0)
    for retry, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 5.0)):
        waits = [policy.backoff(retry, rng) for _ in range(200)]
        assert 0 <= min(waits) and max(waits) <= ceiling and max(waits) > ceiling * 0.8


class Flaky:
    """Fails with the given errors, then answers 'ok'; records the sleeps retry_call asks for."""

    def __init__(self, *errors: ProviderError) -> None:
        self.errors, self.calls, self.sleeps = list(errors), 0, []

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def failure(status: int | None = 503, **details: object) -> ProviderError:
    return ProviderError("boom", upstream_status=status, retryable=status is None or status >= 500 or status == 429,
                         **details)


async def test_retries_then_succeeds_honouring_retry_after() -> None:
    flaky = Flaky(failure(503), failure(429, retry_after=7.0))
    assert await retry_call(flaky, RetryPolicy(base_delay=0.1, deadline=None), sleep=flaky.sleep) == "ok"
    assert flaky.calls == 3 and flaky.sleeps[0] <= 0.1 and flaky.sleeps[1] == 7.0


async def test_non_retryable_raises_at_once_and_attempts_are_bounded() -> None:
    flaky = Flaky(failure(400))
    with pytest.raises(ProviderError):
        await retry_call(flaky, RetryPolicy(), sleep=flaky.sleep)
    assert flaky.calls == 1
    always = Flaky(*[failure(500) for _ in range(10)])
    with pytest.raises(ProviderError):
        await retry_call(always, RetryPolicy(max_attempts=4), sleep=always.sleep)
    assert always.calls == 4 and len(always.sleeps) == 3


async def test_deadline_bounds_waits_and_slow_attempts() -> None:
    flaky = Flaky(failure(429, retry_after=60.0))
    with pytest.raises(ProviderError, match="boom"):  # waiting 60 s would overrun a 5 s deadline: fail now
        await retry_call(flaky, RetryPolicy(deadline=5), sleep=flaky.sleep)
    assert flaky.calls == 1 and flaky.sleeps == []

    async def hang() -> None:
        await asyncio.sleep(10)

    started = time.monotonic()
    with pytest.raises(ProviderError, match="deadline of 0.1s"):
        await retry_call(hang, RetryPolicy(deadline=0.1))
    assert time.monotonic() - started < 2


async def test_http_retries_5xx_and_429_with_retry_after(upstream: MockUpstreamServer, fast_retry: RetryPolicy) -> None:
    upstream.app.config.script = [{"status": 503}, {"status": 429}, {"reply": "finally"}]
    upstream.app.config.retry_after = 0.2
    async with OpenAIProvider(base_url=upstream.url + "/v1", retry=fast_retry) as provider:
        started = time.perf_counter()
        result = await provider.chat(ChatRequest(model="m", messages=USER))
    assert result.text == "finally" and upstream.stats["chat.completions"] == 3
    assert time.perf_counter() - started >= 0.2  # waited at least Retry-After
    assert result.latency_s >= 0.2  # latency covers the whole call, retries included


async def test_http_gives_up_after_max_attempts(upstream: MockUpstreamServer, fast_retry: RetryPolicy) -> None:
    upstream.app.config.script = [{"status": 500, "message": "kaput"}]
    async with OpenAIProvider(base_url=upstream.url + "/v1", retry=fast_retry) as provider:
        with pytest.raises(ProviderError, match="kaput") as info:
            await provider.chat(ChatRequest(model="m", messages=USER))
    assert info.value.upstream_status == 500 and info.value.retryable
    assert upstream.stats["chat.completions"] == 3


async def test_timeouts_and_refused_connections_are_retried(upstream: MockUpstreamServer, fast_retry: RetryPolicy) -> None:
    upstream.app.config.latency_ms = 300
    async with OpenAIProvider(base_url=upstream.url + "/v1", timeout=0.05, retry=fast_retry) as provider:
        with pytest.raises(ProviderError, match="timed out") as info:
            await provider.chat(ChatRequest(model="m", messages=USER))
    assert info.value.retryable and upstream.stats["chat.completions"] == 3

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    async with OpenAIProvider(base_url=f"http://127.0.0.1:{closed}/v1", retry=fast_retry) as provider:
        with pytest.raises(ProviderError, match="connection failed"):
            await provider.chat(ChatRequest(model="m", messages=USER))


async def test_stream_retries_until_it_opens(upstream: MockUpstreamServer, fast_retry: RetryPolicy) -> None:
    upstream.app.config.script = [{"status": 502}, {"reply": "streamed fine"}]
    async with OpenAIProvider(base_url=upstream.url + "/v1", retry=fast_retry) as provider:
        chunks = [c async for c in provider.chat_stream(ChatRequest(model="m", messages=USER))]
    assert "".join(c.delta for c in chunks) == "streamed fine"
