"""Dataset import throughput: GenLoop against raw pyarrow on the same JSON Lines file.

    python bench/bench_dataset_import.py [--rows 1000000] [--kind chat|completion] [--seed 7] [--repeat 1]

Generates a seeded, realistic file (chat: a system prompt and 1-2 user/assistant turns, an id and a source
field, about 1.2 KB a row; completion: a prompt, a completion and a score), then times, each in a fresh
subprocess:

- raw: ``pyarrow.json.read_json`` + ``pyarrow.parquet.write_table`` (no validation, no hash);
- genloop: ``DatasetService.create(..., kind=K)`` on a fresh temporary store: streaming read, validation of
  the kind, the canonical content hash, Parquet written row group by row group, the version committed.

Each child reports its wall time, its CPU time (user + system, all threads) and its peak RSS
(``ru_maxrss``). With ``--repeat N`` the runs alternate and the medians are reported. The ratio is
genloop / raw (the goal: at most 2x). The load average is printed, since other processes skew wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("the a model answer question data train eval prompt user assistant please explain how why what when "
         "python code error value result table file version hash split test golden shot label customer order "
         "refund account password reset billing invoice shipping delivery summary translate rewrite").split()

RAW = """
import json, resource, sys, time
import pyarrow.json as pj, pyarrow.parquet as pq
started, cpu = time.perf_counter(), time.process_time()
table = pj.read_json(sys.argv[1])
pq.write_table(table, sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "rows": table.num_rows, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

GENLOOP = """
import json, resource, sys, time
from pathlib import Path
from genloop.datasets import DatasetService
from genloop.settings import Settings
from genloop.store import Store
store = Store(Settings(home=Path(sys.argv[2]), actor="bench"))
service = DatasetService(store)
started, cpu = time.perf_counter(), time.process_time()
version = service.create("bench", sys.argv[1], kind=sys.argv[3])
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "rows": version.num_rows, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "hash": version.content_hash, "parquet_mb": version.size_bytes / 2**20}))
"""


def generate(path: Path, rows: int, kind: str, seed: int) -> None:
    """Write ``rows`` seeded rows of ``kind``; texts come from a pool, so generating stays fast."""
    import orjson

    rng = random.Random(seed)
    pool = [" ".join(rng.choices(WORDS, k=rng.randint(5, 120))) for _ in range(5000)]
    sources = ("web", "support", "synthetic")
    with open(path, "wb") as out:
        for i in range(rows):
            if kind == "chat":
                messages = [{"role": "system", "content": rng.choice(pool)[:120]}]
                for _ in range(rng.randint(1, 2)):
                    messages.append({"role": "user", "content": rng.choice(pool)[:400]})
                    messages.append({"role": "assistant", "content": rng.choice(pool)})
                row = {"id": f"ex-{i:07d}", "messages": messages, "source": rng.choice(sources)}
            else:
                row = {"prompt": rng.choice(pool)[:400], "completion": rng.choice(pool), "score": rng.random()}
            out.write(orjson.dumps(row) + b"\n")


def run_child(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=("chat", "completion"), default="chat")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="genloop-bench-") as tmp:
        data = Path(tmp) / f"{args.kind}.jsonl"
        started = time.perf_counter()
        generate(data, args.rows, args.kind, args.seed)
        size_mb = data.stat().st_size / 2**20
        print(f"generated {args.rows:,} {args.kind} rows, {size_mb:,.0f} MiB, in {time.perf_counter() - started:.1f}s")
        results: dict[str, list[dict[str, float]]] = {"raw pyarrow": [], "genloop": []}
        for i in range(args.repeat):
            results["raw pyarrow"].append(run_child(RAW, str(data), str(Path(tmp) / "raw.parquet")))
            results["genloop"].append(run_child(GENLOOP, str(data), str(Path(tmp) / f"home{i}"), args.kind))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}, {args.repeat} run(s) each, medians")
    print(f"{'':12} {'seconds':>8} {'cpu s':>7} {'rows/s':>10} {'MiB/s':>7} {'peak RSS':>9}")
    medians = {}
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        rss = statistics.median(r["rss_mb"] for r in runs)
        medians[name] = (seconds, cpu)
        print(f"{name:12} {seconds:8.2f} {cpu:7.2f} {args.rows / seconds:10,.0f} {size_mb / seconds:7.1f} {rss:7.0f} MB")
    (raw_s, raw_cpu), (gl_s, gl_cpu) = medians["raw pyarrow"], medians["genloop"]
    print(f"ratio genloop/raw: {gl_s / raw_s:.2f}x wall, {gl_cpu / raw_cpu:.2f}x cpu (goal: <= 2x)")
    print(f"content hash {results['genloop'][-1].get('hash')}, parquet {results['genloop'][-1].get('parquet_mb'):.0f} MiB")


if __name__ == "__main__":
    main()
