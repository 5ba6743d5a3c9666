"""What Studio's data layer costs with a million traces: list pages, every filter, a deep keyset page,
a trace view, text search, a deployment's 24-hour charts and a comparison of two 2,000-item eval runs.

    python bench/bench_studio.py [--traces 1000000] [--repeat 30] [--postgres URL] [--home DIR]

Seeds ``--traces`` traces over 30 days (5 deployments x 2 variants, 3% errors, 5,000 users, 100,000
sessions, 2% with guardrail findings, 1% with feedback, chat messages drawn from a 5,000-word vocabulary
plus rare words) by bulk insert into a fresh SQLite store (and PostgreSQL with ``--postgres``), with the
FTS / tsvector triggers of migration 0005 active. Then it times the service calls the Studio pages and
REST routes make (server time, without HTTP): p50 and p95 over ``--repeat`` calls with varied arguments.
Goals (issue 11): list, filters, deep page and view p95 < 100 ms; search and 24 h charts < 300 ms;
comparison page < 500 ms. The deep offset page is timed beside the deep keyset page (the ratio is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from genloop.settings import Settings
from genloop.store import Store
from genloop.tracing import TraceService
from genloop.tracing._query import encode_cursor

DAY = 86400.0
GOALS = {"list": 100, "filter": 100, "deep": 100, "view": 100, "search": 300, "chart": 300, "compare": 500}


def _words(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(5000)]


def seed(store: Store, n: int, rng: random.Random, now: float) -> None:
    """``n`` traces in batches of 20,000 (executemany, search triggers on)."""
    vocab = _words(rng)
    rare = [f"zebra{i}" for i in range(100)]
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for i in range(n):
        words = rng.choices(vocab, k=12)
        if rng.random() < 0.001:
            words.append(rng.choice(rare))
        guard = [{"check": "pii", "action": rng.choice(["flag", "redact", "block"]), "stage": "input"}] \
            if rng.random() < 0.02 else None
        batch.append({
            "id": f"{rng.getrandbits(128):032x}", "project": "bench", "deployment": f"bot{i % 5}",
            "variant": "a" if rng.random() < 0.7 else "b", "status": "error" if rng.random() < 0.03 else "ok",
            "user": f"user{rng.randrange(5000)}", "session_id": f"s{rng.randrange(100_000)}",
            "model": "mock:echo", "latency_ms": rng.lognormvariate(4, 0.5), "input_tokens": rng.randint(10, 400),
            "output_tokens": rng.randint(5, 300), "cost_usd": rng.random() / 1000, "guardrails": guard,
            "input": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": " ".join(words)}],
            "output": " ".join(rng.choices(vocab, k=20)),
            "started_at": now - rng.random() * 30 * DAY})
        if len(batch) == 20_000 or i == n - 1:
            _bulk(store, batch)
            batch = []
            if (i + 1) % 100_000 == 0:
                print(f"  seeded {i + 1:,} ({(i + 1) / (time.perf_counter() - started):,.0f}/s)", file=sys.stderr)
    print(f"seeded {n:,} traces in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _bulk(store: Store, records: list[dict[str, Any]]) -> None:
    """Insert new traces in one transaction: the rows the service's writer would store (``_row``), sent
    with executemany (on SQLite straight to the driver); the migration's triggers index them for search."""
    from genloop.store._registry import ensure_project
    from genloop.tracing._service import TRACES, _insert, _row

    def write(session: Any) -> None:
        project_id = ensure_project(session, "bench", "bench").id
        _insert(session, TRACES, [_row(r, project_id) for r in records])

    store.db.write(write)


def seed_feedback(store: Store, rng: random.Random, share: float = 0.01) -> list[str]:
    from sqlalchemy import select

    from genloop.feedback._tables import FeedbackRow
    from genloop.tracing._tables import TraceRow

    with store.db.read() as session:
        ids = list(session.scalars(select(TraceRow.id)))
        project_id = session.scalar(select(TraceRow.project_id).limit(1))
    chosen = rng.sample(ids, max(1, int(len(ids) * share)))
    now = dt.datetime.now(dt.UTC)
    rows = [{"project_id": project_id, "trace_id": t, "name": "score", "kind": "numeric",
             "value_number": rng.random(), "source": "api", "created_at": now, "created_by": "bench"} for t in chosen]

    def insert(session: Any) -> None:
        session.execute(FeedbackRow.__table__.insert(), rows)

    store.db.write(insert)
    return ids


def timed(fn: Callable[[int], Any], repeat: int) -> tuple[float, float]:
    fn(0)  # warm-up
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        fn(i + 1)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def eval_runs(store: Store, items: int) -> tuple[str, str]:
    from genloop.datasets import DatasetService
    from genloop.evals import EvalService

    rng = random.Random(1)
    rows = [{"id": f"q{i}", "question": f"question {i} " + " ".join(str(rng.random())[:5] for _ in range(8)),
             "reference": str(i), "base": str(i) if rng.random() < 0.6 else f"{i} maybe",
             "new": str(i) if rng.random() < 0.7 else f"about {i}"} for i in range(items)]
    DatasetService(store, "bench").create("golden", rows, kind="generic")
    evals = EvalService(store, "bench")
    spec = {"dataset": "golden@1", "id_column": "id", "input_column": "question", "metrics": ["exact_match", "token_f1"],
            "concurrency": 16}
    a = evals.run({**spec, "name": "base", "candidates": [{"name": "bot", "output_column": "base"}]})
    b = evals.run({**spec, "name": "new", "candidates": [{"name": "bot", "output_column": "new"}]})
    return a.run_id, b.run_id


def measure(store: Store, label: str, ids: list[str], repeat: int, runs: tuple[str, str] | None) -> list[str]:
    svc = TraceService(store, "bench")
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    deep_row = svc.list(offset=min(len(ids) // 2, 500_000), limit=1).items[0]
    deep_cursor = encode_cursor(deep_row.started_at, deep_row.id)
    sample = rng.sample(ids, min(len(ids), 200))
    cases: list[tuple[str, str, Callable[[int], Any]]] = [
        ("list", "first page (50)", lambda i: svc.list(limit=50)),
        ("filter", "deployment", lambda i: svc.list(deployment=f"bot{i % 5}")),
        ("filter", "deployment + variant", lambda i: svc.list(deployment=f"bot{i % 5}", variant="b")),
        ("filter", "status error", lambda i: svc.list(status="error")),
        ("filter", "user", lambda i: svc.list(user=f"user{i * 37 % 5000}")),
        ("filter", "session", lambda i: svc.list(session_id=f"s{i * 7919 % 100_000}")),
        ("filter", "time range (1 day)", lambda i: svc.list(since=now - dt.timedelta(days=i % 29 + 1),
                                                             until=now - dt.timedelta(days=i % 29))),
        ("filter", "guardrail block", lambda i: svc.list(guardrail="block")),
        ("filter", "feedback present", lambda i: svc.list(feedback=True)),
        ("filter", "status error + deployment", lambda i: svc.list(status="error", deployment=f"bot{i % 5}")),
        ("deep", "keyset page at 50%", lambda i: svc.list(cursor=deep_cursor)),
        ("view", "trace view + first spans", lambda i: (svc.view(sample[i % len(sample)]),
                                                         svc.spans(sample[i % len(sample)]))),
        ("search", "one common word", lambda i: svc.list(search=_common[i % len(_common)])),
        ("search", "two words", lambda i: svc.list(search=f"{_common[i % len(_common)]} helpful")),
        ("search", "rare word", lambda i: svc.list(search=f"zebra{i % 100}")),
        ("search", "word + deployment", lambda i: svc.list(search=_common[i % len(_common)], deployment="bot1")),
        ("list", "sessions page", lambda i: svc.sessions()),
        ("chart", "deployment 24 h, 96 buckets", lambda i: svc.traffic(f"bot{i % 5}", hours=24, buckets=96)),
    ]
    if runs:
        from genloop.evals import EvalService

        evals = EvalService(store, "bench")
        cases.append(("compare", "2,000 items, page of 25", lambda i: evals.compare_page(
            runs[0], runs[1], show="regressions" if i % 2 else "all", offset=(i * 25) % 1000, limit=25)))
        cases.append(("compare", "paired tests (loaded after)", lambda i: evals.paired_tests(runs[0], runs[1])))
    lines = []
    for kind, name, fn in cases:
        p50, p95 = timed(fn, repeat)
        goal = GOALS[kind]
        lines.append(f"{label:<10} {kind:<8} {name:<30} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  "
                     f"{'ok' if p95 < goal else 'OVER'} (goal {goal})")
        print(lines[-1], flush=True)
    deep_offset = min(len(ids) // 2, 500_000)
    p50o, _ = timed(lambda i: svc.list(offset=deep_offset), 3)
    p50k, _ = timed(lambda i: svc.list(cursor=deep_cursor), 3)
    lines.append(f"{label:<10} deep page at {deep_offset:,}: offset {p50o:.1f} ms vs keyset {p50k:.1f} ms "
                 f"({p50o / max(p50k, 1e-6):.0f}x)")
    print(lines[-1], flush=True)
    return lines


_common: list[str] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--eval-items", type=int, default=2000)
    parser.add_argument("--postgres", help="also seed and measure a PostgreSQL database (an empty one)")
    parser.add_argument("--home", help="keep the SQLite store here (default: a temporary directory)")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL (--postgres) only")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite too (PostgreSQL always)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}, {args.traces:,} traces",
          file=sys.stderr)
    targets = [] if args.skip_sqlite else [("sqlite", Settings(home=args.home or tempfile.mkdtemp(prefix="bench-studio-")))]
    if args.postgres:
        targets.append(("postgres", Settings(home=tempfile.mkdtemp(prefix="bench-studio-pg-"),
                                             database_url=args.postgres)))
    rng = random.Random(0)
    _common.extend(_words(random.Random(0))[:40])  # the seed's vocabulary: each word is in ~0.5% of traces
    out = []
    for label, settings in targets:
        store = Store(settings)
        seed(store, args.traces, random.Random(0), time.time())
        ids = seed_feedback(store, rng)
        runs = eval_runs(store, args.eval_items) if args.eval_items else None
        if args.analyze or store.db.write_engine.dialect.name != "sqlite":  # PostgreSQL's autovacuum would
            with store.db.write_engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        out += measure(store, label, ids, args.repeat, runs)
        store.close()
    print("\n".join(out))


if __name__ == "__main__":
    main()
