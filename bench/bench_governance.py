"""The cost of the promotion guard, and of gathering a review's evidence, side by side in one run.

    python bench/bench_governance.py [--moves 300] [--runs 20] [--database-url URL]

1. Alias moves (``ModelService.alias``, alternating two versions) in three projects: no policy at all, a policy
   on another alias (the guard looks and lets it pass), and a protected alias whose versions both have an
   approved review (the guard finds the review). Prints the median milliseconds per move and the ratio to the
   unguarded move: the guard adds one or two indexed lookups to the move's transaction.
2. ``ReviewService.request`` on a version read by ``--runs`` evaluation runs (16 items each, exact_match), with a
   policy of one gate, no_regression against the production version (which has as many runs) and a bias check:
   the time to gather the evidence, which grows with the number of runs compared (up to 20 are shown).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from genloop.evals import EvalService
from genloop.governance import PolicyService, ReviewService
from genloop.models import ModelService
from genloop.settings import Settings
from genloop.store import Store

ROWS = [{"id": f"q{i}", "question": f"say {i}", "reference": f"say {i}" if i % 4 else "x",
         "language": "en" if i % 2 else "fr"} for i in range(16)]


def _moves(store: Store, project: str, n: int) -> float:
    models = ModelService(store, project, actor="user:alice")
    times = []
    for i in range(n):
        started = time.perf_counter()
        models.alias(f"bot@{1 + i % 2}", "production")
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench_guard(store: Store, n: int) -> None:
    for project in ("plain", "other", "guarded"):
        models = ModelService(store, project, actor="user:alice")
        models.register("bot", kind="provider", uri="mock:a")
        models.register("bot", kind="provider", uri="mock:b")
    PolicyService(store, "other").set({"name": "p", "target": {"kind": "model", "label": "staging"}})
    PolicyService(store, "guarded").set({"name": "p", "target": {"kind": "model", "label": "production"}})
    for version in (1, 2):
        review = ReviewService(store, "guarded", actor="user:alice").request(f"bot@{version}")
        ReviewService(store, "guarded", actor="user:bob").decide(review.id, "approve")
    plain = _moves(store, "plain", n)
    print(f"alias move, no policy:                  {plain:7.2f} ms  (1.00x)")
    for project, what in (("other", "policy on another alias"), ("guarded", "protected, approved review")):
        ms = _moves(store, project, n)
        print(f"alias move, {what + ':':<28} {ms:7.2f} ms  ({ms / plain:.2f}x)")


def bench_evidence(store: Store, runs: int) -> None:
    from genloop.datasets import DatasetService

    DatasetService(store, "ev").create("golden", ROWS, kind="generic")
    models = ModelService(store, "ev", actor="user:alice")
    models.register("bot", kind="provider", uri="mock:a")
    models.register("bot", kind="provider", uri="mock:b")
    models.alias("bot@1", "production")
    PolicyService(store, "ev").set({
        "name": "p", "target": {"kind": "model", "label": "production"},
        "evaluations": [{"eval": "qa", "gates": ["exact_match>=0.5"], "no_regression": True}],
        "bias": [{"eval": "qa", "metric": "exact_match", "column": "language", "max_gap": 0.6}]})
    evals = EvalService(store, "ev")
    for ref in ("bot@1", "bot@2"):
        for _ in range(runs):
            evals.run({"name": "qa", "dataset": "golden@1", "id_column": "id", "input_column": "question",
                       "candidates": [{"name": "bot", "model": ref}], "metrics": ["exact_match"]}, resume=False)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        review = ReviewService(store, "ev", actor="user:alice").request("bot@2")
        times.append(time.perf_counter() - started)
    assert review.passed, review.evidence.missing
    print(f"review request, {runs} runs per version:    {statistics.median(times) * 1000:7.1f} ms "
          f"({len(review.evidence.evaluations)} runs compared with production)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=home, database_url=args.database_url) if args.database_url else Settings(home=home)
        store = Store(settings)
        try:
            bench_guard(store, args.moves)
            bench_evidence(store, args.runs)
        finally:
            store.close()


if __name__ == "__main__":
    main()
