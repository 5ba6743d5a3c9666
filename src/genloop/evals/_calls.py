"""Model calls for evaluations: a content-hash cache, single flight, a cost meter and bounded concurrency.

Every call of the engine (a candidate's answer, a judge's verdict) goes through :class:`ModelCaller`.
The cache key is a hash of everything that can change the answer: the provider, where the call goes (the
executor's resolved endpoint: the provider's kind, base URL, whether chosen in the target or read from the
settings, and the rest of its config), the model, messages and parameters (tools, response format and any
wire-specific ``extra`` included); a repeat or a judge sample past the
first adds its index to the parameters, so each (item, order, sample) is one upstream call, once. Errors
are never cached. The cost meter stops the run before a paid call once the cap is reached.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genloop.evals._spec import canonical_hash

__all__ = ["CallOutcome", "CostCapReached", "CostMeter", "ModelCaller", "ModelTarget", "call_key", "split_params"]

_REQUEST_FIELDS = ("temperature", "top_p", "max_tokens", "stop", "seed", "response_format")


class CostCapReached(Exception):
    """Raised inside the engine when the next paid call would start past the spec's ``max_cost``."""


@dataclass(frozen=True)
class ModelTarget:
    """A resolved model: provider name, model name, provider config and default parameters.

    ``ref`` is the registry version (``NAME@N``) when the model came from the registry.
    """

    provider: str
    model: str
    config: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None

    @property
    def label(self) -> str:
        return self.ref or f"{self.provider}:{self.model}"

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "config": self.config, "params": self.params,
                "ref": self.ref}


@dataclass
class CallOutcome:
    """One reply: text, usage, latency, cost (None when unpriced), and whether the cache answered."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float | None = None
    cost: float | None = None
    cached: bool = False

    def to_cache(self) -> dict[str, Any]:
        return {"text": self.text, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "latency_s": self.latency_s, "cost": self.cost}

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> CallOutcome:
        return cls(text=str(data.get("text", "")), input_tokens=int(data.get("input_tokens") or 0),
                   output_tokens=int(data.get("output_tokens") or 0), latency_s=data.get("latency_s"),
                   cost=data.get("cost"), cached=True)


def split_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split sampling parameters into the provider request's own fields and wire-specific ``extra``."""
    own = {k: v for k, v in params.items() if k in _REQUEST_FIELDS and v is not None}
    extra = {k: v for k, v in params.items() if k not in _REQUEST_FIELDS and k != "extra"}
    extra.update(params.get("extra") or {})
    return own, extra


def call_key(target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any], variant: int = 0,
             endpoint: dict[str, Any] | None = None) -> str:
    """The cache key of one call: a hash of provider, endpoint, model, messages, parameters (and the sample
    index). ``endpoint`` is :meth:`Executor.endpoint`; without it the target's own config stands in."""
    body: dict[str, Any] = {"provider": target.provider, "model": target.model, "messages": messages,
                            "params": params}
    if endpoint is not None:
        body["endpoint"] = endpoint
    elif target.config.get("base_url"):
        body["base_url"] = target.config["base_url"]
    if variant:
        body["variant"] = variant
    return canonical_hash(body)


class CostMeter:
    """USD spent by a run (earlier sessions included); ``check`` raises once the cap is reached."""

    def __init__(self, max_cost: float | None, spent: float = 0.0) -> None:
        self.max_cost = max_cost
        self.spent = spent

    def check(self) -> None:
        if self.max_cost is not None and self.spent >= self.max_cost:
            raise CostCapReached(f"cost cap ${self.max_cost:g} reached (spent ${self.spent:.4f})")

    def add(self, cost: float | None) -> None:
        if cost:
            self.spent += cost


class ModelCaller:
    """Cache-aware, single-flight model calls through an executor, at most ``concurrency`` at a time.

    ``cache_get(keys)`` and ``cache_put(entries)`` are the store's (local or remote); lookups made in the
    same tick are batched into one query, and replies are remembered in memory until they are written.
    """

    def __init__(self, executor: Any, *, concurrency: int, meter: CostMeter,
                 cache_lookup: Callable[[list[str]], dict[str, Any]], on_reply: Callable[[str, ModelTarget,
                 CallOutcome], None], memory: int = 200_000) -> None:
        self.executor = executor
        self.meter = meter
        self.upstream_calls = 0
        self.cache_hits = 0
        self._lookup = cache_lookup
        self._on_reply = on_reply
        self._semaphore = asyncio.Semaphore(concurrency)
        self._inflight: dict[str, asyncio.Future[CallOutcome]] = {}
        self._memory: OrderedDict[str, CallOutcome] = OrderedDict()
        self._memory_size = memory
        self._pending: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._lookup_task: asyncio.Task[None] | None = None
        self._endpoints: dict[str, dict[str, Any]] = {}

    def _endpoint(self, target: ModelTarget) -> dict[str, Any] | None:
        describe = getattr(self.executor, "endpoint", None)
        if describe is None:
            return None
        memo = canonical_hash([target.provider, target.config])
        found = self._endpoints.get(memo)
        if found is None:
            found = self._endpoints[memo] = describe(target)
        return found

    async def call(self, target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any] | None = None,
                   *, variant: int = 0) -> CallOutcome:
        """One reply for ``messages``: from memory, the cache, an identical call in flight, or the upstream."""
        merged = {**target.params, **(params or {})}
        key = call_key(target, messages, merged, variant, self._endpoint(target))
        hit = self._memory.get(key)
        if hit is not None:
            self.cache_hits += 1
            return CallOutcome(**{**hit.__dict__, "cached": True})
        running = self._inflight.get(key)
        if running is not None:
            outcome = await asyncio.shield(running)
            return CallOutcome(**{**outcome.__dict__, "cached": True})
        future: asyncio.Future[CallOutcome] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            outcome = await self._resolve(key, target, messages, merged)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # mark it retrieved: callers waiting on it re-raise it themselves
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(outcome)
        self._remember(key, outcome)
        return outcome

    async def _resolve(self, key: str, target: ModelTarget, messages: list[dict[str, Any]],
                       params: dict[str, Any]) -> CallOutcome:
        stored = await self._cached(key)
        if stored is not None:
            self.cache_hits += 1
            return CallOutcome.from_cache(stored)
        self.meter.check()
        own, extra = split_params(params)
        async with self._semaphore:
            self.meter.check()
            start = time.perf_counter()
            self.upstream_calls += 1
            result = await self.executor.chat(target, messages, own, extra)
        outcome = CallOutcome(text=result["text"], input_tokens=result.get("input_tokens", 0),
                              output_tokens=result.get("output_tokens", 0),
                              latency_s=result.get("latency_s", time.perf_counter() - start), cost=result.get("cost"))
        self.meter.add(outcome.cost)
        self._on_reply(key, target, outcome)
        return outcome

    def _remember(self, key: str, outcome: CallOutcome) -> None:
        self._memory[key] = outcome
        if len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)

    async def _cached(self, key: str) -> dict[str, Any] | None:
        future = self._pending.get(key)
        if future is None:
            future = self._pending[key] = asyncio.get_running_loop().create_future()
            if self._lookup_task is None or self._lookup_task.done():
                self._lookup_task = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the other calls of this tick queue their keys
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                found = await asyncio.to_thread(self._lookup, list(batch))
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who re-raises it
                for future in batch.values():
                    if not future.done():
                        future.set_exception(exc)
                continue
            for key, future in batch.items():
                if not future.done():
                    future.set_result(found.get(key))
