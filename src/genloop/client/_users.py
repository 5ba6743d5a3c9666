"""REST twins of :class:`genloop.auth.UserService` (``client.users``) and :class:`genloop.auth.RoleService`
(``client.roles``)."""

from __future__ import annotations

from urllib.parse import quote

from genloop.auth import Membership, UserInfo
from genloop.client._http import HttpTransport

__all__ = ["RemoteRoles", "RemoteUsers"]


class RemoteUsers:
    """``client.users`` over REST (needs the ``users.manage`` permission: an operator key, when auth is on)."""

    def __init__(self, http: HttpTransport) -> None:
        self._http = http

    def create(self, name: str, *, email: str = "", password: str | None = None, service: bool = False) -> UserInfo:
        return self._http.post_as(UserInfo, "/users",
                                  json={"name": name, "email": email, "password": password, "service": service})

    def list(self, *, include_inactive: bool = False) -> list[UserInfo]:
        return self._http.get_as(list[UserInfo], "/users", params={"include_inactive": include_inactive})

    def get(self, name: str) -> UserInfo:
        return self._http.get_as(UserInfo, f"/users/{quote(name, safe='')}")

    def deactivate(self, name: str) -> UserInfo:
        return self._http.post_as(UserInfo, f"/users/{quote(name, safe='')}/deactivate")

    def set_password(self, name: str, password: str) -> UserInfo:
        return self._http.post_as(UserInfo, f"/users/{quote(name, safe='')}/password", json={"password": password})


class RemoteRoles:
    """``client.roles`` over REST: roles in the client's project."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    def _url(self, user: str = "") -> str:
        base = f"/projects/{quote(self.project, safe='')}/members"
        return f"{base}/{quote(user, safe='')}" if user else base

    def grant(self, user: str, role: str) -> Membership:
        return self._http.put_as(Membership, self._url(user), json={"role": role})

    def revoke(self, user: str) -> Membership:
        return Membership.model_validate(self._http.request("DELETE", self._url(user)))

    def list(self) -> list[Membership]:
        return self._http.get_as(list[Membership], self._url())
