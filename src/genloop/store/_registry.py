"""The registry kernel every versioned noun shares: projects, labels (aliases) and the audit log.

Datasets, prompts and models all follow one shape: a named parent per project, immutable numbered
versions, and movable labels. The helpers here pick version numbers safely under concurrent
writers, resolve ``NAME@ref`` references, move labels, and write the audit event of every change
in the same transaction as the change itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from genloop.errors import Hint, NotFound
from genloop.refs import Ref, validate_label, validate_name
from genloop.store._base import Base, JSONType, UTCDateTime
from genloop.store._db import utcnow

__all__ = [
    "AuditEvent",
    "Label",
    "Project",
    "ensure_project",
    "find_project",
    "lock_parent",
    "move_label",
    "next_version",
    "record_audit",
    "remove_label",
]


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(String, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Label(Base):
    """A movable name (``production``, ``champion``) pointing at one version of one entity."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("project_id", "entity_type", "entity_name", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_name: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class AuditEvent(Base):
    """One change: who did what to which entity, when, and its state before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_project_time", "project_id", "created_at"),
        Index("ix_audit_entity", "entity_type", "entity_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_name: Mapped[str] = mapped_column(String(128))
    entity_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before: Mapped[Any] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- projects ------------------------------------------------------------------------------------


def find_project(session: Session, name: str) -> Project | None:
    return session.scalar(select(Project).where(Project.name == name))


def ensure_project(session: Session, name: str, actor: str) -> Project:
    """The project called ``name``, created (and audited) on first use."""
    validate_name(name, "project name")
    project = find_project(session, name)
    if project is None:
        project = Project(name=name)
        session.add(project)
        session.flush()
        record_audit(session, project, actor, "create", "project", name, after={"name": name})
    return project


def require_project(session: Session, name: str) -> Project:
    project = find_project(session, name)
    if project is None:
        raise NotFound(f"project {name!r} does not exist", hint=Hint(cli="create something in it first, or check --project",
                                                              sdk="create something in it first, or check Client(project=...)",
                                                              rest="create something in it first, or check the project in the URL"))
    return project


# -- versions ------------------------------------------------------------------------------------


def lock_parent(session: Session, parent_cls: type[Base], parent_id: int) -> None:
    """Serialise version allocation on one parent row (PostgreSQL; SQLite's BEGIN IMMEDIATE does it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(parent_cls.id).where(parent_cls.id == parent_id).with_for_update())  # type: ignore[attr-defined]


def next_version(session: Session, version_cls: type[Base], parent_column: Any, parent_id: int) -> int:
    """The next version number under one parent; call :func:`lock_parent` first."""
    current = session.scalar(select(func.max(version_cls.version)).where(parent_column == parent_id))  # type: ignore[attr-defined]
    return int(current or 0) + 1


def latest_version(session: Session, version_cls: type[Base], parent_column: Any, parent_id: int) -> int | None:
    current = session.scalar(select(func.max(version_cls.version)).where(parent_column == parent_id))  # type: ignore[attr-defined]
    return int(current) if current is not None else None


def resolve_version(
    session: Session,
    *,
    project: Project,
    entity_type: str,
    ref: Ref,
    version_cls: type[Base],
    parent_column: Any,
    parent_id: int,
) -> int:
    """The concrete version number ``ref`` points at, or a :class:`NotFound` that says what exists."""
    latest = latest_version(session, version_cls, parent_column, parent_id)
    if latest is None:
        raise NotFound(f"{entity_type} {ref.name!r} has no versions", hint="create one first")
    if ref.version is not None:
        if ref.version > latest:
            raise NotFound(
                f"{entity_type} {ref.name!r} has no version {ref.version} (latest is {latest})",
                hint=f"use {ref.name}@{latest}",
            )
        return ref.version
    if ref.label is not None:
        row = session.scalar(
            select(Label).where(
                Label.project_id == project.id,
                Label.entity_type == entity_type,
                Label.entity_name == ref.name,
                Label.label == ref.label,
            )
        )
        if row is None:
            known = labels_of(session, project.id, entity_type, ref.name)
            hint = f"known labels: {', '.join(sorted(known))}" if known else f"set one with: genloop {entity_type}s label"
            raise NotFound(f"{entity_type} {ref.name!r} has no label {ref.label!r}", hint=hint)
        return row.version
    return latest


def labels_of(session: Session, project_id: int, entity_type: str, name: str) -> dict[str, int]:
    rows = session.scalars(
        select(Label).where(
            Label.project_id == project_id, Label.entity_type == entity_type, Label.entity_name == name
        )
    )
    return {row.label: row.version for row in rows}


def move_label(
    session: Session,
    *,
    project: Project,
    entity_type: str,
    name: str,
    label: str,
    version: int,
    actor: str,
) -> int | None:
    """Point ``label`` at ``version``; audit the move; return the version it pointed at before."""
    validate_label(label)
    row = session.scalar(
        select(Label)
        .where(
            Label.project_id == project.id,
            Label.entity_type == entity_type,
            Label.entity_name == name,
            Label.label == label,
        )
        .with_for_update()
    )
    before = row.version if row is not None else None
    if before != version:  # a move that changes nothing needs no permission
        from genloop.store._guards import PromotionChange, check_promotion

        check_promotion(session, PromotionChange(project=project.name, project_id=project.id, entity_type=entity_type,
                                                 name=name, target=label, version=version, actor=actor))
    if row is None:
        session.add(Label(project_id=project.id, entity_type=entity_type, entity_name=name, label=label,
                          version=version, updated_by=actor))
    else:
        row.version = version
        row.updated_at = utcnow()
        row.updated_by = actor
    record_audit(
        session, project, actor, "label", entity_type, name,
        version=version,
        before={"label": label, "version": before} if before is not None else None,
        after={"label": label, "version": version},
    )
    return before


def remove_label(session: Session, *, project: Project, entity_type: str, name: str, label: str, actor: str) -> None:
    row = session.scalar(
        select(Label).where(
            Label.project_id == project.id,
            Label.entity_type == entity_type,
            Label.entity_name == name,
            Label.label == label,
        )
    )
    if row is None:
        raise NotFound(f"{entity_type} {name!r} has no label {label!r}")
    from genloop.store._guards import PromotionChange, check_promotion

    check_promotion(session, PromotionChange(project=project.name, project_id=project.id, entity_type=entity_type,
                                             name=name, target=label, version=row.version, actor=actor,
                                             removal=True))
    record_audit(session, project, actor, "unlabel", entity_type, name, version=row.version,
                 before={"label": label, "version": row.version})
    session.delete(row)


# -- audit ---------------------------------------------------------------------------------------


def record_audit(
    session: Session,
    project: Project,
    actor: str,
    action: str,
    entity_type: str,
    entity_name: str,
    *,
    version: int | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit event in the caller's transaction (so it commits or rolls back with the change)."""
    session.add(
        AuditEvent(
            project_id=project.id,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_name=entity_name,
            entity_version=version,
            before=before,
            after=after,
        )
    )
