"""A gateway killed with SIGKILL right after answering loses no trace: the spool is replayed on restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from genloop.deployments import DeploymentService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.tracing._tables import TraceRow

pytestmark = pytest.mark.slow


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    code = f"from genloop.gateway import serve_gateway; serve_gateway(port={port})"
    with log.open("ab") as sink:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=sink, stderr=sink)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()["status"] == "ok":
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    raise RuntimeError(f"gateway did not start: {log.read_text()[-2000:]}")


def _count(store, ids: list[str]) -> int:  # type: ignore[no-untyped-def]
    with store.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(TraceRow).where(TraceRow.id.in_(ids))) or 0)


def test_sigkill_loses_no_answered_trace(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with MockUpstreamServer() as upstream:
        DeploymentService(store).create("chat", variants=[{"model": "openai:mock-model",
                                                           "base_url": upstream.url + "/v1"}])
        env = {**os.environ, "GENLOOP_HOME": str(store.settings.resolved_home),
               "GENLOOP_DATABASE_URL": store.settings.resolved_database_url,
               "GENLOOP_TRACE_FLUSH_INTERVAL": "3600", "GENLOOP_TRACE_BATCH_SIZE": "100000"}
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = _start(env, port, tmp_path / "gateway.log")
        ids = []
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                for i in range(40):
                    response = http.post("/v1/chat/completions", json={
                        "model": "chat", "stream": i % 2 == 0, "messages": [{"role": "user", "content": f"n{i}"}]})
                    assert response.status_code == 200
                    ids.append(response.headers["x-genloop-trace-id"])
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert _count(store, ids) == 0  # nothing reached the store before the kill: it was all in the spool
        env["GENLOOP_TRACE_FLUSH_INTERVAL"] = "0.05"
        proc = _start(env, port, tmp_path / "gateway.log")
        try:
            deadline = time.monotonic() + 20
            while _count(store, ids) < len(ids) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(10)
    assert _count(store, ids) == len(ids)
    spool = store.settings.resolved_trace_spool_dir
    left = [p.name for p in spool.iterdir() if p.is_dir()]  # the writer's lock and status files may stay
    assert not left, "the replayed spool and the clean shutdown leave no spool folder behind"
