"""Data quality at scale, end to end through ``QualityService`` on a fresh temporary store (SQLite + files).

    pip install 'genloop[quality]'
    python bench/bench_quality_scale.py [--train-rows 1000000] [--eval-rows 10000] [--map-prompts 100000]
                                        [--profile-rows 1000000] [--only decontaminate,map,profile]

Seeded data, imported as dataset versions first (import time is not counted):

- decontaminate: ``train-rows`` completion rows (prompts of 20-60 words) against ``eval-rows`` eval rows;
  1,000 training rows embed an eval row's text (planted). Timed: ``decontaminate(..., action="remove")``
  (13-gram index and near-duplicate matching, the new version written). Checked: every planted row found.
- map: ``map-prompts`` chat prompts on 8 topics; timed: ``map(ref)`` with the default (hashed) embedder,
  PCA, HDBSCAN on a 5,000-point sample, all points stored with the run.
- profile: ``profile-rows`` chat rows (a system prompt, a question, an answer); timed: ``profile(ref)``.

Goals (this 2-core machine): each under 60 s. Wall and CPU seconds are printed (CPU time counts every thread
of the process; on a machine shared with other work it is the better guide to the wall time alone), and
the load average before the run. Peak RSS of the process is printed at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np
import pyarrow as pa

TOPICS = ["password reset", "refund for order", "shipping delay", "invoice copy", "account deletion",
          "change billing address", "upgrade subscription plan", "report a bug in the app"]


def words(rng: np.random.Generator, vocab: np.ndarray, count: int, low: int, high: int) -> list[str]:
    lengths = rng.integers(low, high + 1, count)
    tokens = vocab[rng.integers(0, len(vocab), int(lengths.sum()))]
    return [" ".join(chunk) for chunk in np.split(tokens, np.cumsum(lengths)[:-1])]


def bench_decontaminate(store, rows: int, eval_rows: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    from genloop.datasets import DatasetService
    from genloop.quality import QualityService

    rng = np.random.default_rng(seed)
    vocab = np.array([f"v{i}" for i in range(200_000)])
    evals = words(rng, vocab, eval_rows, 15, 40)
    prompts = words(rng, vocab, rows, 20, 60)
    planted = rng.choice(rows, 1000, replace=False)
    for i in planted:
        prompts[i] = f"please answer {evals[int(i) % eval_rows]} thanks"
    datasets = DatasetService(store)
    datasets.create("golden", pa.table({"input": evals}), kind="eval")
    datasets.create("train", pa.table({"prompt": prompts, "completion": ["ok"] * rows}), kind="completion")
    started, cpu = time.perf_counter(), time.process_time()
    result = QualityService(store).decontaminate("train", ["golden"])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"decontaminate: {rows:,} training rows vs {eval_rows:,} eval rows in {seconds:.1f} s ({cpu:.1f} s CPU) "
          f"({result.report['contaminated']:,} overlapping, planted 1,000; by 13-gram {result.report['by_ngram']:,}); "
          f"wrote {result.dataset.ref if result.dataset else None}")


def bench_map(store, prompts: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    from genloop.datasets import DatasetService
    from genloop.quality import QualityService

    rng = np.random.default_rng(seed)
    vocab = np.array(["please", "help", "me", "with", "my", "the", "I", "need", "can", "you", "urgent", "today",
                      "again", "still", "why", "how", "do", "is", "not", "working"])
    filler = words(rng, vocab, prompts, 4, 14)
    topics = rng.integers(0, len(TOPICS), prompts)
    rows = [{"messages": [{"role": "user", "content": f"{TOPICS[t]}: {f}"}, {"role": "assistant", "content": "ok"}]}
            for t, f in zip(topics, filler, strict=True)]
    DatasetService(store).create("prompts", rows, kind="chat")
    started, cpu = time.perf_counter(), time.process_time()
    result = QualityService(store).map("prompts")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"map: {result.total_points:,} prompts in {seconds:.1f} s ({cpu:.1f} s CPU) ({len(result.clusters)} cluster ids incl. noise, "
          f"{len(result.points):,} points returned, embedder {result.embedder})")


def bench_profile(store, rows: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    from genloop.datasets import DatasetService
    from genloop.quality import QualityService

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(30_000)])
    questions = words(rng, vocab, rows, 5, 40)
    answers = words(rng, vocab, rows, 10, 120)
    role = pa.array(["system", "user", "assistant"] * rows)
    contents = []
    for q, a in zip(questions, answers, strict=True):
        contents.extend(("You are a helpful assistant.", q, a))
    flat = pa.StructArray.from_arrays([role, pa.array(contents)], names=["role", "content"])
    offsets = np.arange(0, 3 * rows + 1, 3, dtype=np.int32)
    messages = pa.ListArray.from_arrays(pa.array(offsets), flat)
    DatasetService(store).create("chats", pa.table({"messages": messages}), kind="chat")
    started, cpu = time.perf_counter(), time.process_time()
    profile = QualityService(store).profile("chats")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"profile: {profile.rows:,} chat rows in {seconds:.1f} s ({cpu:.1f} s CPU) (exact dup rate {profile.duplicates['exact_rate']}, "
          f"languages {profile.languages and list(profile.languages)[:3]}, sample {profile.sample_size:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--eval-rows", type=int, default=10_000)
    parser.add_argument("--map-prompts", type=int, default=100_000)
    parser.add_argument("--profile-rows", type=int, default=1_000_000)
    parser.add_argument("--only", default="decontaminate,map,profile")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    from genloop.settings import Settings
    from genloop.store import Store

    with tempfile.TemporaryDirectory() as home:
        store = Store(Settings(home=home))
        parts = args.only.split(",")
        if "decontaminate" in parts:
            print(f"load average {os.getloadavg()[0]:.1f}")
            bench_decontaminate(store, args.train_rows, args.eval_rows, args.seed)
        if "map" in parts:
            print(f"load average {os.getloadavg()[0]:.1f}")
            bench_map(store, args.map_prompts, args.seed)
        if "profile" in parts:
            print(f"load average {os.getloadavg()[0]:.1f}")
            bench_profile(store, args.profile_rows, args.seed)
        store.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
