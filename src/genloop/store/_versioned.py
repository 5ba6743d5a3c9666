"""The shape shared by datasets, prompts and models: named parents, numbered immutable versions, labels.

A :class:`VersionedKind` describes one such noun (its tables and its name in messages); its methods
do the work every one of them needs inside a caller's transaction: find or create the parent,
allocate the next version number safely, return the existing version for identical content,
resolve ``NAME@ref``, list, and move labels, each change audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import Hint, InvalidInput, NotFound
from genloop.refs import Ref, parse_ref, validate_name
from genloop.store._registry import (
    Project,
    ensure_project,
    find_project,
    labels_of,
    lock_parent,
    move_label,
    next_version,
    record_audit,
    remove_label,
    resolve_version,
)

__all__ = ["VersionedKind"]

P = TypeVar("P")  # parent row class
V = TypeVar("V")  # version row class


@dataclass(frozen=True)
class VersionedKind(Generic[P, V]):
    """One versioned noun: ``entity_type`` ("prompt"), its parent and version tables, and the FK column."""

    entity_type: str
    parent_cls: type[P]
    version_cls: type[V]
    parent_fk: str  # name of the FK column on the version table, e.g. "prompt_id"

    @property
    def _fk(self) -> Any:
        return getattr(self.version_cls, self.parent_fk)

    # -- reading -------------------------------------------------------------------------------

    def project(self, session: Session, project: str, name: str | None = None) -> Project:
        """The project row; when it does not exist yet and ``name`` is given, the error is about ``name``
        (in a fresh home, "prompt 'x' does not exist" says more than "project 'default' does not exist")."""
        row = find_project(session, project)
        if row is None:
            if name is not None:
                raise self._missing(name, project)
            raise NotFound(f"project {project!r} does not exist", hint=Hint(cli="check --project (default 'default')",
                                         sdk="check Client(project=...) (default 'default')",
                                         rest="check the project in the URL (/api/v1/projects/PROJECT/...)"))
        return row

    def parent(self, session: Session, project: Project, name: str) -> P:
        row = session.scalar(
            select(self.parent_cls).where(
                self.parent_cls.project_id == project.id,  # type: ignore[attr-defined]
                self.parent_cls.name == name,  # type: ignore[attr-defined]
            )
        )
        if row is None:
            raise self._missing(name, project.name)
        return row

    def _missing(self, name: str, project: str) -> NotFound:
        return NotFound(
            f"{self.entity_type} {name!r} does not exist in project {project!r}",
            hint=Hint(cli=f"list them with: genloop {self.entity_type}s list --project {project}",
                      sdk=f"list them with: client.{self.entity_type}s.list() in project {project!r}",
                      rest=f"list them with: GET /api/v1/projects/{project}/{self.entity_type}s"),
        )

    def resolve(self, session: Session, project_name: str, ref: str | Ref) -> tuple[Project, P, V]:
        """The version row ``ref`` points at (``NAME``, ``NAME@7``, ``NAME@label``)."""
        parsed = parse_ref(ref)
        project = self.project(session, project_name, parsed.name)
        parent = self.parent(session, project, parsed.name)
        number = resolve_version(
            session,
            project=project,
            entity_type=self.entity_type,
            ref=parsed,
            version_cls=self.version_cls,  # type: ignore[arg-type]
            parent_column=self._fk,
            parent_id=parent.id,  # type: ignore[attr-defined]
        )
        return project, parent, self.version_row(session, parent, number)

    def version_row(self, session: Session, parent: P, number: int) -> V:
        row = session.scalar(
            select(self.version_cls).where(self._fk == parent.id, self.version_cls.version == number)  # type: ignore[attr-defined]
        )
        if row is None:
            raise NotFound(f"{self.entity_type} {parent.name!r} has no version {number}")  # type: ignore[attr-defined]
        return row

    def latest(self, session: Session, parent: P) -> V | None:
        return session.scalar(
            select(self.version_cls)
            .where(self._fk == parent.id)  # type: ignore[attr-defined]
            .order_by(self.version_cls.version.desc())  # type: ignore[attr-defined]
            .limit(1)
        )

    def list_parents(self, session: Session, project_name: str, offset: int, limit: int) -> tuple[list[P], int]:
        project = find_project(session, project_name)
        if project is None:
            return [], 0
        where = self.parent_cls.project_id == project.id  # type: ignore[attr-defined]
        total = session.scalar(select(func.count()).select_from(self.parent_cls).where(where)) or 0
        rows = session.scalars(
            select(self.parent_cls).where(where).order_by(self.parent_cls.name).offset(offset).limit(limit)  # type: ignore[attr-defined]
        )
        return list(rows), int(total)

    def list_versions(self, session: Session, project_name: str, name: str, offset: int, limit: int) -> tuple[list[V], int]:
        project = self.project(session, project_name, name)
        parent = self.parent(session, project, name)
        where = self._fk == parent.id  # type: ignore[attr-defined]
        total = session.scalar(select(func.count()).select_from(self.version_cls).where(where)) or 0
        rows = session.scalars(
            select(self.version_cls).where(where).order_by(self.version_cls.version.desc()).offset(offset).limit(limit)  # type: ignore[attr-defined]
        )
        return list(rows), int(total)

    def labels(self, session: Session, project: Project, name: str) -> dict[str, int]:
        return labels_of(session, project.id, self.entity_type, name)

    # -- writing -------------------------------------------------------------------------------

    def create_version(
        self,
        session: Session,
        *,
        project_name: str,
        name: str,
        actor: str,
        content_hash: str,
        build: Callable[[P, int], V],
        description: str | None = None,
        dedupe: bool = True,
    ) -> tuple[V, bool]:
        """Add a version built by ``build(parent, number)``; return ``(row, created)``.

        When ``dedupe`` is on and the latest version has the same ``content_hash``, nothing is
        written and the existing row is returned with ``created=False``.
        """
        validate_name(name, f"{self.entity_type} name")
        project = ensure_project(session, project_name, actor)
        parent = session.scalar(
            select(self.parent_cls).where(
                self.parent_cls.project_id == project.id,  # type: ignore[attr-defined]
                self.parent_cls.name == name,  # type: ignore[attr-defined]
            )
        )
        if parent is None:
            parent = self.parent_cls(project_id=project.id, name=name, description=description or "", created_by=actor)  # type: ignore[call-arg]
            session.add(parent)
            session.flush()
            record_audit(session, project, actor, "create", self.entity_type, name, after={"name": name})
        lock_parent(session, self.parent_cls, parent.id)  # type: ignore[arg-type, attr-defined]
        if dedupe:
            latest = self.latest(session, parent)
            if latest is not None and latest.content_hash == content_hash:  # type: ignore[attr-defined]
                return latest, False
        number = next_version(session, self.version_cls, self._fk, parent.id)  # type: ignore[arg-type, attr-defined]
        row = build(parent, number)
        session.add(row)
        session.flush()
        record_audit(
            session, project, actor, "create", self.entity_type, name, version=number,
            after={"version": number, "content_hash": content_hash},
        )
        return row, True

    def set_label(self, session: Session, project_name: str, ref: str | Ref, label: str, actor: str) -> tuple[V, int | None]:
        """Point ``label`` at the version ``ref`` resolves to; return the row and the previous version."""
        project, parent, row = self.resolve(session, project_name, ref)
        previous = move_label(
            session, project=project, entity_type=self.entity_type, name=parent.name,  # type: ignore[attr-defined]
            label=label, version=row.version, actor=actor,  # type: ignore[attr-defined]
        )
        return row, previous

    def delete_label(self, session: Session, project_name: str, name: str, label: str, actor: str) -> None:
        project = self.project(session, project_name, name)
        self.parent(session, project, name)
        remove_label(session, project=project, entity_type=self.entity_type, name=name, label=label, actor=actor)


def require_nonempty(value: Any, what: str) -> Any:
    if value in (None, "", [], {}):
        raise InvalidInput(f"{what} is required")
    return value
