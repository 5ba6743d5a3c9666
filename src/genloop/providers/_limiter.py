"""Adaptive concurrency per provider endpoint (AIMD, as TCP congestion control).

The limit starts at ``max_limit``. A throttle (HTTP 429, or Anthropic's 529) halves it, once per window: the
other requests of the same window that also got throttled do not halve it again. After ``limit`` successes
(one window) the limit grows by one. It always stays within [min_limit, max_limit].
Waiters are served first come, first served. One limiter belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["THROTTLE_STATUSES", "AdaptiveLimiter", "Permit", "shared_limiter"]

THROTTLE_STATUSES = frozenset({429, 529})


class Permit:
    """One admitted request; report its outcome with ``success()`` or ``throttled()`` (or neither)."""

    __slots__ = ("_epoch", "_limiter", "_outcome")

    def __init__(self, limiter: AdaptiveLimiter, epoch: int) -> None:
        self._limiter = limiter
        self._epoch = epoch
        self._outcome: str | None = None

    def success(self) -> None:
        self._outcome = "success"

    def throttled(self) -> None:
        self._outcome = "throttled"


class AdaptiveLimiter:
    """At most ``limit`` requests in flight; the limit adapts to the upstream's throttling."""

    def __init__(self, max_limit: int = 64, *, min_limit: int = 1, initial: int | None = None) -> None:
        if not 1 <= min_limit <= max_limit:
            raise ValueError(f"need 1 <= min_limit <= max_limit, got {min_limit} and {max_limit}")
        self.min_limit = min_limit
        self.max_limit = max_limit
        self._limit = min(max(initial if initial is not None else max_limit, min_limit), max_limit)
        self._successes = 0
        self._in_flight = 0
        self._epoch = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        """Requests currently allowed in flight."""
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Permit]:
        """Wait for room, then hold one slot for the block; the permit's outcome adjusts the limit."""
        await self._acquire()
        permit = Permit(self, self._epoch)
        try:
            yield permit
        finally:
            self._release(permit)

    async def _acquire(self) -> None:
        if self._in_flight < self.limit and not self._waiters:
            self._in_flight += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._in_flight -= 1  # admitted and cancelled at once: hand the slot on
                self._wake()
            else:
                self._waiters.remove(waiter)
            raise

    def _release(self, permit: Permit) -> None:
        self._in_flight -= 1
        if permit._outcome == "throttled":
            if permit._epoch == self._epoch:  # first throttle of this window
                self._limit = max(self.min_limit, self._limit // 2)
                self._successes = 0
                self._epoch += 1
        elif permit._outcome == "success" and self._limit < self.max_limit:
            self._successes += 1
            if self._successes >= self._limit:
                self._limit += 1
                self._successes = 0
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)

    def __repr__(self) -> str:
        return f"AdaptiveLimiter(limit={self.limit}, in_flight={self._in_flight}, max={self.max_limit})"


_shared: dict[tuple[str, str], AdaptiveLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(provider: str, base_url: str, max_limit: int) -> AdaptiveLimiter:
    """The process-wide limiter of one endpoint, so every Provider object on it shares one budget."""
    with _shared_lock:
        limiter = _shared.get((provider, base_url))
        if limiter is None or limiter.max_limit != max_limit:
            limiter = _shared[(provider, base_url)] = AdaptiveLimiter(max_limit)
        return limiter
