"""Per-key rate limits and budgets, enforced in memory on the hot path (one process's view).

Requests per minute and tokens per minute are token buckets that refill continuously; tokens are
debited after the answer (when they are known), so a burst may overshoot by one request's tokens.
Budgets compare the spend recorded in the store plus this process's spend since it last read it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from genloop.auth._schemas import KeyInfo

__all__ = ["LimitExceeded", "RateLimiter"]


@dataclass(slots=True)
class LimitExceeded:
    """Why a request was refused: ``code`` is the OpenAI error code; ``retry_after`` in seconds."""

    code: str
    message: str
    retry_after: float


@dataclass(slots=True)
class _Bucket:
    capacity: float
    level: float
    stamp: float = field(default_factory=time.monotonic)

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.capacity / 60.0)
        self.stamp = now


class RateLimiter:
    """Token buckets per key id; ``check`` before a request, ``record`` after it."""

    def __init__(self) -> None:
        self._requests: dict[str, _Bucket] = {}
        self._tokens: dict[str, _Bucket] = {}
        self._spend: dict[str, float] = {}

    def check(self, key: KeyInfo) -> LimitExceeded | None:
        """Take one request from the key's allowance, or say why not."""
        now = time.monotonic()
        if key.budget_usd is not None:
            spent = key.spent_usd + self._spend.get(key.id, 0.0)
            if spent >= key.budget_usd:
                return LimitExceeded("insufficient_quota",
                                     f"API key {key.id} has spent its budget of ${key.budget_usd:g}", 3600.0)
        if key.tpm_limit is not None:
            bucket = self._bucket(self._tokens, key.id, key.tpm_limit, now)
            if bucket.level <= 0:
                wait = -bucket.level * 60.0 / key.tpm_limit + 0.001
                return LimitExceeded("rate_limit_exceeded",
                                     f"API key {key.id} reached its limit of {key.tpm_limit} tokens per minute", wait)
        if key.rpm_limit is not None:
            bucket = self._bucket(self._requests, key.id, key.rpm_limit, now)
            if bucket.level < 1:
                wait = (1 - bucket.level) * 60.0 / key.rpm_limit
                return LimitExceeded("rate_limit_exceeded",
                                     f"API key {key.id} reached its limit of {key.rpm_limit} requests per minute", wait)
            bucket.level -= 1
        return None

    def record(self, key: KeyInfo, tokens: int, cost_usd: float) -> None:
        """Debit the tokens and spend of a finished request."""
        if key.tpm_limit is not None and tokens:
            self._bucket(self._tokens, key.id, key.tpm_limit, time.monotonic()).level -= tokens
        if cost_usd:
            self._spend[key.id] = self._spend.get(key.id, 0.0) + cost_usd

    def reset_spend(self, key_id: str, committed: float) -> None:
        """Forget spend that the store now includes (called after a batch of traces commits)."""
        left = self._spend.get(key_id, 0.0) - committed
        if left > 1e-12:
            self._spend[key_id] = left
        else:
            self._spend.pop(key_id, None)

    @staticmethod
    def _bucket(table: dict[str, _Bucket], key_id: str, capacity: int, now: float) -> _Bucket:
        bucket = table.get(key_id)
        if bucket is None or bucket.capacity != capacity:
            bucket = table[key_id] = _Bucket(float(capacity), float(capacity), now)
        else:
            bucket.refill(now)
        return bucket
