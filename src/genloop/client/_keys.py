"""REST twin of :class:`genloop.auth.KeyService`."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from genloop.auth import CreatedKey, KeyInfo
from genloop.client._http import HttpTransport
from genloop.store import Page

__all__ = ["RemoteKeys"]


class RemoteKeys:
    """``client.keys`` when the client talks to a GenLoop server (needs the ``admin`` scope when auth is on)."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/keys"

    def create(
        self,
        name: str,
        *,
        scopes: list[str] | None = None,
        deployments: list[str] | None = None,
        rpm_limit: int | None = None,
        tpm_limit: int | None = None,
        budget_usd: float | None = None,
        expires_at: dt.datetime | None = None,
        user: str | None = None,
    ) -> CreatedKey:
        body = {"user": user, "name": name, "scopes": scopes, "deployments": deployments, "rpm_limit": rpm_limit,
                "tpm_limit": tpm_limit, "budget_usd": budget_usd,
                "expires_at": expires_at.isoformat() if expires_at else None}
        return self._http.post_as(CreatedKey, self._base, json=body)

    def list(self, *, include_revoked: bool = False, offset: int = 0, limit: int = 50) -> Page[KeyInfo]:
        return self._http.get_as(Page[KeyInfo], self._base,
                                 params={"include_revoked": include_revoked, "offset": offset, "limit": limit})

    def get(self, key_id: str) -> KeyInfo:
        return self._http.get_as(KeyInfo, f"{self._base}/{quote(key_id, safe='')}")

    def revoke(self, key_id: str) -> KeyInfo:
        return self._http.post_as(KeyInfo, f"{self._base}/{quote(key_id, safe='')}/revoke")
