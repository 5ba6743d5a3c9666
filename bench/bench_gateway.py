"""How much latency the GenLoop gateway adds, side by side with LiteLLM's proxy, under open-loop load.

    python bench/bench_gateway.py                       # full run (about 6 minutes)
    python bench/bench_gateway.py --quick               # fewer, shorter steps
    python bench/bench_gateway.py --litellm /tmp/litellm-venv/bin/litellm   # where the pinned proxy lives

Everything runs on loopback, each part in its own process: the mock upstream (``genloop mock-upstream``
at 0 ms and 50 ms latency), the GenLoop gateway (``genloop gateway``, tracing on: every request is
spooled and written to SQLite), LiteLLM's proxy (``litellm[proxy]==1.74.*`` in its own venv, offline,
no database), and an open-loop load generator (asyncio + aiohttp on uvloop) that sends requests at a
fixed rate whatever the answers do, and measures each latency from the moment the request was due
(so a stall counts against the server, not the generator). Added latency = the gateway's percentile
minus the upstream's own percentile at the same rate. LiteLLM is installed with::

    python -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]==1.74.*'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BODY = {"model": "", "messages": [{"role": "user", "content": "Say something short about latency."}],
        "max_tokens": 16}


# -- the load generator (runs in its own process) ------------------------------------------------------


async def _load(url: str, model: str, rate: float, duration: float, warmup: float) -> dict[str, Any]:
    import aiohttp
    import orjson

    body = orjson.dumps({**BODY, "model": model})
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=2000, limit_per_host=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # open some connections first, so the measurement is not about TCP handshakes
        await asyncio.gather(*(session.get(url.replace("/chat/completions", "/models")) for _ in range(20)),
                             return_exceptions=True)
        clock = time.perf_counter  # uvloop's loop.time() only has millisecond resolution
        start = clock() + 0.1
        total = int(rate * (duration + warmup))
        tasks = []

        async def one(due: float, measured: bool) -> None:
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except Exception as exc:  # noqa: BLE001 - every failure is counted by kind
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            if measured:
                if status == 200:
                    latencies.append((clock() - due) * 1000)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

        for i in range(total):
            due = start + i / rate
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(due, i >= rate * warmup)))
        await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": errors, "sent": total}


def loadgen_main(argv: list[str]) -> None:
    url, model, rate, duration, warmup, out_path = (argv[0], argv[1], float(argv[2]), float(argv[3]), float(argv[4]),
                                                    argv[5])
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(_load(url, model, rate, duration, warmup))
    # A file, not stdout: the event loop leaves stdout non-blocking, and a pipe then took only the first
    # 128 KiB of a large result (the harness crashed at 1,750 req/s on the cut JSON).
    Path(out_path).write_text(json.dumps(result))


# -- processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


@contextlib.contextmanager
def process(cmd: list[str], health: str, env: dict[str, str] | None = None, log: Path | None = None
            ) -> Iterator[subprocess.Popen[bytes]]:
    sink = log.open("ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=sink)
    try:
        wait_http(health, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if log:
            sink.close()  # type: ignore[union-attr]


def mock_upstream(port: int, latency_ms: float, log: Path) -> contextlib.AbstractContextManager[Any]:
    code = ("from genloop.providers.mock_upstream import MockUpstreamConfig, serve; "
            f"serve(MockUpstreamConfig(latency_ms={latency_ms}, reply='ok fine'), port={port})")
    return process([sys.executable, "-c", code], f"http://127.0.0.1:{port}/v1/models", log=log)


def setup_gateway_store(home: Path, upstreams: dict[str, int]) -> dict[str, str]:
    """Create the store and one deployment per upstream; return the environment for the gateway."""
    env = {**os.environ, "GENLOOP_HOME": str(home), "GENLOOP_DATABASE_URL": f"sqlite:///{home}/genloop.db",
           "GENLOOP_GATEWAY_MAX_INFLIGHT": "4096"}
    code = (
        "import sys, json; from genloop.store import Store; from genloop.deployments import DeploymentService\n"
        "svc = DeploymentService(Store())\n"
        "for name, port in json.loads(sys.argv[1]).items():\n"
        "    svc.create(name, variants=[{'model': 'openai:mock-model', 'base_url': f'http://127.0.0.1:{port}/v1'}])\n"
    )
    subprocess.run([sys.executable, "-c", code, json.dumps(upstreams)], env=env, check=True)
    return env


def litellm_config(path: Path, upstreams: dict[str, int]) -> None:
    lines = ["model_list:"]
    for name, port in upstreams.items():
        lines += [f"  - model_name: {name}", "    litellm_params:", "      model: openai/mock-model",
                  f"      api_base: http://127.0.0.1:{port}/v1", "      api_key: sk-mock"]
    lines += ["litellm_settings:", "  telemetry: false", "  drop_params: true", "general_settings: {}"]
    path.write_text("\n".join(lines) + "\n")


# -- measuring ---------------------------------------------------------------------------------------


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used (Linux /proc), 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def child_pids(pid: int | None) -> list[int]:
    """The direct children of ``pid`` (the gateway's trace writer), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children") if pid else []:
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in task.read_text().split()]
    return found


def run_load(url: str, model: str, rate: float, duration: float, warmup: float, pid: int | None = None
             ) -> dict[str, Any]:
    children = child_pids(pid)
    cpu_before = cpu_seconds(pid)
    child_before = sum(cpu_seconds(c) for c in children)
    with tempfile.TemporaryDirectory() as tmp:
        result_path = Path(tmp) / "load.json"
        subprocess.run([sys.executable, __file__, "--loadgen", url, model, str(rate), str(duration), str(warmup),
                        str(result_path)], check=True, timeout=duration + warmup + 120)
        data = json.loads(result_path.read_text())
    lat = sorted(data["latencies"])
    n = len(lat)
    pick = (lambda q: lat[min(n - 1, int(q * n))]) if n else (lambda q: float("nan"))
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(1, data["sent"]) if pid else None
    child_ms = (sum(cpu_seconds(c) for c in children) - child_before) * 1000 / max(1, data["sent"]) if children else None
    return {"rate": rate, "ok": n, "errors": data["errors"], "p50": pick(0.50), "p90": pick(0.90),
            "p99": pick(0.99), "mean": statistics.fmean(lat) if lat else float("nan"), "cpu_ms_per_request": cpu_ms,
            "writer_cpu_ms_per_request": child_ms}


def fmt(row: dict[str, Any]) -> str:
    errors = sum(row["errors"].values())
    cpu, writer = row.get("cpu_ms_per_request"), row.get("writer_cpu_ms_per_request")
    return (f"rate {row['rate']:>6.0f}/s  ok {row['ok']:>6}  err {errors:>5}  "
            f"p50 {row['p50']:8.2f} ms  p90 {row['p90']:8.2f} ms  p99 {row['p99']:8.2f} ms"
            + (f"  cpu {cpu:.3f} ms/req" if cpu is not None else "")
            + (f" (+ trace writer {writer:.3f})" if writer is not None else ""))


def summary(results: dict[str, Any], probe: Path | None) -> None:
    """The lines to quote: added latency per step and proxy, the highest clean rate, the probe's attribution."""
    print("\n## summary (added = proxy percentile - direct upstream percentile, same rate, same run)")
    for key, rows in results.items():
        if not isinstance(rows, dict) or "direct" not in rows:
            continue
        parts = [f"{who} adds p50 {rows[f'{who}_added']['p50']:+.2f} ms, p99 {rows[f'{who}_added']['p99']:+.2f} ms"
                 for who in ("genloop", "litellm") if f"{who}_added" in rows]
        print(f"{key:>12}: " + " | ".join(parts))
    print(f"highest rate with GenLoop's added p99 <= 5 ms (0 ms upstream): {results.get('max_rate_added_p99_under_5ms')}"
          " requests/s")
    if probe is not None and probe.exists():
        data = json.loads(probe.read_text())
        results["probe"] = data
        print(f"gateway loop lags >= 3 ms by cause: {data['lag_causes']}")
        print(f"gateway GC by generation: {data['gc']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter steps and fewer rates")
    parser.add_argument("--litellm", default="/tmp/litellm-venv/bin/litellm", help="litellm executable ('' to skip)")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per step")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--probe", action="store_true",
                        help="run the gateway under bench/gateway_probe.py: report its loop lag by cause and GC pauses")
    args = parser.parse_args()
    duration = args.duration or (5.0 if args.quick else 10.0)
    warmup = 1.0 if args.quick else 2.0
    sweep = [250, 500, 1000] if args.quick else [250, 500, 750, 1000, 1250, 1500, 2000]
    side_rates = [100, 500] if args.quick else [100, 250, 500]
    tmp = Path(tempfile.mkdtemp(prefix="genloop-bench-"))
    results: dict[str, Any] = {"cpu_count": os.cpu_count(), "duration_s": duration}
    ports = {"bench0": free_port(), "bench50": free_port()}
    gw_port, ll_port = free_port(), free_port()
    env = setup_gateway_store(tmp / "home", ports)
    gateway_cmd = [sys.executable, "-c", f"from genloop.gateway import serve_gateway; serve_gateway(port={gw_port})"]
    if args.probe:  # the same server, instrumented
        gateway_cmd = [sys.executable, str(Path(__file__).with_name("gateway_probe.py")), str(gw_port),
                       str(tmp / "probe.json"), ""]
    direct = {name: f"http://127.0.0.1:{port}/v1/chat/completions" for name, port in ports.items()}
    gateway_url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
    litellm_url = f"http://127.0.0.1:{ll_port}/v1/chat/completions"
    use_litellm = bool(args.litellm) and shutil.which(args.litellm) is not None
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock_upstream(ports["bench0"], 0, tmp / "up0.log"))
        stack.enter_context(mock_upstream(ports["bench50"], 50, tmp / "up50.log"))
        gw = stack.enter_context(process(gateway_cmd, f"http://127.0.0.1:{gw_port}/healthz", env,
                                         tmp / "gateway.log"))
        print(f"# logs and store in {tmp}; load average at start: {os.getloadavg()}", flush=True)
        # 1. side by side, 0 ms and 50 ms upstreams
        keys = [(name, rate) for rate in side_rates for name in ("bench0", "bench50")]
        for name, rate in keys:
            results[f"{name}@{rate}"] = {"direct": run_load(direct[name], name, rate, duration, warmup),
                                         "genloop": run_load(gateway_url, name, rate, duration, warmup, gw.pid)}
        if use_litellm:
            litellm_config(tmp / "litellm.yaml", ports)
            ll_env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR",
                      "DISABLE_SCHEMA_UPDATE": "true"}
            ll_env.pop("DATABASE_URL", None)
            with process([args.litellm, "--config", str(tmp / "litellm.yaml"), "--host", "127.0.0.1",
                          "--port", str(ll_port), "--num_workers", "1"], f"http://127.0.0.1:{ll_port}/health/liveliness", ll_env,
                         tmp / "litellm.log") as ll:
                for name in ("bench0", "bench50"):
                    run_load(litellm_url, name, 50, 2, 0)  # warm its caches
                for name, rate in keys:
                    results[f"{name}@{rate}"]["litellm"] = run_load(litellm_url, name, rate, duration, warmup,
                                                                    ll.pid)
        for name, rate in keys:
            key = f"{name}@{rate}"
            rows = results[key]
            print(f"\n## upstream {name.removeprefix('bench')} ms latency, at {rate} requests/s")
            for who, row in rows.items():
                print(f"{who:>8}: {fmt(row)}")
            for who in ("genloop", "litellm"):
                if who in rows:
                    added50 = rows[who]["p50"] - rows["direct"]["p50"]
                    added99 = rows[who]["p99"] - rows["direct"]["p99"]
                    rows[f"{who}_added"] = {"p50": added50, "p99": added99}
                    print(f"{who:>8} adds: p50 {added50:+.2f} ms, p99 {added99:+.2f} ms")
        # 2. the highest rate at which the gateway adds under 5 ms at p99 (0 ms upstream)
        print("\n## rate sweep, upstream 0 ms (added = gateway - direct)")
        best = None
        sweep_rows = []
        for rate in sweep:
            d = run_load(direct["bench0"], "bench0", rate, duration, warmup)
            g = run_load(gateway_url, "bench0", rate, duration, warmup, gw.pid)
            added = g["p99"] - d["p99"]
            clean = not g["errors"] and g["ok"] >= 0.99 * rate * duration
            sweep_rows.append({"rate": rate, "direct": d, "genloop": g, "added_p99": added, "clean": clean})
            print(f"direct : {fmt(d)}\ngenloop: {fmt(g)}\n  added p50 {g['p50'] - d['p50']:+.2f} ms, "
                  f"p99 {added:+.2f} ms{'' if clean else '  (errors or missing answers)'}")
            if added <= 5 and clean:
                best = rate
            elif best is not None:
                break
        results["sweep"] = sweep_rows
        results["max_rate_added_p99_under_5ms"] = best
        print(f"\nhighest rate with added p99 <= 5 ms: {best} requests/s; load average at end: {os.getloadavg()}")
    summary(results, tmp / "probe.json" if args.probe else None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        loadgen_main(sys.argv[2:])
    else:
        main()
