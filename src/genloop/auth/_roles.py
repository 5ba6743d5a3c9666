"""RoleService: a user's role in one project (admin, editor, reviewer, annotator, viewer).

A user's key can do in its project what both its scopes and the user's role there allow
(:data:`genloop.auth.ROLE_PERMISSIONS`). Role changes reach servers and gateways within the key cache's
time to live (``cache_ttl``) and the gateway's refresh interval.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.auth._permissions import ROLES
from genloop.auth._schemas import Membership
from genloop.auth._tables import MemberRow, UserRow
from genloop.auth._users import find_user
from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.store import Store
from genloop.store._registry import ensure_project, find_project, record_audit

__all__ = ["RoleService"]


class RoleService:
    """Roles of one project."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def grant(self, user: str, role: str) -> Membership:
        """Give ``user`` the ``role`` in this project (replacing the role they had)."""
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")

        def fn(session: Session) -> Membership:
            row = find_user(session, user)
            if row.deactivated_at is not None:
                raise InvalidInput(f"user {user!r} is deactivated", hint="create a new user instead")
            if row.kind == "service":
                raise InvalidInput(f"{user!r} is a service account; its keys act by their scopes alone",
                                   hint=Hint(
                                       cli="give its keys the scopes they need: genloop keys create --scope",
                                       sdk="give its keys the scopes they need: client.keys.create(NAME, scopes=[...])",
                                       rest='give its keys the scopes they need: send "scopes" when creating them'))
            project = ensure_project(session, self.project, self.actor)
            member = session.scalar(select(MemberRow).where(MemberRow.project_id == project.id,
                                                            MemberRow.user_id == row.id))
            before = member.role if member is not None else None
            if before == "admin" and role != "admin":
                _keep_an_admin(session, project.id, row.id, self.project)
            if member is None:
                member = MemberRow(project_id=project.id, user_id=row.id, role=role, created_by=self.actor)
                session.add(member)
            member.role = role
            session.flush()
            record_audit(session, project, self.actor, "grant", "role", row.name,
                         before={"role": before} if before else None, after={"role": role, "user_id": row.id})
            return _membership(member, project.name, row)

        out = self.store.db.write(fn)
        self.store.cache.invalidate("api_key")
        return out

    def revoke(self, user: str) -> Membership:
        """Take away ``user``'s role in this project; their keys there stop working."""

        def fn(session: Session) -> Membership:
            row = find_user(session, user)
            project = find_project(session, self.project)
            member = None if project is None else session.scalar(
                select(MemberRow).where(MemberRow.project_id == project.id, MemberRow.user_id == row.id))
            if member is None or project is None:
                raise NotFound(f"user {user!r} has no role in project {self.project!r}",
                               hint=Hint(cli=f"see the roles with: genloop roles list --project {self.project}",
                                         sdk="see the roles with: client.roles.list()",
                                         rest=f"see the roles with: GET /api/v1/projects/{self.project}/members"))
            if member.role == "admin":
                _keep_an_admin(session, project.id, row.id, self.project)
            out = _membership(member, project.name, row)
            session.delete(member)
            record_audit(session, project, self.actor, "revoke", "role", row.name,
                         before={"role": member.role, "user_id": row.id})
            return out

        out = self.store.db.write(fn)
        self.store.cache.invalidate("api_key")
        return out

    def list(self) -> list[Membership]:
        """Members of the project and their roles, by user name."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            rows = session.execute(select(MemberRow, UserRow).join(UserRow, UserRow.id == MemberRow.user_id)
                                   .where(MemberRow.project_id == project.id).order_by(UserRow.name)).all()
            return [_membership(m, project.name, u) for m, u in rows]


def _keep_an_admin(session: Session, project_id: int, leaving: int, project: str) -> None:
    """Refuse to take away the project's last active admin (nobody could grant roles there afterwards)."""
    others = session.scalar(select(func.count()).select_from(MemberRow).join(UserRow, UserRow.id == MemberRow.user_id)
                            .where(MemberRow.project_id == project_id, MemberRow.role == "admin",
                                   MemberRow.user_id != leaving, UserRow.deactivated_at.is_(None)))
    if not others:
        raise Conflict(f"this is the last admin of project {project!r}",
                       hint=Hint(cli="make someone else admin first: genloop roles grant NAME admin "
                                     f"--project {project}",
                                 sdk="make someone else admin first: client.roles.grant(NAME, 'admin')",
                                 rest=f'make someone else admin first: PUT /api/v1/projects/{project}/members/NAME '
                                      'with "role": "admin"'))


def _membership(member: MemberRow, project: str, user: UserRow) -> Membership:
    return Membership(project=project, user=user.name, user_id=user.id, role=member.role,
                      created_at=member.created_at, created_by=member.created_by or "")
