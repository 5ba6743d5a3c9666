"""A/B of the gateway's tail-latency knobs: two instrumented gateways, the same load, steps interleaved.

    python bench/bench_gateway_ab.py                                 # default (tuned) vs nogctune,nonice
    python bench/bench_gateway_ab.py --a '' --b nogctune --rate 500 --reps 4 --duration 5

Both gateways (:mod:`gateway_probe`, variants listed there) and the raw mock upstream run at once; each
repetition loads the upstream, then A, then B (the order alternates), so a busy machine's noise falls on
both sides alike. Printed per variant: added p50/p99 over the direct upstream of the same repetition
(median of the repetitions, and each one), loop-lag counts and GC pauses from the probe.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_gateway import free_port, mock_upstream, process, run_load, setup_gateway_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default="", help="variants of gateway A (comma-separated; '' = as shipped)")
    parser.add_argument("--b", default="nogctune,nonice", help="variants of gateway B")
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--upstream-ms", type=float, default=0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="genloop-ab-"))
    up = free_port()
    names = {"A": args.a, "B": args.b}
    ports = {k: free_port() for k in names}
    rows: dict[str, list[dict[str, Any]]] = {"direct": [], "A": [], "B": []}
    probe = str(Path(__file__).with_name("gateway_probe.py"))
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock_upstream(up, args.upstream_ms, tmp / "up.log"))
        pids = {}
        for k, variants in names.items():
            env = setup_gateway_store(tmp / f"home{k}", {"bench": up})
            cmd = [sys.executable, probe, str(ports[k]), str(tmp / f"probe{k}.json"), variants]
            pids[k] = stack.enter_context(process(cmd, f"http://127.0.0.1:{ports[k]}/healthz", env,
                                                  tmp / f"gateway{k}.log")).pid
        direct = f"http://127.0.0.1:{up}/v1/chat/completions"
        print(f"# A/B at {args.rate:.0f} req/s, {args.reps} x {args.duration:.0f} s; A={args.a!r} B={args.b!r}; "
              f"logs in {tmp}", flush=True)
        for rep in range(args.reps):
            rows["direct"].append(run_load(direct, "bench", args.rate, args.duration, 1.0))
            order = ("A", "B") if rep % 2 == 0 else ("B", "A")
            for k in order:
                url = f"http://127.0.0.1:{ports[k]}/v1/chat/completions"
                rows[k].append(run_load(url, "bench", args.rate, args.duration, 1.0, pids[k]))
            d = rows["direct"][-1]
            print(f"rep {rep + 1}: direct p50 {d['p50']:.2f} p99 {d['p99']:.2f} | "
                  + " | ".join(f"{k} +p50 {rows[k][-1]['p50'] - d['p50']:+.2f} +p99 {rows[k][-1]['p99'] - d['p99']:+.2f}"
                               f" err {sum(rows[k][-1]['errors'].values())}" for k in names), flush=True)
    for k, variants in names.items():
        added50 = [g["p50"] - d["p50"] for g, d in zip(rows[k], rows["direct"], strict=True)]
        added99 = [g["p99"] - d["p99"] for g, d in zip(rows[k], rows["direct"], strict=True)]
        cpu = statistics.fmean(r["cpu_ms_per_request"] or 0 for r in rows[k])
        print(f"\n{k} [{variants or 'as shipped'}]: added p50 median {statistics.median(added50):+.2f} ms, "
              f"added p99 median {statistics.median(added99):+.2f} ms (each: "
              f"{', '.join(f'{x:+.1f}' for x in added99)}), cpu {cpu:.3f} ms/req")
        with contextlib.suppress(OSError, ValueError):
            p = json.loads((tmp / f"probe{k}.json").read_text())
            print(f"   loop lag ticks {p['lag_ticks']}: {p['lag_hist']}")
            print(f"   lags >= 3 ms by cause: {p['lag_causes']}")
            print(f"   gc: {p['gc']} frozen {p['gc_frozen']} threshold {p['gc_threshold']}")
            worst = sorted(p["lags_over_3ms"], key=lambda e: -e[1])[:5]
            print(f"   worst lags (at ms, lag ms): {[(round(a), round(b, 1)) for a, b in worst]}")


if __name__ == "__main__":
    main()
