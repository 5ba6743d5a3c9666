"""Studio's session: a signed cookie holding the logged-in key's id and the CSRF token; no server table.

The cookie is ``base64url(json) + "." + base64url(hmac-sha256)``, signed with ``GENLOOP_STUDIO_SECRET`` or a
random secret generated once under ``GENLOOP_HOME``. It never holds the key's secret: each request loads the
key by id, so a revoked or expired key ends the session at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from genloop.settings import Settings

__all__ = ["COOKIE", "Session", "SessionCodec", "load_secret", "secure_cookie"]

COOKIE = "genloop_session"


@dataclass
class Session:
    """What the cookie carries: the key (id and project) once logged in, and the CSRF token."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    key_id: str | None = None
    project: str | None = None
    user: str | None = None  # logged in with user name and password (then key_id is None)
    issued: float = field(default_factory=time.time)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(settings: Settings) -> bytes:
    """The signing secret: the setting, else ``$GENLOOP_HOME/studio_secret`` (created 0600 on first use)."""
    if settings.studio_secret:
        return settings.studio_secret.encode()
    path: Path = settings.resolved_home / "studio_secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # first server on this home: write it (a concurrent one waits for the content below)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    for _ in range(50):
        secret = path.read_text().strip()
        if secret:
            return secret.encode()
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty; delete it and restart the server")


class SessionCodec:
    """Sign and verify session cookies; a tampered, foreign or expired cookie reads as no session."""

    def __init__(self, secret: bytes, max_age_s: float) -> None:
        self._secret = secret
        self.max_age_s = max_age_s

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        body = {"c": session.csrf, "k": session.key_id, "p": session.project, "t": int(session.issued)}
        if session.user:
            body["u"] = session.user
        payload = _b64(orjson.dumps(body))
        return f"{payload}.{self._sign(payload)}"

    def loads(self, cookie: str | None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body: dict[str, Any] = orjson.loads(_unb64(payload))
            session = Session(csrf=str(body["c"]), key_id=body.get("k"), project=body.get("p"),
                              issued=float(body["t"]), user=body.get("u"))
        except (ValueError, KeyError, TypeError):
            return None
        if time.time() - session.issued > self.max_age_s:
            return None
        return session


def secure_cookie(settings: Settings, scheme: str, hostname: str | None) -> bool:
    """Whether to mark the cookie Secure: the setting, else yes unless plain HTTP to a loopback host."""
    if settings.studio_secure_cookie is not None:
        return settings.studio_secure_cookie
    if scheme == "https":
        return True
    if hostname == "localhost":
        return False
    try:
        return not ipaddress.ip_address((hostname or "").strip("[]")).is_loopback
    except ValueError:
        return True
