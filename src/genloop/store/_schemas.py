"""Schemas shared by every package: pages of results, projects and audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AuditEventInfo", "Page", "ProjectInfo"]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing; pass ``next_offset`` back as ``offset`` for the next page."""

    items: list[T]
    total: int = Field(description="Number of items across all pages")
    offset: int = 0
    limit: int = 50
    next_offset: int | None = None

    @classmethod
    def build(cls, items: list[T], total: int, offset: int, limit: int) -> Page[T]:
        nxt = offset + len(items) if offset + len(items) < total else None
        return cls(items=items, total=total, offset=offset, limit=limit, next_offset=nxt)


class ProjectInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str = ""
    created_at: dt.datetime


class AuditEventInfo(BaseModel):
    """One change in the audit log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project: str
    actor: str
    action: str
    entity_type: str
    entity_name: str
    entity_version: int | None = None
    before: Any = None
    after: Any = None
    created_at: dt.datetime
