"""Listing the projects of a store (Studio's home page; a project is created on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from genloop.store._registry import Project
from genloop.store._schemas import Page, ProjectInfo

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["list_projects"]


def list_projects(store: Store, *, names: list[str] | None = None, offset: int = 0,
                  limit: int = 50) -> Page[ProjectInfo]:
    """Projects by name; ``names`` restricts the list (a key sees only its own project)."""
    query = select(Project)
    if names is not None:
        query = query.where(Project.name.in_(names))
    with store.db.read() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Project.name).offset(offset).limit(limit)).all()
        return Page[ProjectInfo].build([ProjectInfo.model_validate(r) for r in rows], total, offset, limit)
