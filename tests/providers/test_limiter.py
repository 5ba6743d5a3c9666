"""Adaptive concurrency: AIMD within bounds, once-per-window halving, FIFO waiters, and over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from genloop.errors import ProviderError
from genloop.providers import AdaptiveLimiter, ChatRequest, OpenAIProvider, RetryPolicy
from genloop.providers.mock_upstream import MockUpstreamServer


async def test_limit_bounds_concurrency() -> None:
    limiter = AdaptiveLimiter(3)
    peak = 0

    async def job() -> None:
        nonlocal peak
        async with limiter.slot() as permit:
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(0.005)
            permit.success()

    await asyncio.gather(*(job() for _ in range(20)))
    assert peak == 3 and limiter.in_flight == 0 and limiter.limit == 3


async def test_halves_once_per_window_and_grows_back_additively() -> None:
    limiter = AdaptiveLimiter(8)
    entered = [limiter.slot() for _ in range(4)]
    permits = [await cm.__aenter__() for cm in entered]
    for cm, permit in zip(entered, permits, strict=True):  # four throttles of one window: one halving
        permit.throttled()
        await cm.__aexit__(None, None, None)
    assert limiter.limit == 4
    async with limiter.slot() as permit:  # a throttle in the next window halves again
        permit.throttled()
    assert limiter.limit == 2
    for _ in range(2 + 3):  # +1/limit per success: two successes at 2, three at 3
        async with limiter.slot() as permit:
            permit.success()
    assert limiter.limit == 4
    for _ in range(100):
        async with limiter.slot() as permit:
            permit.success()
    assert limiter.limit == 8  # never above max


async def test_never_below_min() -> None:
    limiter = AdaptiveLimiter(4, min_limit=2)
    for _ in range(5):
        async with limiter.slot() as permit:
            permit.throttled()
    assert limiter.limit == 2
    with pytest.raises(ValueError):
        AdaptiveLimiter(2, min_limit=3)


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limiter = AdaptiveLimiter(1)
    order = []

    async def job(name: str, delay: float) -> None:
        async with limiter.slot():
            order.append(name)
            await asyncio.sleep(delay)

    first = asyncio.create_task(job("first", 0.02))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(job("cancelled", 0))
    third = asyncio.create_task(job("third", 0))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(first, third, return_exceptions=True)
    assert order == ["first", "third"] and limiter.in_flight == 0


async def test_429s_from_upstream_shrink_the_limit(upstream: MockUpstreamServer) -> None:
    upstream.app.config.fail_rate, upstream.app.config.fail_status = 1.0, 429
    limiter = AdaptiveLimiter(16)
    provider = OpenAIProvider(base_url=upstream.url + "/v1", limiter=limiter, retry=RetryPolicy(max_attempts=1))
    async with provider:
        for _ in range(3):
            with pytest.raises(ProviderError):
                await provider.chat(ChatRequest(model="m", messages=[{"role": "user", "content": "x"}]))
        assert limiter.limit == 2
        upstream.app.config.fail_rate = 0.0
        await asyncio.gather(*(provider.chat(ChatRequest(model="m", messages=[{"role": "user", "content": "x"}]))
                               for _ in range(10)))
    assert limiter.limit > 2 and upstream.stats["max_in_flight"] <= 4


async def test_providers_on_one_endpoint_share_a_limiter() -> None:
    a = OpenAIProvider(base_url="http://shared.test/v1", max_concurrency=5)
    b = OpenAIProvider(base_url="http://shared.test/v1", max_concurrency=5)
    c = OpenAIProvider(base_url="http://other.test/v1", max_concurrency=5)
    async with a, b, c:
        assert a.limiter is b.limiter and a.limiter is not c.limiter
