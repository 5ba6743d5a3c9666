"""Online evaluation under gateway traffic: does a 10% judge sample keep up, and does it raise the gateway's p99?

    python bench/bench_online_eval.py [--rate 500] [--duration 10] [--sample 0.1] [--judge-ms 100]

Everything on loopback, each part its own process: the gateway's mock upstream (0 ms), the judge's mock upstream
(``--judge-ms`` latency, answers a score), ``genloop server`` (REST + gateway + the monitoring worker thread,
tracing to SQLite), and bench_gateway.py's open-loop load generator. Two phases at the same rate:

- **off**: ``GENLOOP_MONITORING_INTERVAL=0`` (no worker), the gateway's p50/p99 as the baseline;
- **on**: the worker ticks every second with a judge evaluator on the deployment (``--sample``, 1 s delay, so
  the 5 s settle time,
  concurrency 16, no budget limit): the gateway's p50/p99 again, then how long after the load the evaluator has
  scored every sampled trace (its lag), and its scoring rate.

The gateway's upstream answers at once, so a request's latency is what the gateway adds. Keep runs short on a
shared machine; the figures vary with the load average, which is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_gateway as bg  # the load generator and process helpers

JUDGE_REPLY = json.dumps({"reasoning": "fine", "score": 4})


def judge_upstream(port: int, latency_ms: float, log: Path) -> contextlib.AbstractContextManager[Any]:
    code = ("from genloop.providers.mock_upstream import MockUpstreamConfig, serve; "
            f"serve(MockUpstreamConfig(latency_ms={latency_ms}, reply={JUDGE_REPLY!r}), port={port})")
    return bg.process([sys.executable, "-c", code], f"http://127.0.0.1:{port}/v1/models", log=log)


def setup(env: dict[str, str], judge_port: int, sample: float) -> None:
    code = (
        "import sys; from genloop.store import Store; from genloop.models import ModelService\n"
        "from genloop.monitoring import EvaluatorService\n"
        "store = Store()\n"
        "ModelService(store).register('judge', kind='provider', uri='openai:mock-model',\n"
        f"                            base_url='http://127.0.0.1:{judge_port}/v1')\n"
        "EvaluatorService(store).create({'name': 'helpful', 'deployment': 'bench', 'judge': {'model': 'judge@1'},\n"
        f"    'sample_rate': {sample}, 'delay_s': 1, 'max_calls_per_minute': 100000, 'concurrency': 16}})\n"
    )
    bg.subprocess.run([sys.executable, "-c", code], env=env, check=True)


def progress(env: dict[str, str]) -> dict[str, Any]:
    code = ("import json; from genloop.store import Store; from genloop.monitoring import EvaluatorService\n"
            "from genloop.tracing._tables import TraceRow; from sqlalchemy import select, func\n"
            "store = Store(); info = EvaluatorService(store).get('helpful')\n"
            "with store.db.read() as s: ids = list(s.scalars(select(TraceRow.id).where(TraceRow.deployment == 'bench')))\n"
            "from genloop.monitoring import in_sample\n"
            "print(json.dumps({'traces': len(ids), 'sampled': sum(in_sample(t, info.spec.sample_rate) for t in ids),\n"
            "                  'scored': info.scored, 'error': info.last_error}))\n")
    out = bg.subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--sample", type=float, default=0.1)
    parser.add_argument("--judge-ms", type=float, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        up, judge = bg.free_port(), bg.free_port()
        with bg.mock_upstream(up, 0, home / "upstream.log"), judge_upstream(judge, args.judge_ms, home / "judge.log"):
            env = bg.setup_gateway_store(home, {"bench": up})
            setup(env, judge, args.sample)
            rows = {}
            for phase, interval in (("off", "0"), ("on", "1")):
                port = bg.free_port()
                server_env = {**env, "GENLOOP_MONITORING_INTERVAL": interval}
                cmd = [sys.executable, "-c", f"from genloop.cli.main import main; import sys; "
                       f"sys.argv = ['genloop', 'server', '--port', '{port}']; main()"]
                with bg.process(cmd, f"http://127.0.0.1:{port}/healthz", env=server_env,
                                log=home / f"server-{phase}.log") as proc:
                    row = bg.run_load(f"http://127.0.0.1:{port}/v1/chat/completions", "bench", args.rate,
                                      args.duration, args.warmup, proc.pid)
                    ended = time.monotonic()
                    if phase == "on":
                        while True:
                            state = progress(env)
                            caught_up = state["scored"] >= state["sampled"] or time.monotonic() - ended > 120
                            if caught_up:
                                row["lag_s"] = time.monotonic() - ended
                                row.update(state)
                                break
                            time.sleep(0.5)
                rows[phase] = row
        off, on = rows["off"], rows["on"]
        print(f"load average {os.getloadavg()[0]:.2f}; {args.rate:g} req/s for {args.duration:g}s, sample "
              f"{args.sample:.0%}, judge {args.judge_ms:g} ms")
        for name, row in rows.items():
            print(f"worker {name:3s}: {bg.fmt(row)}")
        print(f"gateway p99 with the worker / without: {on['p99'] / off['p99']:.2f}x "
              f"({on['p99']:.1f} ms vs {off['p99']:.1f} ms)")
        scored_rate = on["scored"] / max(args.duration + args.warmup + on["lag_s"], 1e-9)
        print(f"online evaluation: {on['scored']} of {on['sampled']} sampled traces scored "
              f"({on['traces']} traces), all within {on['lag_s']:.1f}s after the load ended "
              f"(the 5 s settle time and 1 s ticks included; the traces of the 'off' phase are scored in this phase too); "
              f"{scored_rate:.0f} scores/s overall; last error: {on['error']}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        bg.loadgen_main(sys.argv[2:])
    else:
        main()
