"""ConnectionService: create, list, show and delete named provider connections; resolve them for the gateway.

Connections are server-wide (not per project) and only an operator manages them: over REST the routes
need a key with the ``operator`` scope; in-process (the CLI on the server, an in-process SDK) whoever holds
the database is the operator. Changes are audited under the ``default`` project (entity ``connection``,
without the secret), which also tells running gateways to reload.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.connections._schemas import WIRE_FORMATS, ConnectionInfo
from genloop.connections._tables import ConnectionRow
from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.refs import validate_name
from genloop.store import Page, Store
from genloop.store._registry import ensure_project, record_audit

__all__ = ["ConnectionService", "ResolvedConnection", "default_base_url"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_AUDIT_PROJECT = "default"


def default_base_url(provider: str) -> str:
    """The public endpoint of a built-in wire format."""
    from genloop.providers import AnthropicProvider, GeminiProvider, OpenAIProvider

    classes: dict[str, Any] = {"openai": OpenAIProvider, "anthropic": AnthropicProvider, "gemini": GeminiProvider}
    return str(classes[provider].default_base_url)


@dataclass(frozen=True, slots=True)
class ResolvedConnection:
    """A connection ready to call: wire format, endpoint and the key (read from its variable or the store)."""

    name: str
    provider: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)


class ConnectionService:
    """Named provider connections of this server."""

    def __init__(self, store: Store, actor: str | None = None) -> None:
        self.store = store
        self.actor = actor or store.default_actor

    def create(self, name: str, *, provider: str, base_url: str | None = None, secret_env: str | None = None,
               secret: str | None = None, description: str = "", replace: bool = False) -> ConnectionInfo:
        """Create a connection (``replace``: change the one of that name). Give ``secret_env`` or ``secret``, or
        neither for an endpoint that needs no key; the secret is stored and never shown again."""
        validate_name(name, "connection name")
        if provider not in WIRE_FORMATS:
            raise InvalidInput(f"unknown wire format {provider!r}", hint=f"use one of: {', '.join(WIRE_FORMATS)}")
        url = _check_url(base_url) if base_url else default_base_url(provider)
        if secret_env is not None and secret is not None:
            raise InvalidInput("give secret_env or secret, not both",
                               hint="secret_env names a server environment variable; secret stores the key itself")
        if secret_env is not None and not _ENV_NAME.fullmatch(secret_env):
            raise InvalidInput(f"invalid environment variable name {secret_env!r}",
                               hint="letters, digits and _, not starting with a digit, e.g. OPENAI_API_KEY")
        if secret is not None and (not secret.strip() or len(secret) > 8192 or "\n" in secret):
            raise InvalidInput("secret must be one line of 1-8192 characters")
        after = {"provider": provider, "base_url": url, "secret_env": secret_env, "has_secret": secret is not None}

        def fn(session: Session) -> ConnectionInfo:
            project = ensure_project(session, _AUDIT_PROJECT, self.actor)
            row = session.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
            before = None
            if row is not None and not replace:
                raise Conflict(f"connection {name!r} already exists", hint=Hint(cli="pass --replace to change it",
                                                                                   sdk="pass replace=True to change it",
                                                                                   rest='send "replace": true to change it'))
            if row is None:
                row = ConnectionRow(name=name, created_by=self.actor)
                session.add(row)
            else:
                before = _info(row).model_dump(mode="json", exclude={"created_at"})
            row.provider, row.base_url, row.secret_env, row.secret = provider, url, secret_env, secret
            row.description = description[:1024]
            session.flush()
            record_audit(session, project, self.actor, "update" if before else "create", "connection", name,
                         before=before, after=after)
            return _info(row)

        return self.store.db.write(fn)

    def get(self, name: str) -> ConnectionInfo:
        with self.store.db.read() as session:
            return _info(self._row(session, name))

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[ConnectionInfo]:
        """Connections by name (never their secrets)."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            total = session.scalar(select(func.count()).select_from(ConnectionRow)) or 0
            rows = session.scalars(select(ConnectionRow).order_by(ConnectionRow.name).offset(offset).limit(limit))
            return Page.build([_info(r) for r in rows], int(total), offset, limit)

    def delete(self, name: str) -> ConnectionInfo:
        """Delete a connection; deployments that use it stop resolving (and say so in /healthz)."""

        def fn(session: Session) -> ConnectionInfo:
            row = self._row(session, name)
            info = _info(row)
            session.delete(row)
            project = ensure_project(session, _AUDIT_PROJECT, self.actor)
            record_audit(session, project, self.actor, "delete", "connection", name,
                         before=info.model_dump(mode="json", exclude={"created_at"}))
            return info

        return self.store.db.write(fn)

    @staticmethod
    def resolve_all(store: Store) -> dict[str, ResolvedConnection]:
        """Every connection with its key read now (from the server's environment or the store)."""
        with store.db.read() as session:
            rows = session.scalars(select(ConnectionRow)).all()
            return {r.name: ResolvedConnection(name=r.name, provider=r.provider, base_url=r.base_url,
                                               api_key=os.environ.get(r.secret_env) if r.secret_env else r.secret)
                    for r in rows}

    def _row(self, session: Session, name: str) -> ConnectionRow:
        row = session.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
        if row is None:
            raise NotFound(f"connection {name!r} does not exist",
                           hint="list them with genloop connections list; an operator creates one with "
                                "genloop connections create")
        return row


def _check_url(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.username or parsed.password:
        raise InvalidInput(f"invalid base URL {base_url!r}", hint="write an http(s) URL such as https://host/v1, "
                           "without credentials in it")
    return base_url.rstrip("/")


def _info(row: ConnectionRow) -> ConnectionInfo:
    return ConnectionInfo(name=row.name, provider=row.provider, base_url=row.base_url, secret_env=row.secret_env,
                          has_secret=row.secret is not None, description=row.description or "",
                          created_at=row.created_at, created_by=row.created_by or "")
