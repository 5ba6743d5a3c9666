"""The gateway's state and lifecycle: the snapshot and its refresher, the trace writer, limits and metrics.

Nothing here touches the database on the request path: the snapshot is refreshed in a worker thread
when the audit log moves, and traces leave through :class:`~genloop.tracing.TraceWriter`.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from genloop.auth import KeyInfo, RateLimiter, bearer_token
from genloop.gateway._config import Deployment, Snapshot, build_snapshot, change_marker
from genloop.gateway._dispatch import Dispatcher
from genloop.gateway._errors import GatewayError
from genloop.gateway._metrics import GatewayMetrics
from genloop.gateway._request import Exchange
from genloop.gateway._resilience import ResponseCache
from genloop.gateway._shared import SharedBreakers, SharedCache, SharedRateLimiter, connect_redis
from genloop.gateway._writer_process import WriterSupervisor, add_spend, key_spend
from genloop.refs import _NAME_RE
from genloop.settings import Settings
from genloop.store import Store
from genloop.tracing import TraceWriter, new_span_id, new_trace_id
from genloop.tracing._bounds import bound_scalars
from genloop.tracing._drain import read_status, writer_running

__all__ = ["Caller", "Gateway", "tune_gc"]

log = logging.getLogger("genloop.gateway")


def tune_gc() -> None:
    """Keep the garbage collector's full collections off the event loop, once the process has started.

    The startup heap (modules, SQLAlchemy and pydantic machinery, the first snapshot) is about 165,000 objects
    that live as long as the process; a full (generation 2) collection walked all of them, about 100 ms of CPU
    with the loop stopped (measured with ``bench/bench_gateway_ab.py``). ``gc.freeze()`` moves them to the
    permanent generation, which collections skip; reference cycles made later are still collected. The
    young-generation threshold stays CPython's: a request makes no cyclic garbage, so young collections are
    rare and short (a threshold of 20,000 made each one cost up to 14 ms).
    """
    gc.collect()
    gc.freeze()


@dataclass(slots=True)
class Caller:
    """Who is calling: the project they act in and their key (None when auth is off and no key was sent)."""

    project: str
    key: KeyInfo | None


class Gateway:
    """State shared by every request of one gateway process."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.snapshot = Snapshot()
        self.redis = connect_redis(settings.redis_url) if settings.redis_url else None  # state shared by replicas
        self.limiter = SharedRateLimiter(self.redis) if self.redis is not None else RateLimiter()
        in_process = settings.trace_writer == "thread"
        self.writer = TraceWriter(
            store, settings.resolved_trace_spool_dir, batch_size=settings.trace_batch_size,
            flush_interval=settings.trace_flush_interval, queue_max=settings.trace_queue_max,
            fsync=settings.trace_spool_fsync, on_commit=add_spend, after_commit=self._committed,
            mode="thread" if in_process else "spool",
        )
        # the writer process: this process only spools, so no database write shares the event loop's GIL
        self.writer_process = None if in_process else WriterSupervisor(settings)
        self.metrics = GatewayMetrics(pending=lambda: float(self.writer.pending),
                                      dead_lettered=lambda: float(self.writer.dead_lettered))
        self.dispatcher = Dispatcher(settings, pool_size=max(64, settings.gateway_max_inflight * 2))
        if self.redis is not None:
            self.dispatcher.breakers = SharedBreakers(self.redis)
        self.dispatcher.on_failure = lambda dep, variant, exc: self.metrics.add(
            "upstream_failures", (dep.name, variant.name, exc.kind))
        self.caches: dict[tuple[str, str], ResponseCache] = {}
        self.in_flight = 0
        self.shadow_tasks: set[asyncio.Task[Any]] = set()
        self._refresher: asyncio.Task[None] | None = None
        self.started = False

    # -- lifecycle -------------------------------------------------------------------------------

    async def startup(self) -> None:
        """Start the trace writer, load the first snapshot, and start refreshing it in the background."""
        if self.started:
            return
        self.writer.start()
        if self.writer_process is not None:
            self.writer_process.start()
        await asyncio.to_thread(self.refresh_now)
        self._refresher = asyncio.create_task(self._refresh_loop(), name="genloop-gateway-refresh")
        self.started = True

    async def shutdown(self) -> None:
        """Stop refreshing, let shadow calls finish briefly, close upstream pools, flush traces."""
        if self._refresher is not None:
            self._refresher.cancel()
            try:
                await self._refresher
            except asyncio.CancelledError:
                pass
        if self.shadow_tasks:
            await asyncio.wait(list(self.shadow_tasks), timeout=5)
        await self.dispatcher.aclose()
        await asyncio.to_thread(self.writer.close)  # with a writer process: waits for it to write the spool
        if self.writer_process is not None:
            await asyncio.to_thread(self.writer_process.stop)
        self.started = False

    def refresh_now(self) -> bool:
        """Rebuild the snapshot if the store changed since the last one; True when it was rebuilt."""
        marker = change_marker(self.store)
        if marker == self.snapshot.marker and self.snapshot.marker is not None:
            return False
        previous = self.snapshot
        self.snapshot = build_snapshot(self.store, self.settings, self.snapshot, marker)
        if self.writer_process is not None:  # spend the writer process committed is now in the keys' totals
            spent = {key.id: key.spent_usd for key in previous.keys.values()}
            for key in self.snapshot.keys.values():
                delta = key.spent_usd - spent.get(key.id, key.spent_usd)
                if delta > 0:
                    RateLimiter.reset_spend(self.limiter, key.id, delta)  # this process's pending part only
        return True

    async def _refresh_loop(self) -> None:
        interval = self.settings.gateway_refresh_interval
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh_now)
            except Exception:  # the store may be briefly unreachable; keep serving the last view
                log.exception("gateway config refresh failed; serving the previous configuration")

    def writer_status(self) -> dict[str, Any]:
        """How traces reach the store: the mode, and for a writer process whether one leads and what it did."""
        if self.writer_process is None:
            return {"mode": "thread"}
        root = self.settings.resolved_trace_spool_dir
        return {"mode": "process", "running": writer_running(root), "restarts": self.writer_process.restarts,
                "last": read_status(root)}

    # -- callers ---------------------------------------------------------------------------------

    def caller(self, ex: Exchange, scope_needed: str = "gateway", *, limit: bool = True) -> Caller:
        """Authenticate the caller (and, for model calls, apply its key's limits); raises 401/403/429."""
        token = bearer_token(ex.scope["headers"])
        key = None
        if token is not None:
            key = self.snapshot.keys.get(hashlib.sha256(token.encode("utf-8", "replace")).hexdigest())
        if self.settings.auth:
            if key is None or not key.active:
                raise GatewayError(401, "invalid, expired or revoked API key" if token else
                                   "this gateway requires an API key (Authorization: Bearer <key>)",
                                   code="invalid_api_key")
            if not key.allows(scope_needed):
                raise GatewayError(403, f"API key {key.id} lacks the {scope_needed!r} scope",
                                   code="insufficient_scope")
        elif key is not None and not key.active:
            key = None
        if key is not None:
            exceeded = self.limiter.check(key) if limit else None
            if exceeded is not None:
                raise GatewayError(429, exceeded.message, code=exceeded.code, retry_after=exceeded.retry_after,
                                   trace_status="rejected")
            return Caller(key.project, key)
        project = ex.header(b"x-genloop-project") or self.settings.gateway_project
        if not _NAME_RE.fullmatch(project):
            raise GatewayError(400, f"invalid project {project!r} in x-genloop-project", param="x-genloop-project")
        return Caller(project, None)

    def deployment(self, caller: Caller, name: Any) -> Deployment:
        """The deployment a request's ``model`` names, or the 400/403/404/422 answer.

        A deployment whose latest version cannot be built (a label or alias moved away, a connection deleted)
        and that has no earlier good version is a 422: the request is well formed but cannot be served, and
        OpenAI clients retry 408/409/429/5xx only, so one call makes one trace, not three.
        """
        if not isinstance(name, str) or not name:
            raise GatewayError(400, "'model' is required: the name of a deployment", param="model",
                               code="missing_model")
        dep = self.snapshot.deployments.get((caller.project, name))
        if dep is None:
            why = self.snapshot.errors.get((caller.project, name))
            if why is not None:
                raise GatewayError(422, f"deployment {name!r} cannot be served: {why}", code="deployment_broken",
                                   param="model")
            raise GatewayError(404, f"the model {name!r} does not exist in project {caller.project!r}; "
                               "list deployments with GET /v1/models", param="model", code="model_not_found")
        if caller.key is not None and not caller.key.allows_deployment(name):
            raise GatewayError(403, f"API key {caller.key.id} may not call deployment {name!r}",
                               code="deployment_not_allowed")
        return dep

    def cache_for(self, dep: Deployment) -> ResponseCache:
        key = (dep.project, dep.name)
        cache = self.caches.get(key)
        if cache is None:
            cache = self.caches[key] = (ResponseCache() if self.redis is None else
                                        SharedCache(self.redis, f"genloop:cache:{dep.project}:{dep.name}:"))
        return cache

    # -- traces ----------------------------------------------------------------------------------

    def new_record(self, name: str, project: str, key: KeyInfo | None) -> dict[str, Any]:
        """A trace record with its id, start time and root span."""
        now = time.time()
        return {"id": new_trace_id(), "project": project, "source": "gateway", "name": name, "status": "ok",
                "started_at": now, "api_key": key.id if key is not None else None, "_clock": time.perf_counter(),
                "spans": [{"span_id": new_span_id(), "parent_span_id": None, "name": name, "kind": "server",
                           "status": "ok", "started_at": now, "attributes": {}}]}

    def finish(self, rec: dict[str, Any], key: KeyInfo | None) -> None:
        """Close the trace: latency, metrics, key usage, and hand it to the writer (never raises).

        The record's typed fields are bounded first, and a failure in metrics or limits is logged, never a
        reason to drop the trace: every answered request has its trace.
        """
        try:
            latency = round((time.perf_counter() - rec.pop("_clock")) * 1000, 3)
            rec["latency_ms"] = latency
            root = rec["spans"][0]
            root["duration_ms"] = latency
            root["status"] = "ok" if rec["status"] == "ok" else "error"
            bound_scalars(rec)
            self.metrics.observe(rec)
            if key is not None:
                tokens = (rec.get("input_tokens") or 0) + (rec.get("output_tokens") or 0)
                self.limiter.record(key, tokens, rec.get("cost_usd") or 0.0)
        except Exception:
            log.exception("could not account for trace %s; recording it anyway", rec.get("id"))
        try:
            self.writer.submit(rec)
        except Exception:  # tracing must never fail a request that was answered
            log.exception("could not record trace %s", rec.get("id"))

    def _committed(self, records: list[dict[str, Any]]) -> None:
        for key_id, usd in key_spend(records).items():
            self.limiter.reset_spend(key_id, usd)
            for key in self.snapshot.keys.values():
                if key.id == key_id:
                    key.spent_usd += usd

