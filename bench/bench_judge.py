"""Benchmark: pairwise judgments against `genloop mock-upstream` (100 ms latency) at concurrency 64.

    python bench/bench_judge.py [--pairs 1000] [--latency-ms 100] [--concurrency 64]

Target: wall time within 1.2x of the ideal (calls x latency / concurrency); exactly one upstream call per
(item, order, sample) with the call cache cold, and none with it warm (counted by the mock's /_mock/stats).
The mock upstream runs in its own process, like a real endpoint; the store is a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPLY = json.dumps({"reasoning": "Response A answers the question directly.", "winner": "A"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_upstream(port: int, latency_ms: float) -> subprocess.Popen[bytes]:
    genloop = shutil.which("genloop")
    args = ["--port", str(port), "--latency-ms", str(latency_ms), "--reply", REPLY]
    if genloop and subprocess.run([genloop, "mock-upstream", "--help"], capture_output=True).returncode == 0:
        command = [genloop, "mock-upstream", *args]
    else:  # the same server, until the command is wired into the CLI
        command = [sys.executable, "-c", "from genloop.providers.mock_upstream import MockUpstreamConfig, serve;"
                   f"serve(MockUpstreamConfig(latency_ms={latency_ms}, reply={REPLY!r}), port={port})"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_mock/stats", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the mock upstream did not start")


async def provider_floor(port: int, calls: int, concurrency: int) -> float:
    """Wall time of the same number of calls straight through the provider: what this machine allows."""
    from genloop.providers import ChatRequest, get_provider

    provider = get_provider("openai", base_url=f"http://127.0.0.1:{port}/v1", api_key="bench",
                            max_concurrency=concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await provider.chat(ChatRequest(model="mock-model", messages=[{"role": "user", "content": f"q {i}"}]))

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(calls)))
    await provider.aclose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="examples (each judged in both orders)")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()

    from genloop.client import Client
    from genloop.evals import EvalService
    from genloop.settings import Settings

    port = free_port()
    upstream = start_upstream(port, args.latency_ms)
    home = Path(tempfile.mkdtemp(prefix="genloop-bench-"))
    try:
        settings = Settings(home=home, database_url=f"sqlite:///{home}/bench.db", artifacts_uri=str(home / "a"))
        client = Client(settings=settings, url=settings.resolved_database_url)
        rows = [{"id": f"e{i}", "question": f"Question number {i}?", "a": f"Answer {i} from A.",
                 "b": f"Answer {i} from B, longer."} for i in range(args.pairs)]
        client.datasets.create("bench", rows)
        client.models.register("judge", kind="provider", uri="openai:mock-model",
                               config={"base_url": f"http://127.0.0.1:{port}/v1", "api_key": "bench"})
        spec = {"name": "bench-judge", "dataset": "bench", "id_column": "id", "input_column": "question",
                "candidates": [{"name": "a", "output_column": "a"}, {"name": "b", "output_column": "b"}],
                "judges": [{"name": "pairwise", "type": "pairwise", "model": "judge"}],
                "concurrency": args.concurrency}
        evals = EvalService(client._store)
        calls = 2 * args.pairs
        ideal = max(calls * args.latency_ms / 1000 / args.concurrency, 1e-9)
        for label in ("cold", "warm"):
            before = httpx.get(f"http://127.0.0.1:{port}/_mock/stats").json()["chat.completions"]
            started = time.perf_counter()
            result = evals.run(spec, resume=False)
            wall = time.perf_counter() - started
            stats = httpx.get(f"http://127.0.0.1:{port}/_mock/stats").json()
            upstream_calls = stats["chat.completions"] - before
            assert result.status == "succeeded", result.error
            print(f"{label}: {calls} judgments in {wall:.2f} s (ideal {ideal:.2f} s, ratio {wall / ideal:.2f}x); "
                  f"upstream calls {upstream_calls}; verdicts {result.pairwise[0].n}; "
                  f"win rate {result.metrics['pairwise.win_rate']:.3f}; upstream max in flight {stats['max_in_flight']}")
        client.close()
        floor = asyncio.run(provider_floor(port, calls, args.concurrency))
        print(f"provider floor: the same {calls} calls made directly with the OpenAI provider take {floor:.2f} s "
              f"({floor / ideal:.2f}x ideal) on this machine now")
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
