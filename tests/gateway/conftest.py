"""Fixtures for gateway tests: the mock upstream, a real gateway on uvicorn, a misbehaving upstream."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import free_port

from genloop.deployments import DeploymentService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store

#: A real uvicorn server (httptools, uvloop when installed) on a free loopback port, in a thread.
ServerThread = BackgroundServer


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """Gateway tests run on SQLite; the tracing tests cover the store on PostgreSQL too."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


@pytest.fixture
def upstream() -> Iterator[MockUpstreamServer]:
    """The mock OpenAI-compatible upstream (echoes the last user message)."""
    with MockUpstreamServer() as server:
        yield server


class Gateway:
    """A running gateway: ``url`` (no /v1), ``app`` (the GatewayApp), helpers for clients and traces."""

    def __init__(self, srv: ServerThread, app: Any, store: Store) -> None:
        self.srv, self.app, self.store = srv, app, store
        self.url = srv.url
        self.clients: list[Any] = []

    def openai(self, api_key: str = "unused") -> Any:
        import openai

        client = openai.OpenAI(base_url=self.url + "/v1", api_key=api_key, max_retries=0, timeout=20)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def flush(self) -> None:
        assert self.app.gateway.writer.flush(15), "traces did not reach the store"

    def refresh(self) -> None:
        self.app.gateway.refresh_now()


@pytest.fixture
def gateway_factory(store: Store) -> Iterator[Callable[..., Any]]:
    """``with gateway_factory(**settings) as gw:`` a real gateway on the test store (fast trace flushes)."""
    from genloop.gateway import create_gateway_app

    @contextlib.contextmanager
    def start(**overrides: Any) -> Iterator[Gateway]:
        values = {**store.settings.model_dump(), "trace_flush_interval": 0.05, **overrides}
        settings = Settings(**values)
        app = create_gateway_app(store, settings)
        with ServerThread(app) as srv:
            gw = Gateway(srv, app, store)
            try:
                yield gw
            finally:
                gw.close()

    yield start


@pytest.fixture
def deploy(store: Store) -> Callable[..., Any]:
    """``deploy(name, **spec)`` creates (or updates) a deployment in the default project."""

    def make(name: str, project: str = "default", **spec: Any) -> Any:
        service = DeploymentService(store, project)
        try:
            service.get(name)
        except Exception:  # noqa: BLE001 - not there yet
            return service.create(name, **spec)
        return service.update(name, **spec)

    return make


@pytest.fixture
def deploy_broken(store: Store, deploy: Callable[..., Any]) -> Callable[..., Any]:
    """``deploy_broken(name, project=...)``: a deployment valid when made whose connection is then deleted."""
    from genloop.connections import ConnectionService

    def make(name: str, project: str = "default") -> Any:
        connections = ConnectionService(store)
        connections.create(f"gone-{name}", provider="openai", base_url="http://127.0.0.1:9/v1")
        made = deploy(name, project=project, variants=[{"model": "openai:x", "connection": f"gone-{name}"}])
        connections.delete(f"gone-{name}")
        return made

    return make


def mock_variant(upstream: MockUpstreamServer, **extra: Any) -> dict[str, Any]:
    return {"model": "openai:mock-model", "base_url": upstream.url + "/v1", **extra}


class BadUpstream:
    """A loopback server that misbehaves by model name: ``garbage`` (200, not JSON), ``reset`` (closes the
    connection), ``hang`` (never answers), ``truncated`` (stream cut off mid-way), ``slowstream`` (a chunk
    every 50 ms for 5 s; ``aborted`` is set when the gateway hangs up)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.calls = 0
        self.aborted = threading.Event()
        self.chunks_sent = 0
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        self.server.close()
        self.loop.run_until_complete(self.server.wait_closed())
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            self.calls += 1
            if b'"garbage"' in body:
                payload = b"<html>definitely not json</html>"
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                             + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            elif b'"hang"' in body:
                await asyncio.sleep(30)
            elif b'"slowstream"' in body:
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
                chunk = (b'data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m",'
                         b'"choices":[{"index":0,"delta":{"content":"tick "},"finish_reason":null}]}\n\n')
                for _ in range(100):
                    writer.write(chunk)
                    self.chunks_sent += 1
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    if writer.transport.is_closing() or reader.at_eof():
                        break
                self.aborted.set()
            elif b'"truncated"' in body:
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n"
                             b'data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m",'
                             b'"choices":[{"index":0,"delta":{"content":"partial "},"finish_reason":null}]}\n\n')
                await writer.drain()
            # "reset" and the rest: close without an answer
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            self.aborted.set()
        finally:
            writer.close()

    def __enter__(self) -> BadUpstream:
        self.thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@contextlib.contextmanager
def gateway_process(env: dict[str, str], log: Path, workers: int = 1) -> Iterator[str]:
    """A real ``serve_gateway`` process (``workers`` of them on one port) with ``env`` on a free port (its output
    in ``log``); yields its URL."""
    port = free_port()
    code = f"from genloop.gateway import serve_gateway; serve_gateway(port={port}, workers={workers})"
    with log.open("ab") as sink:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"the gateway did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
