"""Retries with exponential backoff and full jitter, bounded by attempts and by a total deadline.

Only :class:`~genloop.errors.ProviderError` with ``retryable=True`` is retried: timeouts, connection
errors, 408, 429 and 5xx (the HTTP layer decides). A ``Retry-After`` from the upstream (in the error's
``details["retry_after"]``) is a floor on the wait. Every other error propagates at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from genloop.errors import ProviderError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "is_retryable_status", "parse_retry_after", "retry_call"]

T = TypeVar("T")
log = logging.getLogger("genloop.providers")

RETRYABLE_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """408, 429 and every 5xx (including Anthropic's 529 'overloaded')."""
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``max_attempts`` in all (1 = no retry), waits of full jitter over an exponential
    ceiling ``base_delay * 2**n`` capped at ``max_delay``, and at most ``deadline`` seconds in all."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float | None = 300.0

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """The jittered wait before retry number ``retry`` (1-based): uniform in [0, ceiling]."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return (rng or random).uniform(0, ceiling)


NO_RETRY = RetryPolicy(max_attempts=1)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` as seconds or an HTTP date; None if absent."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


async def retry_call(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str = "request",
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run ``attempt`` until it succeeds, raises a non-retryable error, or attempts or deadline run out.

    Each attempt runs under the remaining deadline; when it expires the call fails with a ProviderError.
    """
    started = time.monotonic()
    deadline = started + policy.deadline if policy.deadline else None
    number = 0
    while True:
        number += 1
        try:
            if deadline is None:
                return await attempt()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _deadline_error(what, policy)
            scope = asyncio.timeout(remaining)
            try:
                async with scope:
                    return await attempt()
            except TimeoutError:
                if scope.expired():
                    raise _deadline_error(what, policy) from None
                raise
        except ProviderError as exc:
            if not exc.retryable or number >= policy.max_attempts:
                raise
            wait = policy.backoff(number, rng)
            retry_after = exc.details.get("retry_after")
            if isinstance(retry_after, int | float):
                wait = max(wait, float(retry_after))
            if deadline is not None and time.monotonic() + wait >= deadline:
                raise  # waiting would overrun the deadline: fail now with the upstream's error
            log.info("%s failed (%s); retry %d/%d in %.2fs", what, exc.message, number, policy.max_attempts - 1, wait)
            await sleep(wait)


def _deadline_error(what: str, policy: RetryPolicy) -> ProviderError:
    return ProviderError(
        f"{what} did not finish within its deadline of {policy.deadline:g}s",
        hint="the upstream is slow or unreachable; raise the deadline or try again later",
        retryable=True,
    )
