"""KeyService: create, list, show and revoke API keys; verify a presented secret.

A key is ``glk_<8 chars>_<32 chars>``. The store keeps only its sha256 and the visible prefix
``glk_<8 chars>``, which is the key's id in listings, traces and audit events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from genloop.auth._schemas import SCOPES, CreatedKey, KeyInfo
from genloop.auth._tables import ApiKeyRow, MemberRow, UserRow
from genloop.auth._users import find_user
from genloop.errors import Hint, InvalidInput, NotFound, Unauthorized
from genloop.refs import validate_name
from genloop.store import Page, Store, utcnow
from genloop.store._registry import Project, ensure_project, find_project, record_audit

__all__ = ["KeyService", "hash_key"]

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_secret() -> tuple[str, str]:
    """A fresh key: its visible prefix (``glk_<8 chars>``) and the whole secret."""
    prefix = "glk_" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return prefix, f"{prefix}_{secrets.token_urlsafe(24)}"


def hash_key(secret: str) -> str:
    """The sha256 hex digest the store keeps for a key."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


class KeyService:
    """API keys of one project."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

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
        """Make a key; the returned ``key`` secret is shown once and never stored.

        ``user`` makes it a key of that user (it then acts as ``user:<name>`` with at most the user's role in
        the project) or of that service account (``key:<name>``, its scopes alone)."""
        validate_name(name, "key name")
        scopes = list(dict.fromkeys(scopes or ["gateway"]))
        bad = [s for s in scopes if s not in SCOPES]
        if bad:
            raise InvalidInput(f"unknown scope(s) {', '.join(bad)}", hint=f"use some of: {', '.join(SCOPES)}")
        for dep in deployments or []:
            validate_name(dep, "deployment name")
        for what, value in (("rpm_limit", rpm_limit), ("tpm_limit", tpm_limit), ("budget_usd", budget_usd)):
            if value is not None and value <= 0:
                raise InvalidInput(f"{what} must be above 0, got {value}", hint="leave it out for no limit")
        prefix, secret = new_secret()

        def fn(session: Session) -> KeyInfo:
            project = ensure_project(session, self.project, self.actor)
            owner = _owner_for_new_key(session, user, project) if user is not None else None
            row = ApiKeyRow(user_id=owner.id if owner is not None else None,
                project_id=project.id, name=name, prefix=prefix, key_hash=hash_key(secret), scopes=scopes,
                deployments=list(deployments) if deployments is not None else None, rpm_limit=rpm_limit,
                tpm_limit=tpm_limit, budget_usd=budget_usd, spent_usd=0.0, created_by=self.actor,
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            record_audit(session, project, self.actor, "create", "api_key", name,
                         after={"id": prefix, "scopes": scopes, "deployments": deployments, "user": user})
            return _info(row, project.name, session)

        info = self.store.db.write(fn)
        self.store.cache.invalidate("api_key")
        return CreatedKey(**info.model_dump(), key=secret)

    def list(self, *, include_revoked: bool = False, offset: int = 0, limit: int = 50) -> Page[KeyInfo]:
        """Keys of the project, newest first (revoked ones only when asked)."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return Page.build([], 0, offset, limit)
            query = select(ApiKeyRow).where(ApiKeyRow.project_id == project.id)
            if not include_revoked:
                query = query.where(ApiKeyRow.revoked_at.is_(None))
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(ApiKeyRow.id.desc()).offset(offset).limit(limit))
            return Page.build([_info(r, project.name, session) for r in rows], int(total), offset, limit)

    def get(self, key_id: str) -> KeyInfo:
        """One key by its visible prefix (``glk_ab12cd34``)."""
        with self.store.db.read() as session:
            row, project = self._row(session, key_id)
            return _info(row, project.name, session)

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key; gateways and servers refuse it within a second."""

        def fn(session: Session) -> KeyInfo:
            row, project = self._row(session, key_id)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                record_audit(session, project, self.actor, "revoke", "api_key", row.name, before={"id": row.prefix})
            return _info(row, project.name, session)

        info = self.store.db.write(fn)
        self.store.cache.invalidate("api_key")
        return info

    def _row(self, session: Session, key_id: str) -> tuple[ApiKeyRow, Project]:
        prefix = key_id[:12] if key_id.startswith("glk_") else key_id
        row = session.scalar(
            select(ApiKeyRow).join(Project, Project.id == ApiKeyRow.project_id)
            .where(Project.name == self.project, ApiKeyRow.prefix == prefix)
        )
        if row is None:
            raise NotFound(f"project {self.project!r} has no API key {key_id!r}",
                           hint=Hint(cli=f"list them with: genloop keys list --project {self.project}",
                                     sdk="list them with: client.keys.list()",
                                     rest=f"list them with: GET /api/v1/projects/{self.project}/keys"))
        return row, session.get(Project, row.project_id)  # type: ignore[return-value]

    # -- verification (any project) ------------------------------------------------------------------

    @staticmethod
    def verify(store: Store, secret: str) -> KeyInfo:
        """The active key whose secret this is, else :class:`Unauthorized` (cached for ``cache_ttl``)."""
        digest = hash_key(secret)
        cached = store.cache.get(("api_key", "*", digest))
        if store.cache.is_missing(cached):
            with store.db.read() as session:
                found = session.execute(
                    select(ApiKeyRow, Project.name).join(Project, Project.id == ApiKeyRow.project_id)
                    .where(ApiKeyRow.key_hash == digest)
                ).first()
                cached = _info(found[0], found[1], session) if found else None
            store.cache.put(("api_key", "*", digest), cached)
        if cached is None or not cached.active:
            raise Unauthorized("invalid, expired or revoked API key",
                               hint="send Authorization: Bearer <key>; create one with: genloop keys create")
        return cached  # type: ignore[no-any-return]

    @staticmethod
    def active_keys(store: Store) -> dict[str, KeyInfo]:
        """Every unrevoked key of every project, by sha256 digest (what a gateway holds in memory)."""
        with store.db.read() as session:
            rows = session.execute(
                select(ApiKeyRow, Project.name).join(Project, Project.id == ApiKeyRow.project_id)
                .where(ApiKeyRow.revoked_at.is_(None))
            ).all()
            owners = _owners(session)
            return {row.key_hash: _info(row, project, owners=owners) for row, project in rows}

    @staticmethod
    def add_spend(session: Session, spend: dict[str, float]) -> None:
        """Add ``{prefix: usd}`` to the keys' recorded spend, in the caller's transaction."""
        for prefix, usd in spend.items():
            if usd:
                session.execute(
                    update(ApiKeyRow).where(ApiKeyRow.prefix == prefix).values(spent_usd=ApiKeyRow.spent_usd + usd)
                )


def _owner_for_new_key(session: Session, user: str, project: Project) -> UserRow:
    row = find_user(session, user)
    if row.deactivated_at is not None:
        raise InvalidInput(f"user {user!r} is deactivated", hint="a deactivated user gets no new keys")
    if row.kind == "user" and session.scalar(select(MemberRow.role).where(
            MemberRow.user_id == row.id, MemberRow.project_id == project.id)) is None:
        raise InvalidInput(f"user {user!r} has no role in project {project.name!r}, so a key of theirs could do "
                           "nothing", hint=Hint(cli=f"grant one first: genloop roles grant {user} viewer "
                                                    f"--project {project.name}",
                                     sdk=f"grant one first: client.roles.grant({user!r}, 'viewer')",
                                     rest=f'grant one first: PUT /api/v1/projects/{project.name}/members/{user} with '
                                          '"role": "viewer"'))
    return row


_Owners = tuple[dict[int, tuple[str, str, dt.datetime | None]], dict[tuple[int, int], str]]


def _owners(session: Session, user_id: int | None = None) -> _Owners:
    """Users by id (name, kind, deactivated at) and roles by (user id, project id): all, or one user's."""
    users = select(UserRow.id, UserRow.name, UserRow.kind, UserRow.deactivated_at)
    roles = select(MemberRow.user_id, MemberRow.project_id, MemberRow.role)
    if user_id is not None:
        users, roles = users.where(UserRow.id == user_id), roles.where(MemberRow.user_id == user_id)
    return ({i: (n, k, d) for i, n, k, d in session.execute(users)},
            {(u, p): r for u, p, r in session.execute(roles)})


def _info(row: ApiKeyRow, project: str, session: Session | None = None, *, owners: _Owners | None = None) -> KeyInfo:
    owner = kind = role = None
    revoked_at = row.revoked_at
    if row.user_id is not None:
        users, roles = owners if owners is not None else _owners(session, row.user_id)  # type: ignore[arg-type]
        owner, kind, gone = users.get(row.user_id, (None, None, None))
        role = roles.get((row.user_id, row.project_id)) if gone is None else None
        revoked_at = revoked_at or gone  # a key made while its owner was being deactivated dies with them
    data: dict[str, Any] = {"owner": owner, "owner_kind": kind, "role": role,
        "id": row.prefix, "project": project, "name": row.name, "scopes": list(row.scopes or []),
        "deployments": row.deployments, "rpm_limit": row.rpm_limit, "tpm_limit": row.tpm_limit,
        "budget_usd": row.budget_usd, "spent_usd": row.spent_usd or 0.0, "created_at": row.created_at,
        "created_by": row.created_by, "expires_at": row.expires_at, "revoked_at": revoked_at,
    }
    return KeyInfo(**data)
