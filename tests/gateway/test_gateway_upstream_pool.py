"""The upstream hop keeps its connections: requests reuse pooled keep-alive connections, and only those.

A real HTTP/1.1 server on loopback (asyncio) counts the connections it accepts. Each gateway request once
opened a new connection, because the keep-alive flag was read after the parser had reset it: a TCP
handshake per request, sockets piling up in TIME_WAIT, and cyclic garbage for the collector.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from genloop.gateway._http1 import LeanClient

BODY = b'{"ok": true}'


class CountingServer:
    """Answers every request with a small JSON body; ``close_after`` adds ``connection: close`` to answers."""

    def __init__(self, *, close: bool = False, http10: bool = False) -> None:
        self.close, self.http10 = close, http10
        self.connections = 0
        self.requests = 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1/chat/completions"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
                self.requests += 1
                version = b"HTTP/1.0" if self.http10 else b"HTTP/1.1"
                extra = b"connection: close\r\n" if self.close else b""
                writer.write(version + b" 200 OK\r\ncontent-type: application/json\r\n" + extra
                             + b"content-length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
                await writer.drain()
                if self.close or self.http10:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def _requests(server: CountingServer, n: int, concurrency: int = 1) -> LeanClient:
    url = await server.start()
    client = LeanClient()

    async def one() -> None:
        response = await client.post(url, b'{"model": "m"}', {"content-type": "application/json"})
        assert response.status == 200
        assert await response.read() == BODY
        response.release()

    for _ in range(n // concurrency):
        await asyncio.gather(*(one() for _ in range(concurrency)))
    return client


@pytest.mark.parametrize("concurrency", [1, 4])
def test_keep_alive_connections_are_reused(concurrency: int) -> None:
    async def run() -> None:
        server = CountingServer()
        client = await _requests(server, 40, concurrency)
        assert server.requests == 40
        assert server.connections == concurrency  # one per request in flight at once, not one per request
        await client.aclose()
        await server.stop()

    asyncio.run(run())


@pytest.mark.parametrize("kind", ["close", "http10"])
def test_a_connection_the_server_closes_is_not_pooled(kind: str) -> None:
    async def run() -> None:
        server = CountingServer(close=kind == "close", http10=kind == "http10")
        client = await _requests(server, 5)
        assert server.requests == 5
        assert server.connections == 5
        assert all(not pool.idle for pool in client._pools.values())
        await client.aclose()
        await server.stop()

    asyncio.run(run())


def test_requests_leave_no_cyclic_garbage_per_request() -> None:
    async def run() -> None:
        server = CountingServer()
        gc.collect()
        gc.disable()
        try:
            client = await _requests(server, 200)
            found = gc.collect()
        finally:
            gc.enable()
        assert server.connections == 1
        assert found < 200, f"{found} objects of cyclic garbage for 200 requests"
        await client.aclose()
        await server.stop()

    asyncio.run(run())
