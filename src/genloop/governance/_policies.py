"""Promotion policies per project: set (a new version, audited), show, list, and the one in force for a target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import NotFound
from genloop.governance._schemas import PolicyInfo
from genloop.governance._spec import PolicySpec, load_policy_spec
from genloop.governance._tables import PolicyRow
from genloop.store import Store
from genloop.store._registry import ensure_project, find_project, record_audit

__all__ = ["PolicyService", "policy_for"]


class PolicyService:
    """Promotion policies of one project; each ``set`` adds a version, the newest active one is in force."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def set(self, spec: PolicySpec | dict[str, Any] | str | Path) -> PolicyInfo:
        """Add a version of the policy ``spec.name`` (a spec, a mapping, YAML text or a YAML path)."""
        parsed = load_policy_spec(spec)

        def write(session: Session) -> PolicyInfo:
            project = ensure_project(session, self.project, self.actor)
            latest = session.scalar(select(func.max(PolicyRow.version)).where(
                PolicyRow.project_id == project.id, PolicyRow.name == parsed.name))
            row = PolicyRow(project_id=project.id, name=parsed.name, version=int(latest or 0) + 1,
                            target_kind=parsed.target.kind, target_name=parsed.target.name,
                            target_label=parsed.target.label, active=True, spec=parsed.model_dump(mode="json"),
                            created_by=self.actor)
            session.add(row)
            session.flush()
            record_audit(session, project, self.actor, "policy", "governance_policy", parsed.name,
                         version=row.version, after=row.spec)
            return _info(row)

        return self.store.db.write(write)

    def disable(self, name: str) -> PolicyInfo:
        """Stop enforcing policy ``name`` (a new, inactive version keeps the history)."""
        current = self.get(name)

        def write(session: Session) -> PolicyInfo:
            project = ensure_project(session, self.project, self.actor)
            row = PolicyRow(project_id=project.id, name=name, version=current.version + 1,
                            target_kind=current.spec.target.kind, target_name=current.spec.target.name,
                            target_label=current.spec.target.label, active=False,
                            spec=current.spec.model_dump(mode="json"), created_by=self.actor)
            session.add(row)
            session.flush()
            record_audit(session, project, self.actor, "disable", "governance_policy", name, version=row.version)
            return _info(row)

        return self.store.db.write(write)

    def get(self, name: str, version: int | None = None) -> PolicyInfo:
        """The newest version of policy ``name`` (or ``version``)."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            query = select(PolicyRow).where(PolicyRow.project_id == (project.id if project else -1),
                                            PolicyRow.name == name)
            if version is not None:
                query = query.where(PolicyRow.version == version)
            row = session.scalar(query.order_by(PolicyRow.version.desc()).limit(1))
            if row is None:
                known = [p.name for p in self.list()] if project else []
                raise NotFound(f"no promotion policy {name!r}" + (f" version {version}" if version else ""),
                               hint=f"known policies: {', '.join(known)}" if known
                               else "set one with: genloop governance policies set FILE.yaml")
            return _info(row)

    def list(self) -> list[PolicyInfo]:
        """The newest version of every policy, by name."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            newest = (select(PolicyRow.name, func.max(PolicyRow.version).label("v"))
                      .where(PolicyRow.project_id == project.id).group_by(PolicyRow.name).subquery())
            rows = session.scalars(select(PolicyRow).join(
                newest, (PolicyRow.name == newest.c.name) & (PolicyRow.version == newest.c.v))
                .where(PolicyRow.project_id == project.id).order_by(PolicyRow.name))
            return [_info(row) for row in rows]


def policy_for(session: Session, project_id: int, kind: str, name: str, label: str) -> PolicyRow | None:
    """The policy in force for ``kind`` ``name`` and ``label``: one naming the entity wins over ``*``."""
    newest = (select(PolicyRow.name, func.max(PolicyRow.version).label("v"))
              .where(PolicyRow.project_id == project_id).group_by(PolicyRow.name).subquery())
    rows = session.scalars(select(PolicyRow).join(
        newest, (PolicyRow.name == newest.c.name) & (PolicyRow.version == newest.c.v))
        .where(PolicyRow.project_id == project_id, PolicyRow.active.is_(True), PolicyRow.target_kind == kind,
               PolicyRow.target_label == label, PolicyRow.target_name.in_((name, "*")))
        .order_by(PolicyRow.name)).all()
    exact = [row for row in rows if row.target_name == name]
    chosen = exact or list(rows)
    return chosen[0] if chosen else None


def _info(row: PolicyRow) -> PolicyInfo:
    spec = PolicySpec.model_validate(row.spec)
    return PolicyInfo(name=row.name, version=row.version, active=row.active, spec=spec,
                      requirements=spec.requirement_names(), created_at=row.created_at, created_by=row.created_by)
