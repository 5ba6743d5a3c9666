"""Monitor evaluation over 24 h of traces: GenLoop's SQL aggregates against reading the rows into Python.

    python bench/bench_monitoring.py [--traces 1000000] [--database-url URL] [--repeat 3]

Fills a fresh store (a temporary SQLite file, or the PostgreSQL database given) with ``--traces`` traces
spread over the last 24 hours (deployment ``bot``, two variants, 3% errors, 1% 429s, a latency and cost
each; plus 10% of another deployment), then times, per gateway signal, ``evaluate_monitor`` over a 24 h
window (the value from one SQL aggregate, the state, the alert row) and a baseline that reads the window's
rows and computes the same value in Python. The goal: each monitor evaluates in < 1 s at 1 M traces.
Prints one line per signal: median seconds of each and the ratio baseline / genloop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time

from sqlalchemy import select

from genloop.monitoring import MonitorService
from genloop.monitoring._alerts import evaluate_monitor
from genloop.monitoring._tables import MonitorRow
from genloop.settings import Settings
from genloop.store import Store, utcnow
from genloop.store._registry import ensure_project
from genloop.tracing._tables import TraceRow

SIGNALS = ("error_rate", "p95_latency_ms", "cost_per_hour", "rate_limited", "requests", "guardrail_hit_rate")


def fill(store: Store, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    project_id = store.db.write(lambda s: ensure_project(s, "default", "bench").id)
    now = utcnow()
    batch = 20_000
    table = TraceRow.__table__
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            status, http = ("error", 502) if rng.random() < 0.03 else ("ok", 200)
            if rng.random() < 0.01:
                status, http = "error", 429
            rows.append({"id": f"{rng.getrandbits(128):032x}", "project_id": project_id, "source": "gateway",
                         "name": "chat", "deployment": "bot" if i % 10 else "other",
                         "variant": "canary" if i % 4 == 0 else "main", "status": status, "http_status": http,
                         "latency_ms": rng.lognormvariate(5.5, 0.5), "cost_usd": rng.random() * 1e-3,
                         "cache_hit": False, "stream": False, "metadata": {},
                         "guardrail_action": "redact" if rng.random() < 0.02 else None,
                         "started_at": now - dt.timedelta(seconds=rng.random() * 86400), "created_at": now})
        store.db.write(lambda s, rows=rows: s.execute(table.insert(), rows))


def python_value(store: Store, signal: str, start: dt.datetime) -> float | None:
    """The baseline: read the window's rows and compute the value in Python."""
    with store.db.read() as session:
        rows = session.execute(select(TraceRow.status, TraceRow.http_status, TraceRow.latency_ms, TraceRow.cost_usd,
                                      TraceRow.guardrail_action)
                               .where(TraceRow.deployment == "bot", TraceRow.started_at >= start)).all()
    if signal == "p95_latency_ms":
        values = sorted(r[2] for r in rows)
        return values[max(int(0.95 * len(values) + 0.999999) - 1, 0)] if values else None
    if signal == "error_rate":
        return sum(r[0] == "error" for r in rows) / max(len(rows), 1)
    if signal == "cost_per_hour":
        return sum(r[3] or 0 for r in rows) / 24
    if signal == "rate_limited":
        return float(sum(r[1] == 429 for r in rows))
    if signal == "guardrail_hit_rate":
        return sum(r[4] is not None for r in rows) / max(len(rows), 1)
    return float(len(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--traces", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-fill", action="store_true", help="time the traces already in --database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        store = Store(Settings(home=tmp, database_url=url, artifacts_uri=f"{tmp}/artifacts"))
        started = time.perf_counter()
        if not args.skip_fill:
            fill(store, args.traces)
        print(f"{'kept the traces in' if args.skip_fill else f'filled {args.traces:,} traces in'} {time.perf_counter() - started:.1f}s ({store.db.url.split(':')[0]}); "
              f"load average {os.getloadavg()[0]:.2f}")
        monitors = MonitorService(store)
        for signal in SIGNALS:
            monitors.create({"name": signal.replace("_", "-"), "signal": signal, "deployment": "bot",
                             "window_s": 86400, "alert": 1e12}, replace=True)
        with store.db.read() as session:
            ids = dict(session.execute(select(MonitorRow.name, MonitorRow.id)).all())
        for signal in SIGNALS:
            ours, base = [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                evaluate_monitor(store, ids[signal.replace("_", "-")])
                ours.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                python_value(store, signal, utcnow() - dt.timedelta(days=1))
                base.append(time.perf_counter() - t0)
            value = monitors.get(signal.replace("_", "-")).value
            a, b = statistics.median(ours), statistics.median(base)
            print(f"{signal:20s} genloop {a:7.3f}s   python rows {b:7.3f}s   ratio {b / a:6.1f}x   "
                  f"{'OK' if a < 1.0 else 'OVER 1 s'}   value {value:.4g}")
        store.close()


if __name__ == "__main__":
    main()
