"""A mock OpenAI-compatible upstream server, cheap enough to benchmark a gateway at thousands of requests/s.

``POST /v1/chat/completions`` (plain and SSE), ``POST /v1/completions``, ``POST /v1/embeddings`` (vectors from
a hash), ``GET /v1/models``, plus ``GET /_mock/stats`` and ``POST /_mock/reset``. Replies echo the last user
message, or a fixed ``reply``, or a JSONL ``script`` cycled per call; failures come from the script or a
seeded ``fail_rate`` and answer OpenAI-shaped error JSON (with ``Retry-After`` on 429).

A raw ASGI app (no framework routing) with orjson, served by uvicorn with httptools and uvloop::

    with run_mock_upstream(latency_ms=20) as url:
        openai.OpenAI(base_url=url + "/v1", api_key="x").chat.completions.create(...)
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from genloop.providers._upstream_app import MockUpstreamApp, MockUpstreamConfig, load_script

__all__ = ["MockUpstreamApp", "MockUpstreamConfig", "MockUpstreamServer", "create_app", "load_script",
           "run_mock_upstream", "serve"]


def create_app(config: MockUpstreamConfig | None = None, **options: Any) -> MockUpstreamApp:
    """The ASGI app for ``config`` (or a config built from keyword options)."""
    return MockUpstreamApp(config or MockUpstreamConfig(**options))


def _uvicorn_config(app: MockUpstreamApp, host: str, port: int, *, embedded: bool = False) -> Any:
    import uvicorn

    # embedded in another process (tests, benchmarks): leave that process's logging as it is
    extra: dict[str, Any] = {"log_config": None} if embedded else {}
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on", ws="none",
                          **extra,
                          http="httptools" if importlib.util.find_spec("httptools") else "h11",
                          loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio")


def serve(config: MockUpstreamConfig | None = None, *, host: str = "127.0.0.1", port: int = 8100) -> None:
    """Serve the mock upstream in the foreground until interrupted."""
    import uvicorn

    uvicorn.Server(_uvicorn_config(create_app(config), host, port)).run()


class MockUpstreamServer:
    """The mock upstream on a free loopback port in a background thread; ``url`` has no ``/v1`` suffix."""

    def __init__(self, config: MockUpstreamConfig | None = None, **options: Any) -> None:
        import uvicorn

        self.app = create_app(config, **options)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(_uvicorn_config(self.app, "127.0.0.1", self.port, embedded=True))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True,
                                        name=f"mock-upstream-{self.port}")

    @property
    def stats(self) -> dict[str, int]:
        return dict(self.app.stats)

    def __enter__(self) -> MockUpstreamServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.__exit__()
                raise RuntimeError("the mock upstream did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=20)
        self._socket.close()


@contextlib.contextmanager
def run_mock_upstream(config: MockUpstreamConfig | None = None, **options: Any) -> Iterator[str]:
    """Start the mock upstream on a free loopback port for the block; yields its base URL (add ``/v1``)."""
    with MockUpstreamServer(config, **options) as server:
        yield server.url
