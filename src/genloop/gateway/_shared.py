"""Gateway state shared by every replica through Redis: rate limits, budgets, the response cache, breakers.

With ``GENLOOP_REDIS_URL`` set, every gateway process (``--workers N``, and replicas on other machines) reads and
writes the same state, with the semantics of the in-process classes they stand in for:

- rate limits are token buckets refilled continuously on Redis's own clock, checked and debited atomically by one
  Lua script per request (one round trip), so N requests per minute hold across all replicas together;
- budgets add the spend not yet committed to the store, kept in Redis, to the committed spend of the key;
- the response cache holds answers under ``SET ... PX ttl`` (entries expire by their TTL; bound the total with
  Redis's ``maxmemory`` and an LRU policy, since a per-deployment entry count cannot be kept cheaply);
- a circuit breaker opened by one replica is open for all; after its cooldown one replica probes (a lease in
  Redis), and a success anywhere closes it.

The calls are synchronous on the event loop (a loopback round trip is ~0.1 ms) with a short socket timeout. When
Redis cannot be reached, each class falls back to its in-process twin and logs it (at most once a minute): the
gateway keeps serving with per-replica limits rather than refusing every request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

from genloop.auth import KeyInfo, RateLimiter
from genloop.auth._limits import LimitExceeded
from genloop.deployments import CacheSpec, CircuitBreakerSpec
from genloop.errors import MissingDependency
from genloop.gateway._resilience import CircuitBreakers, ResponseCache

__all__ = ["SharedBreakers", "SharedCache", "SharedRateLimiter", "connect_redis"]

log = logging.getLogger("genloop.gateway")

# KEYS: tokens bucket, requests bucket, pending spend. ARGV: tpm, rpm, budget, committed spend (-1: no limit).
# Returns {0} when allowed (one request taken), else {1|2|3, retry_after * 1000} for budget, tpm, rpm.
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tpm, rpm = tonumber(ARGV[1]), tonumber(ARGV[2])
local budget, spent = tonumber(ARGV[3]), tonumber(ARGV[4])
if budget >= 0 then
  local pending = tonumber(redis.call('GET', KEYS[3]) or '0')
  if spent + pending >= budget then return {1, 3600000} end
end
local function level(key, cap)
  local b = redis.call('HMGET', key, 'level', 'stamp', 'cap')
  local lv, stamp = tonumber(b[1]), tonumber(b[2])
  if lv == nil or tonumber(b[3]) ~= cap then return cap end
  return math.min(cap, lv + (now - stamp) * cap / 60000)
end
local function save(key, lv, cap)
  redis.call('HSET', key, 'level', tostring(lv), 'stamp', tostring(now), 'cap', tostring(cap))
  redis.call('PEXPIRE', key, 120000)
end
if tpm > 0 then
  local lv = level(KEYS[1], tpm)
  if lv <= 0 then return {2, math.floor((-lv * 60 / tpm + 0.001) * 1000)} end
end
if rpm > 0 then
  local lv = level(KEYS[2], rpm)
  if lv < 1 then return {3, math.ceil((1 - lv) * 60 / rpm * 1000)} end
  save(KEYS[2], lv - 1, rpm)
end
return {0, 0}
"""

# KEYS: tokens bucket. ARGV: tpm, tokens to debit.
_DEBIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local cap, take = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'level', 'stamp', 'cap')
local lv = tonumber(b[1])
if lv == nil or tonumber(b[3]) ~= cap then lv = cap else lv = math.min(cap, lv + (now - tonumber(b[2])) * cap / 60000) end
redis.call('HSET', KEYS[1], 'level', tostring(lv - take), 'stamp', tostring(now), 'cap', tostring(cap))
redis.call('PEXPIRE', KEYS[1], 120000)
return 1
"""

# KEYS: breaker hash. ARGV: probe lease (ms). Returns {allowed, dirty}.
_ALLOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local b = redis.call('HMGET', KEYS[1], 'failures', 'open_until', 'probing_until')
local failures, open_until, probing = tonumber(b[1]), tonumber(b[2]), tonumber(b[3])
if open_until == nil then return {1, failures and 1 or 0} end
if now < open_until then return {0, 1} end
if probing ~= nil and now < probing then return {0, 1} end
redis.call('HSET', KEYS[1], 'probing_until', tostring(now + tonumber(ARGV[1])))
return {1, 1}
"""

# KEYS: breaker hash. ARGV: failures to open, cooldown (ms), enabled (1/0).
_FAIL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local count = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HDEL', KEYS[1], 'probing_until')
if tonumber(ARGV[3]) == 1 and count >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'open_until', tostring(now + tonumber(ARGV[2])))
end
redis.call('PEXPIRE', KEYS[1], math.max(600000, tonumber(ARGV[2]) * 4))
return count
"""


def connect_redis(url: str) -> Any:
    """A redis-py client for ``url`` with short timeouts, or :class:`MissingDependency` naming the extra."""
    try:
        import redis
    except ImportError:
        raise MissingDependency.for_extra("redis", "redis") from None
    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25, health_check_interval=30)


class _Fallback:
    """Redis errors are logged at most once a minute; the caller then uses its in-process twin."""

    def __init__(self) -> None:
        self._logged = 0.0

    def note(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._logged > 60:
            self._logged = now
            log.warning("Redis is unreachable (%s); gateway state is per replica until it is back", exc)


class SharedRateLimiter(RateLimiter):
    """:class:`~genloop.auth.RateLimiter` with its buckets and pending spend in Redis."""

    def __init__(self, client: Any, prefix: str = "genloop:") -> None:
        super().__init__()  # the in-process state is the fallback while Redis is down
        self.redis, self.prefix = client, prefix
        self._check = client.register_script(_CHECK)
        self._debit = client.register_script(_DEBIT)
        self._fallback = _Fallback()

    def _keys(self, key_id: str) -> list[str]:
        base = f"{self.prefix}limit:{key_id}:"
        return [base + "tpm", base + "rpm", base + "spend"]

    def check(self, key: KeyInfo) -> LimitExceeded | None:
        if key.budget_usd is None and key.tpm_limit is None and key.rpm_limit is None:
            return None
        args = [key.tpm_limit or -1, key.rpm_limit or -1,
                -1 if key.budget_usd is None else key.budget_usd, key.spent_usd]
        try:
            code, wait_ms = self._check(keys=self._keys(key.id), args=args)
        except Exception as exc:  # noqa: BLE001 - any Redis failure: serve with this replica's view
            self._fallback.note(exc)
            return super().check(key)
        if code == 0:
            return None
        wait = int(wait_ms) / 1000
        if code == 1:
            return LimitExceeded("insufficient_quota", f"API key {key.id} has spent its budget of ${key.budget_usd:g}",
                                 wait)
        if code == 2:
            return LimitExceeded("rate_limit_exceeded",
                                 f"API key {key.id} reached its limit of {key.tpm_limit} tokens per minute", wait)
        return LimitExceeded("rate_limit_exceeded",
                             f"API key {key.id} reached its limit of {key.rpm_limit} requests per minute", wait)

    def record(self, key: KeyInfo, tokens: int, cost_usd: float) -> None:
        tpm, _, spend = self._keys(key.id)
        try:
            if key.tpm_limit is not None and tokens:
                self._debit(keys=[tpm], args=[key.tpm_limit, tokens])
            if cost_usd:
                self.redis.incrbyfloat(spend, cost_usd)
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            super().record(key, tokens, cost_usd)

    def reset_spend(self, key_id: str, committed: float) -> None:
        super().reset_spend(key_id, committed)
        try:
            left = float(self.redis.incrbyfloat(self._keys(key_id)[2], -committed))
            if left <= 1e-12:
                self.redis.delete(self._keys(key_id)[2])
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)


class SharedCache(ResponseCache):
    """The response cache of one deployment, in Redis (hits and misses are counted per replica)."""

    def __init__(self, client: Any, namespace: str) -> None:
        super().__init__()
        self.redis, self.namespace = client, namespace
        self._fallback = _Fallback()

    def get(self, key: bytes) -> dict[str, Any] | None:
        try:
            raw = self.redis.get(self.namespace + key.hex())
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            return super().get(key)
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        value: dict[str, Any] = orjson.loads(raw)
        return value

    def put(self, key: bytes, value: dict[str, Any], spec: CacheSpec) -> None:
        try:
            self.redis.set(self.namespace + key.hex(), orjson.dumps(value), px=max(1, int(spec.ttl_s * 1000)))
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            super().put(key, value, spec)


class SharedBreakers(CircuitBreakers):
    """Circuit breakers whose failure counts and open state live in Redis, seen by every replica."""

    def __init__(self, client: Any, prefix: str = "genloop:") -> None:
        super().__init__()
        self.redis, self.prefix = client, prefix
        self._allow = client.register_script(_ALLOW)
        self._fail = client.register_script(_FAIL)
        self._dirty: set[str] = set()  # keys whose last look showed failures: a success must clear them
        self._fallback = _Fallback()

    def _key(self, key: str) -> str:
        return f"{self.prefix}breaker:{key}"

    def allow(self, key: str, spec: CircuitBreakerSpec) -> bool:
        if not spec.enabled:
            return True
        try:
            allowed, dirty = self._allow(keys=[self._key(key)], args=[max(1000, int(spec.cooldown_s * 1000))])
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            return super().allow(key, spec)
        if dirty:
            self._dirty.add(key)
        return bool(allowed)

    def success(self, key: str) -> None:
        super().success(key)
        if key in self._dirty:
            self._dirty.discard(key)
            try:
                self.redis.delete(self._key(key))
            except Exception as exc:  # noqa: BLE001
                self._fallback.note(exc)

    def failure(self, key: str, spec: CircuitBreakerSpec) -> None:
        try:
            self._fail(keys=[self._key(key)],
                       args=[spec.failures, int(spec.cooldown_s * 1000), 1 if spec.enabled else 0])
            self._dirty.add(key)
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            super().failure(key, spec)

    def is_open(self, key: str) -> bool:
        try:
            until = self.redis.hget(self._key(key), "open_until")
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            return super().is_open(key)
        return until is not None and float(until) > _redis_now_ms(self.redis)

    def snapshot(self) -> dict[str, Any]:
        try:
            now = _redis_now_ms(self.redis)
            opened: dict[str, float] = {}
            failures: dict[str, int] = {}
            for name in self.redis.scan_iter(match=f"{self.prefix}breaker:*", count=500):
                fields = self.redis.hgetall(name)
                key = name.decode().removeprefix(f"{self.prefix}breaker:")
                if b"failures" in fields:
                    failures[key] = int(fields[b"failures"])
                until = float(fields.get(b"open_until", 0))
                if until > now:
                    opened[key] = round((until - now) / 1000, 1)
            return {"open": opened, "failures": failures, "shared": True}
        except Exception as exc:  # noqa: BLE001
            self._fallback.note(exc)
            return {**super().snapshot(), "shared": False}


def _redis_now_ms(client: Any) -> float:
    seconds, micros = client.time()
    return float(seconds) * 1000 + float(micros) / 1000
