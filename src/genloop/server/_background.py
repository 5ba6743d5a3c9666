"""An ASGI app served by uvicorn in a background thread, on a free loopback port (demos, notebooks, tests)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """Serve ``app`` on ``host`` (a free port unless ``port``) for the ``with`` block; ``url`` has no ``/v1``.

        with BackgroundServer(create_gateway_app(store)) as srv:
            httpx.post(srv.url + "/v1/chat/completions", json=...)

    The app's lifespan runs (the gateway starts its trace writer and flushes it on exit).
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 20.0) -> None:
        import uvicorn

        from genloop.gateway import uvicorn_options

        self.app = app
        self._socket = socket.socket()
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._timeout = start_timeout
        # log_config=None: an embedded server must not reconfigure the host process's logging (uvicorn's
        # dictConfig closes every existing handler, and with it any stream a handler held)
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", log_config=None, **uvicorn_options()))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True,
                                        name=f"genloop-server-{self.port}")

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.__exit__()
                raise RuntimeError(f"the server on {self.url} did not start within {self._timeout:.0f} s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._socket.close()
