"""The trace writer process (the default, GENLOOP_TRACE_WRITER=process): the gateway only spools.

Its child process writes the spool to the store; when the child is killed the gateway starts another, and
no answered trace is lost or stored twice.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.gateway.conftest import mock_variant

from genloop.store import Store
from genloop.tracing._tables import TraceRow

CHAT = "/v1/chat/completions"


def _stored(store: Store, ids: list[str]) -> int:
    with store.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(TraceRow).where(TraceRow.id.in_(ids))) or 0)


def _send(http: httpx.Client, n: int, tag: str) -> list[str]:
    ids = []
    for i in range(n):
        response = http.post(CHAT, json={"model": "chat", "stream": i % 3 == 0,
                                         "messages": [{"role": "user", "content": f"{tag} {i}"}]})
        assert response.status_code == 200, response.text
        ids.append(response.headers["x-genloop-trace-id"])
    return ids


def test_the_gateway_spools_and_its_writer_process_stores(store: Store, deploy: Any, upstream: Any,
                                                          gateway_factory: Any) -> None:
    deploy("chat", variants=[mock_variant(upstream)])
    with gateway_factory() as gw, httpx.Client(base_url=gw.url) as http:
        gateway = gw.app.gateway
        assert gateway.writer.mode == "spool" and gateway.writer_process is not None
        child = gateway.writer_process.pid
        assert child is not None and child != os.getpid()
        ids = _send(http, 30, "first")
        gw.flush()
        assert _stored(store, ids) == 30
        health = http.get("/healthz").json()
        assert health["trace_writer"]["mode"] == "process" and health["trace_writer"]["running"] is True
        assert health["trace_writer"]["last"]["pid"] == child and health["traces_pending"] == 0


def test_a_killed_writer_process_is_replaced_and_loses_nothing(store: Store, deploy: Any, upstream: Any,
                                                               gateway_factory: Any) -> None:
    deploy("chat", variants=[mock_variant(upstream)])
    with gateway_factory() as gw, httpx.Client(base_url=gw.url) as http:
        supervisor = gw.app.gateway.writer_process
        ids = _send(http, 10, "before")
        first = supervisor.pid
        os.kill(first, signal.SIGKILL)
        ids += _send(http, 25, "during")  # answered while no writer runs: they wait in the spool
        deadline = time.monotonic() + 20
        while (supervisor.restarts < 1 or supervisor.pid == first) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.restarts >= 1 and supervisor.pid != first
        ids += _send(http, 5, "after")
        gw.flush()
        assert _stored(store, ids) == len(ids) == 40  # each trace once: writes are idempotent by trace id
    # a clean shutdown stops the child too
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(supervisor.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the writer process outlived its gateway")
