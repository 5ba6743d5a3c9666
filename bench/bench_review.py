"""Human review at scale, on a fresh temporary store (SQLite file by default, or ``--database-url``).

    python bench/bench_review.py [--items 100000] [--submits 300] [--traces 1000000] [--sample-rate 0.1]
                                 [--only submit,fill] [--database-url postgresql+psycopg://...]

- submit: a queue of ``items`` given items (a chat and an answer each), one rater; timed: ``submit`` of a
  rating (schema check, the rating and its item update, the next item claimed and locked, in one transaction)
  in-process, and the same through REST on loopback (``POST .../submit``, the next item in the answer).
  Side by side: the same loop on a 1,000-item queue, so the ratio shows what queue size costs.
  Goal: p95 < 50 ms server time with 100,000 items.
- fill: ``traces`` traces written straight into the table (not timed; half of them deployment "bot"), then
  timed: ``add_traces`` with the filter deployment=bot and ``sample-rate`` (ids streamed, sampled by hash,
  snapshots read in chunks, items inserted in one transaction). Side by side: the same filter at rate 1.0
  on a tenth of the traces (``limit``), for items per second.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

SCHEMA = [{"name": "helpfulness", "type": "likert", "points": ["1", "2", "3", "4", "5"]},
          {"name": "safe", "type": "boolean"}, {"name": "fix", "type": "edit"}]


def _store(url: str | None, tmp: Path) -> Any:
    from genloop.settings import Settings
    from genloop.store import Store

    return Store(Settings(home=tmp / "home", database_url=url or f"sqlite:///{tmp / 'bench.db'}",
                          artifacts_uri=str(tmp / "artifacts"), actor="bench"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _queue(store: Any, name: str, items: int) -> Any:
    from genloop.review import ReviewService

    review = ReviewService(store, actor="rater")
    review.create_schema("bench", SCHEMA)
    review.create_queue(name, "bench")
    batch = 20_000
    for start in range(0, items, batch):
        review.add_items(name, [{"messages": [{"role": "user", "content": f"question {i} " + "x" * 200}],
                                 "answer": f"answer {i} " + "y" * 400}
                                for i in range(start, min(items, start + batch))])
    return review


def _loop(submit: Any, first: int, count: int) -> list[float]:
    times, item = [], first
    for n in range(count):
        t0 = time.perf_counter()
        item = submit(item, {"helpfulness": 1 + n % 5, "safe": n % 3 > 0})
        times.append((time.perf_counter() - t0) * 1000)
        if item is None:
            break
    return times


def bench_submit(store: Any, items: int, submits: int) -> None:
    import httpx

    from genloop.server import BackgroundServer, create_app

    for size in (1000, items):
        name = f"q{size}"
        t0 = time.perf_counter()
        review = _queue(store, name, size)
        fill_s = time.perf_counter() - t0
        if store.db.dialect == "sqlite":  # fold the fill's write-ahead log in now, not in the first timed commits
            raw = store.db.write_engine.raw_connection()  # outside SQLAlchemy's BEGIN IMMEDIATE
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        first = review.claim(name)

        def local(item_id: int, answers: dict[str, Any], name: str = name, review: Any = review) -> int | None:
            nxt = review.submit(name, item_id, answers).next
            return nxt.id if nxt else None

        in_process = _loop(local, first.id, submits)
        with BackgroundServer(create_app(store)) as srv, httpx.Client(
                base_url=f"{srv.url}/api/v1/projects/default/review/queues/{name}",
                headers={"x-genloop-actor": "rater"}, timeout=120) as http:
            t0 = time.perf_counter()
            start = http.post("/claim").json()["id"]
            print(f"claim over REST (first request, server warm-up included): {time.perf_counter() - t0:.2f} s")

            def remote(item_id: int, answers: dict[str, Any]) -> int | None:
                body = http.post(f"/items/{item_id}/submit", json={"answers": answers}).json()
                return body["next"]["id"] if body["next"] else None

            over_rest = _loop(remote, start, submits)
        for label, times in (("in-process", in_process), ("REST loopback", over_rest)):
            print(f"submit->next  queue {size:>7,} items  {label:<13}  n={len(times):4d}  p50 {_pct(times, .5):6.2f} ms"
                  f"  p95 {_pct(times, .95):6.2f} ms  p99 {_pct(times, .99):6.2f} ms  mean {statistics.mean(times):6.2f} ms"
                  f"  (queue filled in {fill_s:.1f} s)")


def _write_traces(store: Any, count: int) -> None:
    import datetime as dt

    from sqlalchemy import insert

    from genloop.store._registry import ensure_project
    from genloop.tracing._tables import TraceRow

    project_id = store.db.write(lambda s: ensure_project(s, "default", "bench").id)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch = 20_000
    for start in range(0, count, batch):
        rows = [{"id": f"{i:032x}", "project_id": project_id, "source": "gateway", "name": "chat",
                 "deployment": "bot" if i % 2 else "other", "variant": "v1", "status": "ok",
                 "input": [{"role": "user", "content": f"question {i}"}],
                 "output": {"role": "assistant", "content": f"answer {i}"}, "cache_hit": False, "stream": False,
                 "metadata": {}, "started_at": base + dt.timedelta(seconds=i), "created_at": base}
                for i in range(start, min(count, start + batch))]
        store.db.write(lambda s, rows=rows: s.execute(insert(TraceRow), rows))


def bench_fill(store: Any, traces: int, rate: float) -> None:
    from genloop.review import ReviewService

    t0 = time.perf_counter()
    _write_traces(store, traces)
    print(f"fill          {traces:,} traces written in {time.perf_counter() - t0:.1f} s (not timed below)")
    review = ReviewService(store, actor="owner")
    review.create_schema("fill", SCHEMA)
    for name, spec in (("sampled", {"deployment": "bot", "sample_rate": rate, "seed": 1}),
                       ("all-limited", {"deployment": "bot", "limit": max(1, int(traces * rate))})):
        review.create_queue(name, "fill")
        t0 = time.perf_counter()
        added = review.add_traces(name, spec)
        seconds = time.perf_counter() - t0
        print(f"fill          {name:<12} {spec}  {added:,} items from {traces:,} traces in {seconds:.2f} s"
              f"  ({added / seconds:,.0f} items/s, {traces / seconds:,.0f} traces scanned/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--traces", type=int, default=1_000_000)
    parser.add_argument("--sample-rate", type=float, default=0.1)
    parser.add_argument("--only", default="submit,fill")
    parser.add_argument("--database-url", default=None, help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        if "submit" in only:
            store = _store(args.database_url, Path(tmp))
            bench_submit(store, args.items, args.submits)
            store.close()
        if "fill" in only:
            path = Path(tmp) / "fill"
            path.mkdir()
            store = _store(args.database_url, path)
            bench_fill(store, args.traces, args.sample_rate)
            store.close()


if __name__ == "__main__":
    main()
