"""What keeps a deployment answering when upstreams misbehave: circuit breakers, backoff, a response cache."""

from __future__ import annotations

import collections
import hashlib
import random
import time
from typing import Any

import orjson

from genloop.deployments import CacheSpec, CircuitBreakerSpec, RetrySpec

__all__ = ["CircuitBreakers", "ResponseCache", "backoff_s", "cache_key"]


class CircuitBreakers:
    """Per-upstream breakers: after N failures in a row an upstream is skipped for a cooldown, then tried once."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._open_until: dict[str, float] = {}
        self._probing: set[str] = set()

    def allow(self, key: str, spec: CircuitBreakerSpec) -> bool:
        """Whether a call to ``key`` may go out now (one probe is let through once the cooldown ends)."""
        if not spec.enabled:
            return True
        until = self._open_until.get(key)
        if until is None:
            return True
        if time.monotonic() < until or key in self._probing:
            return False
        self._probing.add(key)  # half-open: this call is the probe
        return True

    def success(self, key: str) -> None:
        if key in self._failures or key in self._open_until:
            self._failures.pop(key, None)
            self._open_until.pop(key, None)
        self._probing.discard(key)

    def failure(self, key: str, spec: CircuitBreakerSpec) -> None:
        count = self._failures.get(key, 0) + 1
        self._failures[key] = count
        self._probing.discard(key)
        if spec.enabled and count >= spec.failures:
            self._open_until[key] = time.monotonic() + spec.cooldown_s

    def is_open(self, key: str) -> bool:
        until = self._open_until.get(key)
        return until is not None and time.monotonic() < until

    def snapshot(self) -> dict[str, Any]:
        """Open breakers and failure counts, for the health endpoint."""
        now = time.monotonic()
        return {"open": {k: round(v - now, 1) for k, v in self._open_until.items() if v > now},
                "failures": dict(self._failures)}


def backoff_s(retry: int, spec: RetrySpec, retry_after: float | None = None) -> float:
    """Seconds before retry number ``retry`` (1-based): full jitter on an exponential ceiling, or Retry-After."""
    ceiling = min(spec.max_backoff_ms, spec.backoff_ms * 2 ** (retry - 1)) / 1000
    if retry_after is not None:
        return min(retry_after, spec.max_backoff_ms / 1000)
    return random.uniform(ceiling / 2, ceiling)


def cache_key(deployment: str, version: int, variant: str, body: dict[str, Any]) -> bytes:
    """The identity of a request for the exact-match cache (the user id is not part of it)."""
    parts = {k: v for k, v in body.items() if k not in ("user", "stream", "stream_options")}
    canonical = orjson.dumps([deployment, version, variant, parts], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=20).digest()


class ResponseCache:
    """An LRU of completed answers with a TTL per entry, bounded in entries per deployment spec."""

    def __init__(self) -> None:
        self._data: collections.OrderedDict[bytes, tuple[float, dict[str, Any]]] = collections.OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> dict[str, Any] | None:
        entry = self._data.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry[0] < time.monotonic():
            del self._data[key]
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: bytes, value: dict[str, Any], spec: CacheSpec) -> None:
        self._data[key] = (time.monotonic() + spec.ttl_s, value)
        self._data.move_to_end(key)
        while len(self._data) > spec.max_entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
