"""Runs that read or wrote one version: the evaluations that mention a model, the jobs that used a dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from genloop.runs._schemas import RunInfo
from genloop.runs._tables import RunRefRow, RunRow
from genloop.runs._views import run_info
from genloop.store._registry import find_project

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["runs_touching"]


def runs_touching(store: Store, project: str, entity_type: str, name: str, version: int | None = None, *,
                  kind: str | None = None, direction: str | None = None, limit: int = 50) -> list[RunInfo]:
    """Newest first: runs of ``project`` whose inputs or outputs include ``entity_type:name@version``
    (any version when None), optionally only of ``kind`` (``eval``) and ``direction`` (``input``)."""
    with store.db.read() as session:
        found = find_project(session, project)
        if found is None:
            return []
        refs = select(RunRefRow.run_id).where(RunRefRow.entity_type == entity_type, RunRefRow.entity_name == name)
        if version is not None:
            refs = refs.where(RunRefRow.version == version)
        if direction is not None:
            refs = refs.where(RunRefRow.direction == direction)
        query = select(RunRow).where(RunRow.project_id == found.id, RunRow.id.in_(refs))
        if kind is not None:
            query = query.where(RunRow.kind == kind)
        rows = session.scalars(query.order_by(RunRow.started_at.desc()).limit(limit)).all()
        return [run_info(row) for row in rows]
