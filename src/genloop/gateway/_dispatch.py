"""Sending a request upstream: the variant first, then the fallback chain; retries with backoff on each,
circuit breakers around each upstream, and every attempt recorded as a span on the trace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from genloop.gateway._config import Deployment, Variant
from genloop.gateway._errors import GatewayError
from genloop.gateway._provider_upstream import ProviderUpstream
from genloop.gateway._resilience import CircuitBreakers, backoff_s
from genloop.gateway._upstream import OpenAIUpstream, Target, UpstreamError
from genloop.tracing import new_span_id

__all__ = ["Dispatcher"]

BodyFor = Callable[[Variant], dict[str, Any]]


class Dispatcher:
    """Owns the upstream clients and breakers of one gateway process."""

    def __init__(self, settings: Any, pool_size: int) -> None:
        self.openai = OpenAIUpstream(pool_size)
        self.providers = ProviderUpstream(settings)
        self.breakers = CircuitBreakers()
        self.on_failure: Callable[[Deployment, Variant, UpstreamError], None] | None = None

    def client(self, target: Target) -> OpenAIUpstream | ProviderUpstream:
        return self.openai if target.provider == "openai" else self.providers

    async def call(self, dep: Deployment, first: Variant, body_for: BodyFor, rec: dict[str, Any],
                   op: str) -> tuple[Any, Variant]:
        """Run ``op`` (``chat``, ``embed`` or ``stream``) on ``first``, then on the fallbacks; return
        the answer (a dict, or an open :class:`UpstreamStream`) and the variant that gave it."""
        spec = dep.info
        chain = [first, *dep.fallbacks]
        last: UpstreamError | None = None
        spans = rec.setdefault("spans", [])
        root = spans[0]["span_id"] if spans else None
        for variant in chain:
            target = variant.target
            key = target.breaker_key
            body = body_for(variant)
            client = self.client(target)
            for attempt in range(1, spec.retries.attempts + 1):
                if not self.breakers.allow(key, spec.circuit_breaker):
                    last = UpstreamError(503, f"upstream {target.label} is cooling down after repeated failures "
                                         "(circuit open)", retryable=True, kind="circuit_open")
                    break
                started, clock = time.time(), time.perf_counter()
                try:
                    if op == "chat":
                        result: Any = await client.chat(target, body, spec.timeout_s)
                    elif op == "embed":
                        result = await client.embed(target, body, spec.timeout_s)
                    else:
                        result = await client.open_stream(target, body, spec.timeout_s)
                except UpstreamError as exc:
                    spans.append(_span(root, variant, attempt, started, clock, exc))
                    if self.on_failure is not None:
                        self.on_failure(dep, variant, exc)
                    if _callers_fault(exc):
                        raise GatewayError(400, exc.message, code="upstream_rejected") from exc
                    self.breakers.failure(key, spec.circuit_breaker)
                    last = exc
                    if not exc.retryable:
                        break
                    if attempt < spec.retries.attempts:
                        await asyncio.sleep(backoff_s(attempt, spec.retries, exc.retry_after))
                    continue
                self.breakers.success(key)
                spans.append(_span(root, variant, attempt, started, clock, None))
                if variant is not first:
                    rec["fallback_from"] = first.name
                return result, variant
        raise _final_error(last)

    async def aclose(self) -> None:
        await self.openai.aclose()
        await self.providers.aclose()


def _callers_fault(exc: UpstreamError) -> bool:
    """An upstream 4xx about the request itself (not auth, not limits): no fallback will do better."""
    return exc.kind == "http" and 400 <= exc.status < 500 and exc.status not in (401, 403, 404, 408, 409, 429)


def _final_error(last: UpstreamError | None) -> GatewayError:
    if last is None:
        return GatewayError(503, "no upstream could be tried", code="upstream_unavailable")
    if last.kind == "circuit_open":
        return GatewayError(503, last.message, code="circuit_open", retry_after=5)
    if last.status == 429:
        return GatewayError(429, last.message, code="upstream_rate_limited", retry_after=last.retry_after)
    if last.kind == "timeout":
        return GatewayError(504, last.message, code="upstream_timeout")
    return GatewayError(502, last.message, code="upstream_error")


def _span(root: str | None, variant: Variant, attempt: int, started: float, clock: float,
          error: UpstreamError | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"genloop.variant": variant.name, "gen_ai.request.model": variant.target.model,
                                  "gen_ai.provider.name": variant.target.provider, "attempt": attempt}
    if error is not None:
        attributes["error.type"] = error.kind
        attributes["http.response.status_code"] = error.status
        attributes["error.message"] = error.message[:500]
    return {"span_id": new_span_id(), "parent_span_id": root, "name": f"upstream {variant.target.label}",
            "kind": "client", "status": "error" if error else "ok", "started_at": started,
            "duration_ms": round((time.perf_counter() - clock) * 1000, 3), "attributes": attributes}
