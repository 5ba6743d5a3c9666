"""`genloop gateway --workers 2`: two worker processes share the port, each spools into its own folder, one
writer process leads the spool root, and every answered trace reaches the store once."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.gateway.conftest import gateway_process

from genloop.deployments import DeploymentService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.settings import Settings
from genloop.store import Store
from genloop.tracing._drain import read_status, writer_running
from genloop.tracing._tables import TraceRow

pytestmark = pytest.mark.slow


def _processes() -> dict[int, tuple[int, bytes]]:
    """Every process: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                found[int(entry.name)] = (ppid, (entry / "cmdline").read_bytes())
            except (OSError, IndexError, ValueError):
                continue
    return found


def _writer_processes(server: int) -> set[int]:
    """Pids of the trace writer processes started by the worker processes of ``server``."""
    table = _processes()
    workers = {pid for pid, (ppid, _) in table.items() if ppid == server}
    return {pid for pid, (ppid, cmd) in table.items() if ppid in workers and b"_writer_process" in cmd}


def test_two_workers_share_a_port_and_one_writer(tmp_path: Path) -> None:
    home, db = tmp_path / "home", f"sqlite:///{tmp_path / 'genloop.db'}"
    with MockUpstreamServer() as upstream:
        store = Store(Settings(home=home, database_url=db, actor="tester"))
        DeploymentService(store).create("chat", variants=[{"model": "openai:mock", "base_url": upstream.url + "/v1"}])
        env = {**os.environ, "GENLOOP_HOME": str(home), "GENLOOP_DATABASE_URL": db,
               "GENLOOP_TRACE_FLUSH_INTERVAL": "0.05"}
        spool = home / "spool" / "traces"
        with gateway_process(env, tmp_path / "gateway.log", workers=2) as url:
            port = url.rsplit(":", 1)[1]
            server = next(pid for pid, (_, cmd) in _processes().items() if f"serve_gateway(port={port}".encode() in cmd
                          and b"-c" in cmd and pid != os.getpid())
            ids: list[str] = []
            with httpx.Client(base_url=url, timeout=10) as http:
                for i in range(60):  # a new connection each time, so both workers answer
                    answer = http.post("/v1/chat/completions", headers={"connection": "close"},
                                       json={"model": "chat", "messages": [{"role": "user", "content": f"n{i}"}]})
                    assert answer.status_code == 200
                    ids.append(answer.headers["x-genloop-trace-id"])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with store.db.read() as session:
                    stored = session.scalar(select(func.count()).select_from(TraceRow).where(TraceRow.id.in_(ids)))
                if stored == len(ids):
                    break
                time.sleep(0.1)
            assert stored == len(ids)
            owners = [p for p in spool.iterdir() if p.is_dir()]
            assert len(owners) == 2  # one spool folder per worker process
            writers = _writer_processes(server)
            assert len(writers) == 2  # each worker started its own writer process ...
            status = read_status(spool)
            assert writer_running(spool) and status is not None and status["pid"] in writers  # ... and one leads
        store.close()
