"""How many requests/s the mock upstream answers, and what the OpenAI provider adds on the client side.

    python bench/bench_providers.py [--seconds 5] [--connections 64] [--latency-ms 0] [--stream]

The server runs in its own process (``genloop.cli.mock_upstream`` through Typer); the load generator is a
minimal keep-alive HTTP/1.1 client on uvloop, so it measures the server rather than an HTTP library.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

import orjson

BODY = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hello there, how are you today?"}]})


def _request(stream: bool) -> bytes:
    body = orjson.dumps({**orjson.loads(BODY), "stream": True, "stream_options": {"include_usage": True}}) if stream \
        else BODY
    return (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def _connection(port: int, request: bytes, stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            if b"content-length:" in lower:
                length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
            else:  # chunked (SSE): read chunks until the terminating zero-size chunk
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            counts[0] += 1
    finally:
        writer.close()


async def _load(port: int, seconds: float, connections: int, stream: bool) -> float:
    counts = [0]
    stop = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, _request(stream), stop, counts) for _ in range(connections)))
    return counts[0] / (time.perf_counter() - started)


async def _provider_overhead(url: str, n: int) -> float:
    from genloop.providers import ChatRequest, OpenAIProvider

    request = ChatRequest(model="m", messages=orjson.loads(BODY)["messages"])
    async with OpenAIProvider(base_url=url + "/v1", max_concurrency=64) as provider:
        started = time.perf_counter()
        for _ in range(n // 64):
            await asyncio.gather(*(provider.chat(request) for _ in range(64)))
        return (n // 64 * 64) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = "import typer; from genloop.cli.mock_upstream import mock_upstream; typer.run(mock_upstream)"
    server = subprocess.Popen([sys.executable, "-c", code, "--port", str(port), "--latency-ms", str(args.latency_ms)],
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        rps = runner(_load(port, args.seconds, args.connections, args.stream))
        print(f"mock upstream: {rps:,.0f} requests/s ({args.connections} keep-alive connections, "
              f"latency {args.latency_ms:g} ms, {'SSE' if args.stream else 'JSON'})")
        client_rps = runner(_provider_overhead(f"http://127.0.0.1:{port}", 2048))
        print(f"OpenAIProvider.chat through httpx: {client_rps:,.0f} requests/s (client side, 64 concurrent)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
