"""UserService: people and service accounts, their Studio passwords (scrypt), deactivation.

Users are server-wide; what they may do in a project is their role there (:mod:`genloop.auth._roles`).
A user is never deleted: deactivating one keeps every audit event that names them (``user:<name>``,
and the id in the ``user`` audit events) and revokes all their keys in the same transaction.
User events are audited in the ``default`` project (the server's own log); each key revoked is audited
in its project.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import weakref

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from genloop.auth._schemas import UserInfo
from genloop.auth._tables import ApiKeyRow, LoginFailureRow, MemberRow, UserRow
from genloop.errors import Conflict, Hint, InvalidInput, NotFound, RateLimited, Unauthorized
from genloop.refs import validate_name
from genloop.store import Store, utcnow
from genloop.store._registry import Project, ensure_project, record_audit

__all__ = ["LoginThrottle", "login_throttle", "UserService", "actor_user", "hash_password", "verify_password"]

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64): a memory-hard KDF with a random 16-byte salt."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", hint="choose a longer one")
    if len(password) > 1024:
        raise InvalidInput("a password may have at most 1024 characters", hint="choose a shorter one")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches a :func:`hash_password` value (constant time)."""
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(digest))


class LoginThrottle:
    """Failed password logins per user name: after ``limit`` failures within ``window_s`` the name is refused
    (429) until the oldest of them leaves the window, whatever the password.

    The failures are rows of the store (``login_failures``), so every replica of a server on one database counts
    the same ones: an attacker gets ``limit`` tries per window in all, not per replica.
    """

    def __init__(self, store: Store, limit: int = 5, window_s: float = 300.0) -> None:
        self.store, self.limit, self.window_s = store, limit, window_s

    @staticmethod
    def _key(name: str) -> str:
        return name.casefold()[:128]

    def check(self, name: str) -> None:
        """Raise :class:`RateLimited` while ``name`` is locked out."""
        now = utcnow()
        since = now - dt.timedelta(seconds=self.window_s)
        with self.store.db.read() as session:
            times = list(session.scalars(select(LoginFailureRow.failed_at).where(
                LoginFailureRow.name_key == self._key(name), LoginFailureRow.failed_at > since)
                .order_by(LoginFailureRow.failed_at.desc()).limit(self.limit)))
        if len(times) >= self.limit:
            oldest = min(times)  # the oldest of the latest ``limit``: when it leaves the window, one try is back
            wait = int((oldest + dt.timedelta(seconds=self.window_s) - now).total_seconds()) + 1
            raise RateLimited(f"too many failed logins for user {name!r}; try again in {wait} s",
                              hint="wait, or ask an admin to set a new password: genloop users set-password NAME")

    def failed(self, name: str) -> None:
        """Count a failure of ``name`` (and forget every failure that has left the window)."""
        now = utcnow()

        def fn(session: Session) -> None:
            session.execute(delete(LoginFailureRow).where(
                LoginFailureRow.failed_at <= now - dt.timedelta(seconds=self.window_s)))
            session.add(LoginFailureRow(name_key=self._key(name), failed_at=now))

        self.store.db.write(fn)

    def succeeded(self, name: str) -> None:
        """A right password clears the name's failures."""
        key = self._key(name)

        def fn(session: Session) -> None:
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.name_key == key))

        self.store.db.write(fn)


_THROTTLES: weakref.WeakKeyDictionary[Store, LoginThrottle] = weakref.WeakKeyDictionary()


def login_throttle(store: Store) -> LoginThrottle:
    """The login throttle of this store (its counts live in the store's database)."""
    throttle = _THROTTLES.get(store)
    if throttle is None:
        throttle = _THROTTLES.setdefault(store, LoginThrottle(store))
    return throttle


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash to check unknown names against, so a missing user costs the same scrypt as a wrong password."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def actor_user(actor: str) -> str | None:
    """The user name in an audit actor (``user:alice`` -> ``alice``); None for keys, the local user, etc."""
    if isinstance(actor, str) and actor.startswith("user:") and len(actor) > 5:
        return actor[5:]
    return None


class UserService:
    """Users and service accounts of the server."""

    def __init__(self, store: Store, actor: str | None = None) -> None:
        self.store = store
        self.actor = actor or store.default_actor

    def create(self, name: str, *, email: str = "", password: str | None = None, service: bool = False) -> UserInfo:
        """Add a person (or, with ``service``, a service account, which has no password)."""
        validate_name(name, "user name")
        email = (email or "").strip()
        local, _, domain = email.rpartition("@")
        if email and (not local or "." not in domain.strip(".") or len(email) > 256
                      or any(c.isspace() or c in '<>"(),;:[]\\' for c in email)):
            raise InvalidInput(f"invalid e-mail address {email!r}", hint="use name@example.com, or leave it out")
        if service and password:
            raise InvalidInput("a service account has no password", hint=Hint(
                cli="leave --password out; give it keys: genloop keys create NAME --user USER",
                sdk="leave password= out; give it keys: client.keys.create(NAME, user=USER)",
                rest='leave "password" out; give it keys: send "user" when creating them'))
        hashed = hash_password(password) if password else None

        def fn(session: Session) -> UserInfo:
            if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise Conflict(f"user {name!r} already exists", hint=f"see it with: genloop users show {name}")
            row = UserRow(name=name, email=email, kind="service" if service else "user", password_hash=hashed,
                          created_by=self.actor)
            session.add(row)
            session.flush()
            self._audit(session, "create", row, after={"id": row.id, "kind": row.kind, "email": email})
            return _user_info(session, row)

        return self.store.db.write(fn)

    def list(self, *, include_inactive: bool = False) -> list[UserInfo]:
        """Every user and service account, by name."""
        with self.store.db.read() as session:
            query = select(UserRow).order_by(UserRow.name)
            if not include_inactive:
                query = query.where(UserRow.deactivated_at.is_(None))
            return [_user_info(session, row) for row in session.scalars(query)]

    def get(self, name: str) -> UserInfo:
        with self.store.db.read() as session:
            return _user_info(session, find_user(session, name))

    def set_password(self, name: str, password: str) -> UserInfo:
        """Set (or replace) a person's Studio password."""
        hashed = hash_password(password)

        def fn(session: Session) -> UserInfo:
            row = find_user(session, name)
            if row.kind == "service":
                raise InvalidInput(f"{name!r} is a service account, which has no password",
                                   hint="service accounts act through keys only")
            row.password_hash = hashed
            self._audit(session, "set_password", row)
            return _user_info(session, row)

        return self.store.db.write(fn)

    def deactivate(self, name: str) -> UserInfo:
        """Deactivate a user and revoke every key of theirs at once (one transaction, audited)."""

        def fn(session: Session) -> UserInfo:
            row = find_user(session, name)
            if row.deactivated_at is not None:
                return _user_info(session, row)
            now = utcnow()
            row.deactivated_at = now
            keys = session.scalars(select(ApiKeyRow).where(ApiKeyRow.user_id == row.id,
                                                           ApiKeyRow.revoked_at.is_(None))).all()
            for key in keys:
                key.revoked_at = now
                project = session.get(Project, key.project_id)
                if project is not None:
                    record_audit(session, project, self.actor, "revoke", "api_key", key.name,
                                 before={"id": key.prefix, "user": row.name, "reason": "user deactivated"})
            self._audit(session, "deactivate", row, after={"id": row.id, "keys_revoked": [k.prefix for k in keys]})
            return _user_info(session, row)

        info = self.store.db.write(fn)
        self.store.cache.invalidate("api_key")
        return info

    def authenticate(self, name: str, password: str) -> UserInfo:
        """The active person with this name and password, else :class:`Unauthorized` (same answer for both)."""
        throttle = login_throttle(self.store)
        throttle.check(name)
        with self.store.db.read() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            stored = row.password_hash if row is not None and row.password_hash else _dummy_hash()
            ok = verify_password(password, stored) and row is not None and bool(row.password_hash)
            if row is None or not ok or row.deactivated_at is not None or row.kind != "user":
                throttle.failed(name)
                raise Unauthorized("wrong user name or password, or the user is deactivated",
                                   hint="ask an admin: genloop users set-password NAME")
            throttle.succeeded(name)
            return _user_info(session, row)

    def _audit(self, session: Session, action: str, row: UserRow, *, after: object = None) -> None:
        project = ensure_project(session, "default", self.actor)
        record_audit(session, project, self.actor, action, "user", row.name, after=after or {"id": row.id})


def find_user(session: Session, name: str) -> UserRow:
    """The user row called ``name``, else :class:`NotFound`."""
    row = session.scalar(select(UserRow).where(UserRow.name == name)) if isinstance(name, str) else None
    if row is None:
        raise NotFound(f"no user {name!r}", hint="list them with: genloop users list")
    return row


def _user_info(session: Session, row: UserRow) -> UserInfo:
    roles = session.execute(select(Project.name, MemberRow.role).join(Project, Project.id == MemberRow.project_id)
                            .where(MemberRow.user_id == row.id)).all()
    return UserInfo(id=row.id, name=row.name, email=row.email or "", kind=row.kind,
                    has_password=row.password_hash is not None, roles={p: r for p, r in roles},
                    created_at=row.created_at, created_by=row.created_by or "", deactivated_at=row.deactivated_at)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)
