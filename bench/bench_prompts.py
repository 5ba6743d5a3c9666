"""Benchmark the prompts hot path: SDK resolution (cached and not), rendering, and REST GET latency.

    python bench/bench_prompts.py [--database-url URL] [--requests 5000]

Creates a throwaway store (a SQLite file unless --database-url is given), a prompt ``support`` with a
``production`` label, then measures in this process:

- cached ``client.prompts.get("support@production")`` (the in-process reference cache);
- uncached resolution (the cache cleared before each call: one read transaction);
- ``client.prompts.render("support@production", variables)``;

and, against a real uvicorn server started in a child process on loopback, sequential
``GET /api/v1/projects/default/prompts/support@production`` over one keep-alive httpx connection,
plus the remote SDK's cached ``get`` and ``render``. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from genloop.client import Client
from genloop.settings import Settings
from genloop.store import Store

MESSAGES = [
    {"role": "system", "content": "You are a support agent for {{ product }}. Answer in {{ language | default('English') }}."},
    {"role": "user", "content": "{% if order %}Order {{ order }}: {% endif %}{{ question }}"},
]
VARIABLES = {"product": "Acme Cloud", "question": "Where is my invoice?", "order": "A-1042"}


def per_call(fn: Callable[[], object], n: int) -> list[float]:
    """Seconds per call, timed one by one."""
    out = []
    clock = time.perf_counter
    for _ in range(n):
        start = clock()
        fn()
        out.append(clock() - start)
    return out


def mean_batch(fn: Callable[[], object], n: int) -> float:
    """Seconds per call, timed as one batch (no per-call clock overhead)."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, samples: list[float], unit: str = "us") -> None:
    scale = 1e6 if unit == "us" else 1e3
    print(f"{label:<44} n={len(samples):>6}  mean {statistics.fmean(samples) * scale:8.2f} {unit}  "
          f"p50 {pct(samples, 0.50) * scale:8.2f} {unit}  p99 {pct(samples, 0.99) * scale:8.2f} {unit}  "
          f"max {max(samples) * scale:8.2f} {unit}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "GENLOOP_HOME": str(settings.resolved_home),
           "GENLOOP_DATABASE_URL": settings.resolved_database_url,
           "GENLOOP_ARTIFACTS_URI": settings.resolved_artifacts_uri}
    env.pop("GENLOOP_SERVER_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "genloop.server.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="store database (default: a SQLite file in a temporary folder)")
    parser.add_argument("--requests", type=int, default=5000, help="sequential REST GETs to time")
    parser.add_argument("--iterations", type=int, default=200_000, help="cached SDK gets to time")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="genloop-bench-"))
    settings = Settings(home=home, database_url=args.database_url or f"sqlite:///{home / 'bench.db'}",
                        artifacts_uri=str(home / "artifacts"), actor="bench")
    store = Store(settings)
    client = Client(store=store)
    for temperature in (0.1, 0.2, 0.3):
        client.prompts.create("support", messages=MESSAGES, model="openai:gpt-4o-mini",
                              params={"temperature": temperature, "max_tokens": 256})
    client.prompts.label("support@2", "production")
    print(f"store: {store.db.dialect}  cache ttl: {settings.cache_ttl}s  python {sys.version.split()[0]}")

    get = lambda: client.prompts.get("support@production")  # noqa: E731
    get()
    print(f"{'SDK cached get (batch mean)':<44} n={args.iterations:>6}  mean "
          f"{mean_batch(get, args.iterations) * 1e6:8.2f} us")
    report("SDK cached get (per call)", per_call(get, 50_000))

    def uncached() -> object:
        store.cache.invalidate()
        return client.prompts.get("support@production")

    report("SDK uncached get (one read transaction)", per_call(uncached, 2000))
    render = lambda: client.prompts.render("support@production", VARIABLES)  # noqa: E731
    render()
    report("SDK render (cached get + sandboxed render)", per_call(render, 50_000))

    proc, url = start_server(settings)
    try:
        path = "/api/v1/projects/default/prompts/support@production"
        with httpx.Client(base_url=url) as http:
            for _ in range(300):
                http.get(path).raise_for_status()

            def rest_get() -> None:
                http.get(path).raise_for_status()

            server_cpu, client_cpu = cpu_seconds(proc.pid), time.process_time()
            report("REST GET support@production (keep-alive)", per_call(rest_get, args.requests), unit="ms")
            client_cpu = time.process_time() - client_cpu
            server_after = cpu_seconds(proc.pid)
            if server_cpu is not None and server_after is not None:
                # CPU per request does not depend on how busy the machine is; wall-clock latency does
                print(f"{'  CPU per request: server / client':<44} {(server_after - server_cpu) / args.requests * 1e3:.3f} ms"
                      f" / {client_cpu / args.requests * 1e3:.3f} ms  (load average {os.getloadavg()[0]:.1f}"
                      f" on {os.cpu_count()} CPUs)")
        remote = Client(url)
        remote_get = lambda: remote.prompts.get("support@production")  # noqa: E731
        remote_get()
        report("remote SDK cached get", per_call(remote_get, 50_000))
        remote_render = lambda: remote.prompts.render("support@production", VARIABLES)  # noqa: E731
        report("remote SDK render (local sandbox)", per_call(remote_render, 20_000))
        remote.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        client.close()
        store.close()


if __name__ == "__main__":
    main()
