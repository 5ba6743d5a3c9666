"""The operator bootstrap of a fresh install: the first admin user, their role and an operator key, at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.auth._schemas import CreatedKey
from genloop.auth._service import _info, hash_key, new_secret
from genloop.auth._tables import ApiKeyRow, MemberRow, UserRow
from genloop.auth._users import hash_password
from genloop.errors import Conflict, Hint, InvalidInput
from genloop.refs import validate_name
from genloop.store import Store
from genloop.store._registry import ensure_project, record_audit

__all__ = ["bootstrap_admin"]


def bootstrap_admin(store: Store, name: str, *, email: str = "", password: str | None = None,
                    project: str = "default", force: bool = False) -> CreatedKey:
    """Create user ``name`` as admin of ``project`` with an ``operator`` key, in one transaction.

    Refuses when an active admin exists already (unless ``force``), so a second run cannot quietly add a
    back door; an existing user of that name is refused too.
    """
    validate_name(name, "user name")
    hashed = hash_password(password) if password else None
    if email and "@" not in email:
        raise InvalidInput(f"invalid e-mail address {email!r}", hint="use name@example.com, or leave it out")
    actor = store.default_actor

    def fn(session: Session) -> CreatedKey:
        admins = session.scalars(select(UserRow.name).join(MemberRow, MemberRow.user_id == UserRow.id).where(
            MemberRow.role == "admin", UserRow.deactivated_at.is_(None))).all()
        if admins and not force:
            raise Conflict(f"an admin exists already ({', '.join(sorted(set(admins)))})",
                           hint=Hint("ask them for a key, or pass force=True to add another admin",
                                     cli="ask them for a key, or pass --force to add another admin"))
        if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
            raise Conflict(f"user {name!r} already exists", hint="choose another name")
        proj = ensure_project(session, project, actor)
        user = UserRow(name=name, email=email, kind="user", password_hash=hashed, created_by=actor)
        session.add(user)
        session.flush()
        session.add(MemberRow(project_id=proj.id, user_id=user.id, role="admin", created_by=actor))
        prefix, secret = new_secret()
        key = ApiKeyRow(project_id=proj.id, name=f"{name}-admin", prefix=prefix, key_hash=hash_key(secret),
                        scopes=["operator"], deployments=None, spent_usd=0.0, created_by=actor, user_id=user.id)
        session.add(key)
        session.flush()
        record_audit(session, proj, actor, "bootstrap", "user", name,
                     after={"id": user.id, "role": "admin", "key": prefix, "force": force})
        return CreatedKey(**_info(key, proj.name, session).model_dump(), key=secret)

    out = store.db.write(fn)
    store.cache.invalidate("api_key")
    return out
