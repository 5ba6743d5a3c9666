"""A lean HTTP/1.1 client for the upstream hop: pooled keep-alive connections, httptools parsing.

General clients (aiohttp, httpx) spend most of a gateway's per-request CPU on features this hop never
uses (cookies, redirects, proxies, middleware, per-request objects). Here a request is one write of
pre-built bytes, and the answer is parsed by the C parser uvicorn uses. A connection that the server
closed while idle is detected and the request is sent again on a fresh one (nothing was answered).
"""

from __future__ import annotations

import asyncio
import collections
import ssl as ssl_module
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

__all__ = ["ConnectionFailed", "LeanClient", "Response"]


class ConnectionFailed(Exception):
    """The connection failed or closed before a complete answer (``replayable``: before any byte of it)."""

    def __init__(self, message: str, *, replayable: bool = False) -> None:
        super().__init__(message)
        self.replayable = replayable


class Response:
    """Status, lowercase headers, and the body (whole, or streamed with :meth:`iter_chunks`)."""

    __slots__ = ("_conn", "headers", "status")

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self.status = conn.status
        self.headers = conn.headers

    async def read(self) -> bytes:
        return await self._conn.read_all()

    def iter_chunks(self) -> AsyncIterator[bytes]:
        return self._conn.iter_body()

    def close(self) -> None:
        """Drop the connection (a stream abandoned mid-way must not go back to the pool)."""
        self._conn.abort()

    def release(self) -> None:
        """Return the connection to its pool if the answer was read completely."""
        self._conn.release()


class _Connection(asyncio.Protocol):
    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.released = True
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.chunks: collections.deque[bytes] = collections.deque()
        self.got_bytes = False
        self.keep_alive = False
        self.headers_done = asyncio.Event()
        self.data_ready = asyncio.Event()
        self.complete = False
        self.error: ConnectionFailed | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionFailed(f"malformed HTTP answer: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete:
            self._fail(ConnectionFailed(f"connection closed ({type(exc).__name__ if exc else 'by the server'})",
                                        replayable=not self.got_bytes))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        # asked here: once the message is complete, llhttp has reset its flags and always answers False
        # (which sent every request on a new connection, and left each old one as cyclic garbage)
        self.keep_alive = self.parser.should_keep_alive()
        self.headers_done.set()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.data_ready.set()

    def on_message_complete(self) -> None:
        self.complete = True
        self.headers_done.set()
        self.data_ready.set()

    def _fail(self, error: ConnectionFailed) -> None:
        self.error = error
        self.headers_done.set()
        self.data_ready.set()

    # use
    def send(self, payload: bytes) -> None:
        self.released = False
        self._reset()
        self.parser = httptools.HttpResponseParser(self)
        assert self.transport is not None
        self.transport.write(payload)

    async def read_all(self) -> bytes:
        while not self.complete:
            if self.error is not None:
                raise self.error
            self.data_ready.clear()
            await self.data_ready.wait()
        body = b"".join(self.chunks)
        self.chunks.clear()
        return body

    async def iter_body(self) -> AsyncIterator[bytes]:
        while True:
            while self.chunks:
                yield self.chunks.popleft()
            if self.complete:
                return
            if self.error is not None:
                raise self.error
            self.data_ready.clear()
            await self.data_ready.wait()

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        if self.complete and not self.closed and self.keep_alive:
            self.pool.idle.append(self)
        else:
            self.abort()

    def abort(self) -> None:
        self.released = True
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.abort()


class _Pool:
    def __init__(self, host: str, port: int, ssl: ssl_module.SSLContext | None, limit: int) -> None:
        self.host, self.port, self.ssl, self.limit = host, port, ssl, limit
        self.idle: collections.deque[_Connection] = collections.deque()

    async def acquire(self) -> _Connection:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                return conn
        loop = asyncio.get_running_loop()
        _transport, conn = await loop.create_connection(lambda: _Connection(self), self.host, self.port,
                                                        ssl=self.ssl)
        return conn

    def close(self) -> None:
        while self.idle:
            self.idle.pop().abort()


class LeanClient:
    """POST JSON to HTTP/1.1 servers over pooled connections; one instance per gateway process."""

    def __init__(self, pool_size: int = 1024) -> None:
        self.pool_size = pool_size
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._ssl: ssl_module.SSLContext | None = None

    def _pool(self, scheme: str, host: str, port: int) -> _Pool:
        key = (scheme, host, port)
        pool = self._pools.get(key)
        if pool is None:
            ssl = None
            if scheme == "https":
                ssl = self._ssl = self._ssl or ssl_module.create_default_context()
            pool = self._pools[key] = _Pool(host, port, ssl, self.pool_size)
        return pool

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        """Send the request and wait for the status line and headers; read or stream the body after."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or "localhost"
        pool = self._pool(parts.scheme, host, port)
        head = [f"POST {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
                f"host: {parts.netloc}", f"content-length: {len(body)}", "connection: keep-alive"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            conn = await pool.acquire()
            try:
                conn.send(payload)
                await conn.headers_done.wait()
                if conn.error is not None:
                    raise conn.error
            except ConnectionFailed as exc:
                conn.abort()
                if exc.replayable and attempt == 1:
                    continue  # a pooled connection the server had closed: send again on a new one
                raise
            except BaseException:
                conn.abort()
                raise
            return Response(conn)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
