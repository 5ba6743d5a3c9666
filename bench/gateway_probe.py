"""The gateway under instruments, to attribute its tail latency (used by ``bench_gateway.py --probe/--ab``).

    python bench/gateway_probe.py PORT OUT.json [VARIANT,...]

Serves ``genloop gateway`` exactly as :func:`genloop.gateway.serve_gateway` does, and records while it runs:

- event-loop lag: a task asks to wake every 2 ms and records how late it woke (a stall of the loop thread,
  whatever its cause: GC, a thread holding the GIL, a blocking call), with the time of each lag over 3 ms;
- garbage-collector pauses: every collection's generation and duration (``gc.callbacks``), wall and CPU time;
- the cause of each lag over 3 ms, from CPU clocks over the late tick: ``loop`` (the loop thread itself was
  running: GC, a long callback), ``threads`` (another thread of the process ran: it held the GIL), or
  ``descheduled`` (neither: the OS gave the core to another process);

and writes them to ``OUT.json`` when it stops (SIGTERM). VARIANT switches one knob off or on, for an A/B run
in the same load: ``nokeepalive`` (a new upstream connection per request, as before),
``lockedrotate`` (spool rotation wholly under the writer's lock, as before), ``nogctune`` (no :func:`genloop.gateway.tune_gc` at startup), ``nonice`` (the trace writer
child at normal priority), ``gcthresh=N`` (young-generation threshold),
``refresh=S`` (config poll interval), ``flush=S`` (spool rotation interval), ``gcdebug``
(keep the cyclic garbage and list its types in the file).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import sys
import time
from typing import Any

T0 = time.perf_counter()


def _now_ms() -> float:
    return (time.perf_counter() - T0) * 1000


class Probe:
    """Loop-lag and GC-pause recorder for one process."""

    def __init__(self) -> None:
        self.gc: list[tuple[float, int, float, float, int]] = []  # (at ms, generation, wall ms, cpu ms, collected)
        self.causes: dict[str, list[float]] = {"loop": [], "threads": [], "descheduled": []}
        self.lags: list[tuple[float, float]] = []  # (at ms, lag ms) for lags over 3 ms
        self.ticks = 0
        self.lag_hist = [0] * 8  # <1, <2, <3, <5, <10, <20, <50, >=50 ms
        self._gc_start = (0.0, 0.0)
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = (time.perf_counter(), time.thread_time())
        else:
            wall = (time.perf_counter() - self._gc_start[0]) * 1000
            cpu = (time.thread_time() - self._gc_start[1]) * 1000
            self.gc.append((_now_ms(), info["generation"], wall, cpu, info["collected"]))

    async def watch_loop(self, period: float = 0.002) -> None:
        edges = (1, 2, 3, 5, 10, 20, 50)
        while True:
            due = time.perf_counter() + period
            own, process = time.thread_time(), time.process_time()
            await asyncio.sleep(period)
            lag = max(0.0, (time.perf_counter() - due) * 1000)
            self.ticks += 1
            self.lag_hist[next((i for i, e in enumerate(edges) if lag < e), len(edges))] += 1
            if lag >= 3:
                own_ms = (time.thread_time() - own) * 1000
                other_ms = (time.process_time() - process) * 1000 - own_ms
                cause = ("loop" if own_ms >= lag / 2 else "threads" if other_ms >= lag / 2 else "descheduled")
                self.causes[cause].append(lag)
                self.lags.append((_now_ms(), lag))

    def summary(self) -> dict[str, Any]:
        by_gen: dict[int, list[tuple[float, float]]] = {}
        for _at, gen, wall, cpu, _n in self.gc:
            by_gen.setdefault(gen, []).append((wall, cpu))
        return {
            "gc": {str(g): {"count": len(p), "max_cpu_ms": round(max(c for _w, c in p), 2),
                            "total_cpu_ms": round(sum(c for _w, c in p), 1), "max_wall_ms": round(max(w for w, _c in p), 2)}
                   for g, p in sorted(by_gen.items())},
            "gc_events_over_1ms": [e for e in self.gc if e[3] >= 1][:200],
            "lag_causes": {k: {"count": len(v), "total_ms": round(sum(v), 1), "max_ms": round(max(v, default=0), 1)}
                           for k, v in self.causes.items()},
            "lag_ticks": self.ticks,
            "lag_hist": dict(zip(["<1", "<2", "<3", "<5", "<10", "<20", "<50", ">=50"], self.lag_hist, strict=True)),
            "lags_over_3ms": self.lags[:500],
            "gc_frozen": gc.get_freeze_count(),
            "gc_threshold": gc.get_threshold(),
        }


def main(port: int, out: str, variants: set[str]) -> None:
    import uvicorn

    for v in variants:
        if v.startswith("refresh="):
            os.environ["GENLOOP_GATEWAY_REFRESH_INTERVAL"] = v.split("=", 1)[1]
        if v.startswith("flush="):
            os.environ["GENLOOP_TRACE_FLUSH_INTERVAL"] = v.split("=", 1)[1]
    import genloop.gateway._gateway as gateway_module
    from genloop.gateway import GatewayApp, uvicorn_options

    if "nokeepalive" in variants:  # the old behaviour: a new upstream connection per request
        from genloop.gateway import _http1

        headers_complete = _http1._Connection.on_headers_complete

        def no_keep_alive(conn: Any) -> None:
            headers_complete(conn)
            conn.keep_alive = False

        _http1._Connection.on_headers_complete = no_keep_alive  # type: ignore[method-assign]
    if "lockedrotate" in variants:  # the old rotation: the whole of it under the writer's lock
        from genloop.tracing._writer import TraceWriter

        def locked_rotate(writer: Any, spool: Any) -> None:
            with writer._lock:
                writer._closed.add(spool.rotate())

        TraceWriter._rotate_off_the_lock = locked_rotate  # type: ignore[method-assign]
    if "nonice" in variants:
        gateway_module.WriterSupervisor.niceness = 0  # type: ignore[attr-defined]
    probe = Probe()
    app = GatewayApp(owns_process="nogctune" not in variants)
    inner_startup = app.startup

    async def startup() -> None:
        await inner_startup()
        for v in variants:
            if v.startswith("gcthresh="):
                gc.set_threshold(int(v.split("=", 1)[1]), *gc.get_threshold()[1:])
        probe.task = asyncio.get_running_loop().create_task(probe.watch_loop())  # type: ignore[attr-defined]

    inner_shutdown = app.shutdown

    async def shutdown() -> None:  # uvicorn re-raises SIGTERM after its shutdown: write the file here
        summary = probe.summary()
        if "gcdebug" in variants:  # what the cyclic garbage is made of, by type
            gc.collect()
            summary["garbage_types"] = collections.Counter(type(o).__qualname__ for o in gc.garbage).most_common(25)
        with open(out, "w") as fh:
            json.dump({"variants": sorted(variants), **summary}, fh)
        await inner_shutdown()

    if "gcdebug" in variants:
        gc.set_debug(gc.DEBUG_SAVEALL)
    app.startup = startup  # type: ignore[method-assign]
    app.shutdown = shutdown  # type: ignore[method-assign]
    sys.setswitchinterval(0.001)  # as serve_gateway
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **uvicorn_options())


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], set(filter(None, (sys.argv[3] if len(sys.argv) > 3 else "").split(","))))
