"""REST twin of :class:`genloop.connections.ConnectionService` (needs the ``operator`` scope when auth is on)."""

from __future__ import annotations

from urllib.parse import quote

from genloop.client._http import HttpTransport, _validate
from genloop.connections import ConnectionInfo
from genloop.store import Page

__all__ = ["RemoteConnections"]


class RemoteConnections:
    """``client.connections`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport) -> None:
        self._http = http

    def create(self, name: str, *, provider: str, base_url: str | None = None, secret_env: str | None = None,
               secret: str | None = None, description: str = "", replace: bool = False) -> ConnectionInfo:
        body = {"name": name, "provider": provider, "base_url": base_url, "secret_env": secret_env, "secret": secret,
                "description": description, "replace": replace}
        return self._http.post_as(ConnectionInfo, "/connections", json=body)

    def get(self, name: str) -> ConnectionInfo:
        return self._http.get_as(ConnectionInfo, f"/connections/{quote(name, safe='')}")

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[ConnectionInfo]:
        return self._http.get_as(Page[ConnectionInfo], "/connections", params={"offset": offset, "limit": limit})

    def delete(self, name: str) -> ConnectionInfo:
        return _validate(ConnectionInfo, self._http.request("DELETE", f"/connections/{quote(name, safe='')}"))
